-- The alert an acknowledgement names: its unit (or publishing system) and recipients, from its raised event in raw
-- (loaded by the stream worker from Kafka within about a second of being raised).
SELECT
    alert_id,
    any(stage) AS stage,
    any(street_id) AS street_id,
    any(community_id) AS community_id,
    any(recipients) AS recipients,
    ifNull(any(feed_source), '') AS feed_source
FROM {database}.alert_events
WHERE alert_id = %(alert_id)s AND type = 'lianxi.alert.raised'
GROUP BY alert_id
