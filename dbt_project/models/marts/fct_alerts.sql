{#- One row per alert (lianxi.alert.* events, written by the alerts service and the ingest
    API's acknowledgement): what was raised for whom (a secretary, or for a feed alert the
    owner of a publishing system: feed_source, issue_id of fct_feed_issues), when it was delivered, acknowledged and
    ended, and the hours from raising to acknowledgement (时效: time to acknowledge). status:
    resolved (the ticket responded/resolved/closed, or the meeting was held) > acknowledged >
    open. An alert is open "as of" the build: the dashboards show the build's as-of time. -#}
{{ config(
    order_by='(street_id, community_id, raised_at, alert_id)',
    partition_by='toYYYYMM(raised_at)',
    engine='MergeTree()'
) }}

with events as (
    select * from {{ ref('stg_raw__alert_events') }}
),

alerts as (
    select
        alert_id,
        anyIf(kind, event_name = 'raised') as kind,
        any(stage) as stage,
        argMinIf(street_id, occurred_at, street_id != '') as street_id,
        argMinIf(community_id, occurred_at, community_id != '') as community_id,
        anyIf(ticket_id, event_name = 'raised') as ticket_id,
        anyIf(period, event_name = 'raised') as period,
        anyIf(due_at, event_name = 'raised') as due_at,
        anyIf(definition_version, event_name = 'raised') as definition_version,
        anyIf(escalated_from, event_name = 'raised') as escalated_from,
        anyIf(recipients, event_name = 'raised') as recipients,
        -- Fields added to the raised event after stg_raw__alert_events was first built: read
        -- from its data, so a built warehouse needs no full refresh (dbt-clickhouse's append
        -- path adds no columns to an incremental table without a unique_key).
        nullIf(anyIf(JSONExtractString(data, 'feed_source'), event_name = 'raised'), '') as feed_source,
        nullIf(anyIf(JSONExtractString(data, 'issue_id'), event_name = 'raised'), '') as issue_id,
        minIfOrNull(occurred_at, event_name = 'raised') as raised_at,
        minIfOrNull(occurred_at, event_name = 'delivered') as first_delivered_at,
        toUInt32(countIf(event_name = 'delivered')) as deliveries,
        toUInt32(countIf(event_name = 'failed')) as failed_attempts,
        toUInt32(countIf(event_name = 'failed' and final)) as deliveries_failed,
        minIfOrNull(occurred_at, event_name = 'acknowledged') as acknowledged_at,
        argMinIf(via, occurred_at, event_name = 'acknowledged') as acknowledged_via,
        minIfOrNull(occurred_at, event_name = 'resolved') as resolved_at,
        argMinIf(reason, occurred_at, event_name = 'resolved') as resolved_reason,
        max(loaded_at) as last_loaded_at
    from events
    group by alert_id
    having raised_at is not null
),

statused as (
    select
        *,
        multiIf(resolved_at is not null, 'resolved', acknowledged_at is not null, 'acknowledged', 'open') as status
    from alerts
)

select
    alerts.alert_id as alert_id,
    assumeNotNull(alerts.kind) as kind,
    alerts.stage as stage,
    {{ place_columns('alerts') }},
    alerts.ticket_id as ticket_id,
    alerts.period as period,
    alerts.due_at as due_at,
    alerts.definition_version as definition_version,
    alerts.escalated_from as escalated_from,
    alerts.recipients as recipients,
    alerts.feed_source as feed_source,
    alerts.issue_id as issue_id,
    assumeNotNull(alerts.raised_at) as raised_at,
    {{ local_date('alerts.raised_at') }} as raised_day,
    alerts.first_delivered_at as first_delivered_at,
    alerts.deliveries as deliveries,
    alerts.failed_attempts as failed_attempts,
    alerts.deliveries_failed as deliveries_failed,
    alerts.acknowledged_at as acknowledged_at,
    alerts.acknowledged_via as acknowledged_via,
    {{ hours_between('alerts.raised_at', 'alerts.acknowledged_at') }} as hours_to_acknowledge,
    alerts.resolved_at as resolved_at,
    alerts.resolved_reason as resolved_reason,
    alerts.status as status,
    {{ label_zh('status_label') }} as status_zh,
    {{ label_zh('kind_label') }} as kind_zh,
    {{ label_zh('stage_label') }} as stage_zh,
    {{ as_of() }} as as_of,
    alerts.last_loaded_at as last_loaded_at
from statused as alerts
{{ place_joins('alerts') }}
{{ label_join('alert_status', 'alerts.status', 'status_label') }}
{{ label_join('alert_kind', 'alerts.kind', 'kind_label') }}
{{ label_join('alert_stage', 'alerts.stage', 'stage_label') }}
