-- The quarter's overdue tickets (resolution deadline in the quarter, passed, missed), longest
-- overdue first.
SELECT ticket_id, street_name, community_name, category_zh, status_zh, ageing_bucket_zh, hours_overdue,
       formatDateTime(assumeNotNull(resolution_due_at), '%Y-%m-%d %H:%i', 'Asia/Shanghai') AS due_local
FROM marts.fct_tickets
WHERE is_resolution_overdue = 1 AND resolution_due_at IS NOT NULL
  AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') >= {start:Date}
  AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') < addMonths({start:Date}, 3)
  AND resolution_due_at <= (SELECT any(as_of) FROM marts.fct_headline_indicators)
  AND ({street:String} = '' OR street_id = {street:String})
ORDER BY hours_overdue DESC, ticket_id
LIMIT {limit:UInt32}
