-- Ticket status and area names from dbt's mart (read-only), for the tickets Open311 shows.
-- argMax over refreshed_at: a delete+insert run in progress must not show a ticket twice.
SELECT
    ticket_id,
    argMax(status, refreshed_at) AS status,
    argMax(street_name, refreshed_at) AS street_name,
    argMax(community_name, refreshed_at) AS community_name
FROM {database}.fct_tickets
WHERE ticket_id IN %(ids)s
GROUP BY ticket_id
