{{ config(engine='MergeTree()', order_by='(street_id, community_id, day)', partition_by='toYYYYMM(day)') }}

-- Counts per Shanghai-local day and community, taken from the facts so that the days add up
-- to the headline figures. Street-level activity (street joint meetings) has community_id ''.
with activity as (
    select {{ local_date('registered_at') }} as day, street_id, community_id, 'members_registered' as metric, 1.0 as value
    from {{ ref('fct_registrations') }}

    union all
    select occurred_on, street_id, community_id, 'check_ins', 1.0
    from {{ ref('stg_raw__member_events') }}
    where event_name = 'checked_in'

    union all
    select {{ local_date('posted_at') }}, street_id, community_id, 'wishes_posted', 1.0
    from {{ ref('fct_wishes') }}

    union all
    select {{ local_date('assumeNotNull(claimed_at)') }}, street_id, community_id, 'wishes_claimed', 1.0
    from {{ ref('fct_wishes') }} where claimed_at is not null

    union all
    select {{ local_date('assumeNotNull(fulfilled_at)') }}, street_id, community_id, 'wishes_fulfilled', 1.0
    from {{ ref('fct_wishes') }} where fulfilled_at is not null

    union all
    select {{ local_date('claimed_at') }}, street_id, community_id, 'volunteer_claims', 1.0
    from {{ ref('fct_volunteering') }}

    union all
    -- hours count on the day they were logged, for claims that exist in fct_volunteering
    select logs.occurred_on, claims.street_id, claims.community_id, 'volunteer_hours', coalesce(logs.hours, 0)
    from {{ ref('stg_raw__volunteer_events') }} as logs
    inner join {{ ref('fct_volunteering') }} as claims
        on claims.post_id = logs.post_id and claims.member_id = assumeNotNull(logs.member_id)
    where logs.event_name = 'hours_logged'

    union all
    select {{ local_date('opened_at') }}, street_id, community_id, 'tickets_opened', 1.0
    from {{ ref('fct_tickets') }}

    union all
    select {{ local_date('assumeNotNull(resolved_at)') }}, street_id, community_id, 'tickets_resolved', 1.0
    from {{ ref('fct_tickets') }} where is_solved

    union all
    select {{ local_date('assumeNotNull(held_at)') }}, street_id, if(level = 'street', '', community_id), 'meetings_held', 1.0
    from {{ ref('stg_raw__meeting_events') }} where event_name = 'held' and held_at is not null
),

daily as (
    select
        day,
        street_id,
        community_id,
        toUInt64(sumIf(value, metric = 'members_registered')) as members_registered,
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
)

select
    daily.day as day,
    daily.street_id as street_id,
    streets.street_name as street_name,
    daily.community_id as community_id,
    communities.community_name as community_name,
    daily.* except (day, street_id, community_id)
from daily
left join {{ ref('dim_street') }} as streets on streets.street_id = daily.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = daily.community_id
