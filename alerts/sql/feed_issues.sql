-- Problems of the publishing systems, as the data-quality mart states them
-- (marts.fct_feed_issues: a view over raw, current within the worker's batch time; one row
-- per problem with a deterministic issue_id, the owner from the source_cadences seed).
-- Read: the issues seen since %(since)s, plus those in %(watched)s (open silent alerts) in
-- whatever state, so the service sees a silence end (its row is gone).
SELECT
    issue_id,
    kind,
    kind_zh,
    source,
    source_zh,
    owner_name,
    owner_contact,
    rule,
    opened_at,
    opened_text,
    last_seen_at,
    events,
    detail_text,
    definition_version
FROM {marts}.fct_feed_issues
WHERE last_seen_at >= toDateTime64(%(since)s, 3, 'UTC')
   OR has(%(watched)s, issue_id)
