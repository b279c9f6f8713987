{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(wish_id, source, event_id)') }}

with source as (
    {{ deduplicated_source('wish') }}
),

renamed as (
    select
        {{ staging_envelope('wish') }},
        wish_id,
        toNullable(toString(category)) as category,
        resident_id,
        member_id,
        unit_id,
        reason,
        data
    from source
)

select * from renamed
