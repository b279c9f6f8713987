{#- An incremental table, not a view: every model and test downstream reads the deduplicated
    events, and a view would deduplicate the whole raw table again for each of them
    (strategy and order_by: README.md "Incremental strategies"). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='MergeTree()',
    order_by='(meeting_id, source, event_id)',
    partition_by='toYYYYMM(occurred_at)'
) }}

with source as (
    {{ deduplicated_source('meeting') }}
),

renamed as (
    select
        {{ staging_envelope('meeting') }},
        meeting_id,
        toNullable(toString(level)) as level,
        scheduled_for,
        toNullable(toString(chair_role)) as chair_role,
        held_at,
        attending_unit_ids,
        agenda_items,
        resolution_id,
        topic,
        ticket_id,
        data
    from source
)

select * from renamed
