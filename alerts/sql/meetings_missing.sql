-- Streets (one joint meeting per quarter) and communities (one per month) whose current
-- Shanghai period ends before %(warn_until)s and has no held meeting yet, plus every unit
-- in %(watched)s (an open meeting alert) with whether its period's meeting is held now.
-- Same rule as dbt's int_meetings_scheduled_vs_held: a meeting belongs to the period it was
-- scheduled for (else the one it was held in); it counts once held. Periods are
-- Shanghai-local; %(today)s is the Shanghai date of the pass.
WITH
    toDate(%(today)s) AS today,
    units AS (
        SELECT 'street' AS level, street_id, '' AS community_id
        FROM {raw}.org_events WHERE type = 'lianxi.org.street_registered'
        GROUP BY street_id
        UNION ALL
        SELECT 'community' AS level, argMin(street_id, time) AS street_id, community_id
        FROM {raw}.org_events WHERE type = 'lianxi.org.community_registered'
        GROUP BY community_id
    ),
    periods AS (
        SELECT
            level, street_id, community_id,
            if(level = 'street', toStartOfQuarter(today), toStartOfMonth(today)) AS period_start,
            if(level = 'street', addQuarters(period_start, 1), addMonths(period_start, 1)) AS period_end,
            if(level = 'street',
               concat(toString(toYear(period_start)), 'Q', toString(toQuarter(period_start))),
               formatDateTime(period_start, '%%Y-%%m')) AS period,
            -- the period ends at Shanghai midnight of period_end
            toDateTime64(toDateTime(period_end, 'Asia/Shanghai'), 3, 'UTC') AS ends_at
        FROM units
    ),
    meetings AS (
        SELECT
            subject AS meeting_id,
            argMaxIf(level, time, level IS NOT NULL) AS level,
            argMinIf(street_id, time, street_id != '') AS street_id,
            argMinIf(community_id, time, community_id != '') AS community_id,
            minIfOrNull(scheduled_for, type = 'lianxi.meeting.scheduled') AS scheduled_for,
            minIfOrNull(held_at, type = 'lianxi.meeting.held') AS held_at
        FROM {raw}.meeting_events
        WHERE type IN ('lianxi.meeting.scheduled', 'lianxi.meeting.held')
          AND time >= toDateTime64(%(since)s, 3, 'UTC')
        GROUP BY subject
    ),
    held AS (
        SELECT level, street_id, if(level = 'street', '', community_id) AS community_id,
               if(level = 'street', toStartOfQuarter(toDate(coalesce(scheduled_for, held_at), 'Asia/Shanghai')),
                  toStartOfMonth(toDate(coalesce(scheduled_for, held_at), 'Asia/Shanghai'))) AS period_start,
               count() AS meetings_held
        FROM meetings
        WHERE held_at IS NOT NULL AND level IN ('street', 'community')
        GROUP BY level, street_id, community_id, period_start
    )
SELECT
    periods.level AS level,
    periods.street_id AS street_id,
    periods.community_id AS community_id,
    periods.period AS period,
    periods.ends_at AS ends_at,
    held.meetings_held > 0 AS is_held
FROM periods
LEFT JOIN held
    ON held.level = periods.level AND held.street_id = periods.street_id
    AND held.community_id = periods.community_id AND held.period_start = periods.period_start
WHERE (held.meetings_held = 0 AND periods.ends_at <= toDateTime64(%(warn_until)s, 3, 'UTC'))
   OR has(%(watched)s, concat(periods.level, ':', if(periods.level = 'street', periods.street_id, periods.community_id), '/', periods.period))
SETTINGS join_use_nulls = 0
