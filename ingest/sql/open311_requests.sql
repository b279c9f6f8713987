-- Open311 view of service tickets: one row per ticket, folded from its lifecycle events.
-- Re-delivered events (same source, id) may still sit unmerged in the ReplacingMergeTree;
-- min/max/any/argMax give the same answer with or without them, so no FINAL is needed.
SELECT
    ticket_id,
    argMax(type, time) AS last_type,
    anyIf(category, type = 'lianxi.ticket.opened') AS category,
    anyIf(description, type = 'lianxi.ticket.opened') AS description,
    anyIf(community_id, type = 'lianxi.ticket.opened') AS community_id,
    minIf(time, type = 'lianxi.ticket.opened') AS requested_at,
    max(time) AS updated_at,
    argMaxIf(assignee_unit_id, time, type = 'lianxi.ticket.assigned') AS assignee_unit_id,
    argMaxIf(resolution, time, type = 'lianxi.ticket.resolved') AS resolution
FROM {database}.ticket_events
WHERE (empty(%(ids)s) OR ticket_id IN %(ids)s)
GROUP BY ticket_id
HAVING countIf(type = 'lianxi.ticket.opened') > 0
   AND (%(service_code)s = '' OR category = %(service_code)s)
   AND requested_at >= toDateTime64(%(start)s, 3, 'UTC')
   AND requested_at < toDateTime64(%(end)s, 3, 'UTC')
ORDER BY requested_at DESC, ticket_id
LIMIT %(limit)s
