{#- An incremental table, not a view: every model and test downstream reads the deduplicated
    events, and a view would deduplicate the whole raw table again for each of them
    (strategy and order_by: README.md "Incremental strategies"). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='MergeTree()',
    order_by='(wish_id, source, event_id)',
    partition_by='toYYYYMM(occurred_at)'
) }}

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
