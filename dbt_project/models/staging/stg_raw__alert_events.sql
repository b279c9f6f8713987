{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so fct_alerts finds every event of an alert together. -#}
{{ config(order_by='(alert_id, source, event_id)') }}

with source as (
    {{ deduplicated_source('alert') }}
),

renamed as (
    select
        {{ staging_envelope('alert') }},
        alert_id,
        toNullable(toString(kind)) as kind,
        toString(stage) as stage,
        ticket_id,
        period,
        due_at,
        definition_version,
        recipients,
        escalated_from,
        recipient,
        toNullable(toString(channel)) as channel,
        attempts,
        error,
        final,
        acknowledged_by,
        toNullable(toString(via)) as via,
        toNullable(toString(reason)) as reason,
        data
    from source
)

select * from renamed
