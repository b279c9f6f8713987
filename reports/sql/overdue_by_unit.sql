-- Tickets whose resolution deadline fell in the quarter (Shanghai) and has passed as of the
-- build (the marts' as_of), and of them those past it: 超期率's numerator and denominator for the quarter, per
-- street (district pack) or per community (street pack).
SELECT
    if({street:String} = '', street_name, community_name) AS unit_name,
    countIf(is_resolution_overdue = 1) AS overdue,
    count() AS due
FROM marts.fct_tickets
WHERE resolution_due_at IS NOT NULL
  AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') >= {start:Date}
  AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') < addMonths({start:Date}, 3)
  AND resolution_due_at <= (SELECT any(as_of) FROM marts.fct_headline_indicators)
  AND ({street:String} = '' OR street_id = {street:String})
GROUP BY unit_name
ORDER BY overdue DESC, unit_name
