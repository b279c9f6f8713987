{#- An incremental table, not a view: every model and test downstream reads the deduplicated
    events, and a view would deduplicate the whole raw table again for each of them
    (strategy and order_by: README.md "Incremental strategies"). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='MergeTree()',
    order_by='(member_id, source, event_id)',
    partition_by='toYYYYMM(occurred_at)'
) }}

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
