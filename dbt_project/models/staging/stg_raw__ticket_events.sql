{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(ticket_id, source, event_id)') }}

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
