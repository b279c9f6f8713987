{#- An incremental table, not a view: every model and test downstream reads the deduplicated
    events, and a view would deduplicate the whole raw table again for each of them
    (strategy and order_by: README.md "Incremental strategies"). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='MergeTree()',
    order_by='(subject, source, event_id)',
    partition_by='toYYYYMM(occurred_at)'
) }}

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
