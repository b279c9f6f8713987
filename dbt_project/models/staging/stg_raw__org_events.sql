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
