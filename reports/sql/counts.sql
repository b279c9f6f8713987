-- The quarter's counts, each on the Shanghai day the dashboards filter it by (受理日期,
-- 发布日期, 认领日期, 报到日期), for the district (street = '') or one street. Each mart's rows
-- come with that day as `at`, so one filter serves every count.
WITH {start:Date} AS q_start, addMonths({start:Date}, 3) AS q_end, {street:String} AS street
SELECT
    countIf(mart = 'tickets') AS tickets_opened,
    countIf(mart = 'tickets' AND resolved) AS tickets_resolved,
    countIf(mart = 'wishes') AS wishes_posted,
    countIf(mart = 'wishes' AND claimed) AS wishes_claimed,
    countIf(mart = 'wishes' AND fulfilled) AS wishes_fulfilled,
    countIf(mart = 'volunteering') AS volunteer_claims,
    round(sumIf(hours, mart = 'volunteering'), 1) AS volunteer_hours,
    countIf(mart = 'registrations') AS members_registered
FROM (
    SELECT 'tickets' AS mart, opened_at AS at, street_id,
           resolved_at IS NOT NULL AS resolved, 0 AS claimed, 0 AS fulfilled, 0. AS hours
    FROM marts.fct_tickets
    UNION ALL
    SELECT 'wishes', posted_at, street_id,
           0, claimed_at IS NOT NULL, fulfilled_at IS NOT NULL, 0.
    FROM marts.fct_wishes
    UNION ALL
    SELECT 'volunteering', claimed_at, street_id, 0, 0, 0, hours FROM marts.fct_volunteering
    UNION ALL
    SELECT 'registrations', registered_at, street_id, 0, 0, 0, 0. FROM marts.fct_registrations
)
WHERE toDate(at, 'Asia/Shanghai') >= q_start AND toDate(at, 'Asia/Shanghai') < q_end
  AND (street = '' OR street_id = street)
