{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(subject, source, event_id)') }}

with source as (
    {{ deduplicated_source('resources') }}
),

renamed as (
    select
        {{ staging_envelope('resources') }},
        demand_id,
        supply_id,
        match_id,
        unit_id,
        toNullable(toString(category)) as category,
        data
    from source
)

select * from renamed
