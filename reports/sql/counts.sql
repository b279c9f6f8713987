-- The quarter's counts, each on the Shanghai day the dashboards filter it by (受理日期,
-- 发布日期, 认领日期, 报到日期), for the district (street = '') or one street.
WITH {start:Date} AS q_start, addMonths({start:Date}, 3) AS q_end, {street:String} AS street
SELECT
    (SELECT count() FROM marts.fct_tickets
     WHERE toDate(opened_at, 'Asia/Shanghai') >= q_start AND toDate(opened_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS tickets_opened,
    (SELECT countIf(resolved_at IS NOT NULL) FROM marts.fct_tickets
     WHERE toDate(opened_at, 'Asia/Shanghai') >= q_start AND toDate(opened_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS tickets_resolved,
    (SELECT count() FROM marts.fct_wishes
     WHERE toDate(posted_at, 'Asia/Shanghai') >= q_start AND toDate(posted_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS wishes_posted,
    (SELECT countIf(claimed_at IS NOT NULL) FROM marts.fct_wishes
     WHERE toDate(posted_at, 'Asia/Shanghai') >= q_start AND toDate(posted_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS wishes_claimed,
    (SELECT countIf(fulfilled_at IS NOT NULL) FROM marts.fct_wishes
     WHERE toDate(posted_at, 'Asia/Shanghai') >= q_start AND toDate(posted_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS wishes_fulfilled,
    (SELECT count() FROM marts.fct_volunteering
     WHERE toDate(claimed_at, 'Asia/Shanghai') >= q_start AND toDate(claimed_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS volunteer_claims,
    (SELECT round(sum(hours), 1) FROM marts.fct_volunteering
     WHERE toDate(claimed_at, 'Asia/Shanghai') >= q_start AND toDate(claimed_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS volunteer_hours,
    (SELECT count() FROM marts.fct_registrations
     WHERE toDate(registered_at, 'Asia/Shanghai') >= q_start AND toDate(registered_at, 'Asia/Shanghai') < q_end
       AND (street = '' OR street_id = street)) AS members_registered
