{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(member_id, source, event_id)') }}

with source as (
    {{ deduplicated_source('member') }}
),

renamed as (
    select
        {{ staging_envelope('member') }},
        member_id,
        in_service,
        unit_id,
        toNullable(toString(project)) as project,
        activity_id,
        data
    from source
)

select * from renamed
