{#- An incremental table, not a view: every model and test downstream reads the deduplicated
    events, and a view would deduplicate the whole raw table again for each of them
    (strategy and order_by: README.md "Incremental strategies"). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='MergeTree()',
    order_by='(ticket_id, source, event_id)',
    partition_by='toYYYYMM(occurred_at)'
) }}

with source as (
    {{ deduplicated_source('ticket') }}
),

renamed as (
    select
        {{ staging_envelope('ticket') }},
        ticket_id,
        toNullable(toString(channel)) as channel,
        toNullable(toString(category)) as category,
        grid_id,
        toNullable(toString(project)) as project,
        reporter_id,
        description,
        assignee_unit_id,
        resolution,
        toNullable(toString(satisfaction)) as satisfaction,
        reason,
        data
    from source
)

select * from renamed
