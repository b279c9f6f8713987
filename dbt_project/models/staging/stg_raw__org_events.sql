{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(subject, source, event_id)') }}

with source as (
    {{ deduplicated_source('org') }}
),

renamed as (
    select
        {{ staging_envelope('org') }},
        name_zh,
        unit_id,
        toNullable(toString(unit_type)) as unit_type,
        toNullable(toString(level)) as level,
        party_members,
        reason,
        group_id,
        building,
        members,
        data
    from source
)

select * from renamed
