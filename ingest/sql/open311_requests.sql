-- Open311 view of service tickets: one row per ticket, folded from its lifecycle events.
-- Re-delivered events (same source, id) may still sit unmerged in the ReplacingMergeTree;
-- min/max/any/argMax give the same answer with or without them, so no FINAL is needed.
-- Status comes from dbt's marts.fct_tickets when it has the ticket (see routes/open311.py);
-- last_type / last_resolution_type are the fallback and follow the same rule: the later of
-- resolved and reopened decides (ties: reopened, as dbt orders a lifecycle's stages).
SELECT
    ticket_id,
    argMax(type, time) AS last_type,
    argMaxIf(type, (time, type = 'lianxi.ticket.reopened'),
             type IN ('lianxi.ticket.resolved', 'lianxi.ticket.reopened')) AS last_resolution_type,
    anyIf(category, type = 'lianxi.ticket.opened') AS category,
    anyIf(description, type = 'lianxi.ticket.opened') AS description,
    anyIf(community_id, type = 'lianxi.ticket.opened') AS community_id,
    argMinIf(street_id, time, street_id != '') AS street_id,
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
   -- a token scoped to streets/communities sees only their tickets (decided here, before LIMIT)
   AND (%(scoped)s = 0 OR has(%(streets)s, street_id) OR has(%(communities)s, community_id))
ORDER BY requested_at DESC, ticket_id
LIMIT %(limit)s
