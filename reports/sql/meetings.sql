-- Joint meetings owed in the quarter (streets: the quarter; communities: its months), per
-- street (district pack) or per community and the street itself (street pack).
SELECT
    if({street:String} = '', street_name, if(level = 'street', street_name, coalesce(community_name, ''))) AS unit_name,
    level,
    any(level_zh) AS level_zh,
    sum(required) AS required,
    sum(held) AS held,
    sum(on_time) AS on_time,
    countIf(status = 'missed') AS missed,
    countIf(status = 'late') AS late
FROM marts.fct_meeting_compliance
WHERE period_start >= {start:Date} AND period_start < addMonths({start:Date}, 3)
  AND ({street:String} = '' OR street_id = {street:String})
GROUP BY unit_name, level
ORDER BY level DESC, unit_name
