-- Live deadline state of tickets, read from raw (fresh within the worker's batch time, not
-- at the next dbt run): the tickets opened since %(since)s that are past a deadline now and
-- still running that clock, plus every ticket in %(watched)s (those with an open alert) in
-- whatever state, so the service sees them respond, resolve or close.
--
-- Deadlines follow marts.fct_tickets exactly (the ticket_deadlines seed, loaded by dbt into
-- {marts}): the rule in force on the ticket's Shanghai opening date (effective_to
-- inclusive, NULL open-ended) matching its category and channel, most specific first
-- (category+channel 3 > category 2 > channel 1 > default 0), then latest effective_from,
-- then highest version; due = opened + hours, to the millisecond. The response clock stops
-- at the first response; the resolution clock at a standing resolution (the later of the
-- latest resolution and reopening is a resolution) or at closing.
-- Re-delivered events not merged yet change none of min/max/argMin, so no FINAL.
WITH
    (SELECT groupArray((category, channel, effective_from, effective_to,
                        toUInt8((category != '*') * 2 + (channel != '*')),
                        version, response_hours, resolution_hours))
     FROM {marts}.ticket_deadlines) AS rules,
    tickets AS (
        SELECT
            subject AS ticket_id,
            argMinIf(street_id, time, street_id != '') AS street_id,
            argMinIf(community_id, time, community_id != '') AS community_id,
            anyIf(category, type = 'lianxi.ticket.opened') AS category,
            anyIf(channel, type = 'lianxi.ticket.opened') AS channel,
            minIf(time, type = 'lianxi.ticket.opened') AS opened_at,
            minIfOrNull(time, type = 'lianxi.ticket.responded') AS responded_at,
            maxIfOrNull(time, type = 'lianxi.ticket.resolved') AS last_resolved_at,
            maxIfOrNull(time, type = 'lianxi.ticket.reopened') AS last_reopened_at,
            minIfOrNull(time, type = 'lianxi.ticket.closed') AS closed_at
        FROM {raw}.ticket_events
        WHERE subject IN (
            SELECT subject FROM {raw}.ticket_events
            WHERE type = 'lianxi.ticket.opened' AND time >= toDateTime64(%(since)s, 3, 'UTC')
        ) OR has(%(watched)s, subject)
        GROUP BY subject
        HAVING countIf(type = 'lianxi.ticket.opened') > 0
    ),
    ruled AS (
        SELECT
            *,
            arrayReverseSort(
                r -> (r.5, r.3, r.6),
                arrayFilter(
                    r -> (r.1 = '*' OR r.1 = ifNull(category, ''))
                        AND (r.2 = '*' OR r.2 = ifNull(channel, ''))
                        AND r.3 <= toDate(opened_at, 'Asia/Shanghai')
                        AND (r.4 IS NULL OR toDate(opened_at, 'Asia/Shanghai') <= r.4),
                    rules)) AS matching
        FROM tickets
        WHERE NOT empty(matching)
    )
SELECT
    ticket_id,
    street_id,
    community_id,
    ifNull(category, '') AS category,
    ifNull(channel, '') AS channel,
    opened_at,
    toUInt32(matching[1].6) AS definition_version,
    toDateTime64(opened_at + toIntervalMillisecond(toInt64(round(matching[1].7 * 3600000))), 3, 'UTC') AS response_due_at,
    toDateTime64(opened_at + toIntervalMillisecond(toInt64(round(matching[1].8 * 3600000))), 3, 'UTC') AS resolution_due_at,
    responded_at,
    -- stage: resolved after the latest reopening (ties: reopened, as dbt orders them)
    last_resolved_at IS NOT NULL AND (last_reopened_at IS NULL OR last_resolved_at > last_reopened_at) AS is_resolved,
    closed_at IS NOT NULL AS is_closed
FROM ruled
WHERE has(%(watched)s, ticket_id)
   OR (responded_at IS NULL AND NOT is_resolved AND NOT is_closed
       AND response_due_at < toDateTime64(%(now)s, 3, 'UTC'))
   OR (NOT is_resolved AND NOT is_closed AND resolution_due_at < toDateTime64(%(now)s, 3, 'UTC'))
