{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(meeting_id, source, event_id)') }}

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
