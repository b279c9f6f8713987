-- What raw already holds of this service's alerts (the record the worker loaded from Kafka):
-- on start it fills a new or lost ledger, and every pass reads the acknowledgements the API
-- published. Re-delivered events not merged yet are folded by GROUP BY / DISTINCT.
SELECT
    alert_id,
    type,
    anyIf(kind, type = 'lianxi.alert.raised') AS kind,
    any(stage) AS stage,
    any(street_id) AS street_id,
    any(community_id) AS community_id,
    anyIf(ticket_id, type = 'lianxi.alert.raised') AS ticket_id,
    anyIf(period, type = 'lianxi.alert.raised') AS period,
    anyIf(due_at, type = 'lianxi.alert.raised') AS due_at,
    anyIf(definition_version, type = 'lianxi.alert.raised') AS definition_version,
    anyIf(recipients, type = 'lianxi.alert.raised') AS recipients,
    anyIf(escalated_from, type = 'lianxi.alert.raised') AS escalated_from,
    anyIf(feed_source, type = 'lianxi.alert.raised') AS feed_source,
    anyIf(issue_id, type = 'lianxi.alert.raised') AS issue_id,
    ifNull(recipient, '') AS recipient,
    ifNull(channel, '') AS channel,
    min(time) AS first_at
FROM {raw}.alert_events
WHERE time >= toDateTime64(%(since)s, 3, 'UTC')
  AND (empty(%(types)s) OR has(%(types)s, type))
GROUP BY alert_id, type, recipient, channel
