-- Micro-wishes (by posting day) and volunteer claims (by claim day) in the quarter, per street
-- (district pack) or per community (street pack).
WITH {start:Date} AS q_start, addMonths({start:Date}, 3) AS q_end
SELECT unit_name, sum(posted) AS posted, sum(claimed) AS claimed, sum(fulfilled) AS fulfilled,
       sum(claims) AS volunteer_claims, round(sum(hours), 1) AS volunteer_hours
FROM (
    SELECT if({street:String} = '', street_name, community_name) AS unit_name, 1 AS posted,
           toUInt8(claimed_at IS NOT NULL) AS claimed, toUInt8(fulfilled_at IS NOT NULL) AS fulfilled,
           0 AS claims, 0.0 AS hours
    FROM marts.fct_wishes
    WHERE toDate(posted_at, 'Asia/Shanghai') >= q_start AND toDate(posted_at, 'Asia/Shanghai') < q_end
      AND ({street:String} = '' OR street_id = {street:String})
    UNION ALL
    SELECT if({street:String} = '', street_name, community_name), 0, 0, 0, 1, hours
    FROM marts.fct_volunteering
    WHERE toDate(claimed_at, 'Asia/Shanghai') >= q_start AND toDate(claimed_at, 'Asia/Shanghai') < q_end
      AND ({street:String} = '' OR street_id = {street:String})
)
GROUP BY unit_name
ORDER BY unit_name
