{{ config(engine='MergeTree()', order_by='(street_id, community_id, day)', partition_by='toYYYYMM(day)') }}

-- Counts per Shanghai-local day and community, taken from the facts so that the days add up
-- to the headline figures. Street-level activity (street joint meetings) has community_id ''.
-- Dense: every community (and every street's street-level row) has a row for every day of
-- the calendar spine, from the first day with activity to the day before the as-of day (or
-- the last day with activity, if later), so a day without events reads 0 rather than being
-- missing. Trend charts stop at the latest complete day (yesterday, Shanghai) themselves.
-- Each branch is counted per day and community before the union: the union then holds tens
-- of thousands of rows instead of every fact and event row (6 M rows at 10 M events).
with activity as (
    {{ daily_count('members_registered', ref('fct_registrations'), local_date('registered_at')) }}

    union all
    select {{ local_date('registered_at') }}, street_id, community_id, 'in_service_members_registered', toFloat64(sum(is_in_service_registered))
    from {{ ref('fct_registrations') }}
    group by all

    union all
    {{ daily_count('check_ins', ref('stg_raw__member_events'), 'occurred_on', where="event_name = 'checked_in'") }}

    union all
    {{ daily_count('wishes_posted', ref('fct_wishes'), local_date('posted_at')) }}

    union all
    {{ daily_count('wishes_claimed', ref('fct_wishes'), local_date('assumeNotNull(claimed_at)'), where='claimed_at is not null') }}

    union all
    {{ daily_count('wishes_fulfilled', ref('fct_wishes'), local_date('assumeNotNull(fulfilled_at)'), where='fulfilled_at is not null') }}

    union all
    {{ daily_count('volunteer_claims', ref('fct_volunteering'), local_date('claimed_at')) }}

    union all
    -- hours count on the day they were logged, for claims that exist in fct_volunteering;
    -- joined on the one-column claim_key (post_id/member_id): half the CPU of the two-column join
    select logs.occurred_on, claims.street_id, claims.community_id, 'volunteer_hours', sum(coalesce(logs.hours, 0))
    from {{ ref('stg_raw__volunteer_events') }} as logs
    inner join {{ ref('fct_volunteering') }} as claims
        on claims.claim_key = concat(logs.post_id, '/', assumeNotNull(logs.member_id))
    where logs.event_name = 'hours_logged'
    group by all

    union all
    {{ daily_count('tickets_opened', ref('fct_tickets'), local_date('opened_at')) }}

    union all
    {{ daily_count('tickets_resolved', ref('fct_tickets'), local_date('assumeNotNull(resolved_at)'), where='is_solved') }}

    union all
    select {{ local_date('assumeNotNull(held_at)') }}, street_id, if(level = 'street', '', community_id), 'meetings_held', toFloat64(count())
    from {{ ref('stg_raw__meeting_events') }} where event_name = 'held' and held_at is not null
    group by all
),

counted as (
    select
        day,
        street_id,
        community_id,
        toUInt64(sumIf(value, metric = 'members_registered')) as members_registered,
        toUInt64(sumIf(value, metric = 'in_service_members_registered')) as in_service_members_registered,
        toUInt64(sumIf(value, metric = 'check_ins')) as check_ins,
        toUInt64(sumIf(value, metric = 'wishes_posted')) as wishes_posted,
        toUInt64(sumIf(value, metric = 'wishes_claimed')) as wishes_claimed,
        toUInt64(sumIf(value, metric = 'wishes_fulfilled')) as wishes_fulfilled,
        toUInt64(sumIf(value, metric = 'volunteer_claims')) as volunteer_claims,
        round(sumIf(value, metric = 'volunteer_hours'), 3) as volunteer_hours,
        toUInt64(sumIf(value, metric = 'tickets_opened')) as tickets_opened,
        toUInt64(sumIf(value, metric = 'tickets_resolved')) as tickets_resolved,
        toUInt64(sumIf(value, metric = 'meetings_held')) as meetings_held
    from activity
    group by day, street_id, community_id
),

-- The calendar spine: first active day .. max(as-of day - 1, last active day), Shanghai days.
spine as (
    select arrayJoin(arrayMap(i -> toDate(first_day + i), range(toUInt32(dateDiff('day', first_day, last_day) + 1)))) as day
    from (
        select
            min(day) as first_day,
            greatest(max(day), {{ local_date(as_of()) }} - 1) as last_day
        from counted
    )
    where first_day is not null
),

-- Every community, every street's street-level row, and any other place activity names.
places as (
    select street_id, community_id from {{ ref('dim_community') }}
    union distinct
    select street_id, '' as community_id from {{ ref('dim_street') }}
    union distinct
    select street_id, community_id from counted
),

daily as (
    select
        spine.day as day,
        places.street_id as street_id,
        places.community_id as community_id,
        counted.* except (day, street_id, community_id)
    from spine
    cross join places
    left join counted
        on counted.day = spine.day
        and counted.street_id = places.street_id
        and counted.community_id = places.community_id
    settings join_use_nulls = 0
)

select
    daily.day as day,
    {{ place_columns('daily') }},
    daily.* except (day, street_id, community_id)
from daily
{{ place_joins('daily') }}
