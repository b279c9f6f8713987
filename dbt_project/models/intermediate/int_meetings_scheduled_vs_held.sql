-- Every street owes one joint meeting per quarter, every community one per month, from the
-- period it was registered up to the as-of period. A held meeting belongs to the period it
-- was scheduled for (else the period it was held in): held inside that period is on time,
-- after it is late; a period with none is missed. The period still running is 'pending'
-- until its meeting is held. Periods are Shanghai-local (a meeting at 00:30 +08 on 1 April
-- is a Q2 meeting even though it is still 31 March in UTC).
with org as (
    select * from {{ ref('stg_raw__org_events') }}
    where event_name in ('street_registered', 'community_registered')
),

as_of as (
    select {{ as_of() }} as as_of_at, {{ local_date(as_of()) }} as as_of_day
),

obligations as (
    select
        'street' as level,
        street_id,
        '' as community_id,
        toStartOfQuarter({{ local_date('min(occurred_at)') }}) as first_period
    from org
    where event_name = 'street_registered'
    group by street_id

    union all

    select
        'community' as level,
        argMin(street_id, occurred_at) as street_id,
        community_id,
        toStartOfMonth({{ local_date('min(occurred_at)') }}) as first_period
    from org
    where event_name = 'community_registered'
    group by community_id
),

periods as (
    select
        obligations.level as level,
        obligations.street_id as street_id,
        obligations.community_id as community_id,
        arrayJoin(
            if(level = 'street',
               arrayMap(i -> addQuarters(first_period, i),
                        range(toUInt32(greatest(0, dateDiff('quarter', first_period, toStartOfQuarter(as_of_day)) + 1)))),
               arrayMap(i -> addMonths(first_period, i),
                        range(toUInt32(greatest(0, dateDiff('month', first_period, toStartOfMonth(as_of_day)) + 1)))))
        ) as period_start,
        if(level = 'street', addQuarters(period_start, 1), addMonths(period_start, 1)) as period_end,
        period_end > as_of_day as is_current
    from obligations
    cross join as_of
),

meetings as (
    select
        meeting_id,
        argMaxIf(level, occurred_at, level is not null) as level,
        argMinIf(street_id, occurred_at, street_id != '') as street_id,
        argMinIf(community_id, occurred_at, community_id != '') as community_id,
        minIfOrNull(scheduled_for, event_name = 'scheduled') as scheduled_for,
        minIfOrNull(held_at, event_name = 'held') as held_at,
        argMinIf(attending_unit_ids, occurred_at, event_name = 'held') as attending_unit_ids,
        argMinIf(chair_role, occurred_at, event_name = 'held') as chair_role,
        groupArray((event_type, toString(source), event_id)) as event_refs
    from {{ ref('stg_raw__meeting_events') }}
    where event_name in ('scheduled', 'held')
    group by meeting_id
),

meetings_in_periods as (
    select
        level,
        street_id,
        if(level = 'street', '', community_id) as community_id,
        coalesce(scheduled_for, held_at) as due_at,
        if(level = 'street',
           toStartOfQuarter({{ local_date('due_at') }}),
           toStartOfMonth({{ local_date('due_at') }})) as period_start,
        if(level = 'street', addQuarters(period_start, 1), addMonths(period_start, 1)) as period_end,
        held_at,
        held_at is not null and {{ local_date('held_at') }} < period_end as is_on_time,
        length(attending_unit_ids) as attending_units,
        meeting_id,
        event_refs
    from meetings
    where level in ('street', 'community') and due_at is not null
),

held_per_period as (
    select
        level,
        street_id,
        community_id,
        period_start,
        countIf(held_at is not null) as meetings_held,
        countIf(is_on_time) as meetings_on_time,
        maxIf(attending_units, held_at is not null) as attending_units,
        groupArrayIf(meeting_id, held_at is not null) as meeting_ids,
        arrayFlatten(groupArray(event_refs)) as event_refs
    from meetings_in_periods
    group by level, street_id, community_id, period_start
),

compliance as (
    select
        periods.level as level,
        periods.street_id as street_id,
        periods.community_id as community_id,
        periods.period_start as period_start,
        if(periods.level = 'street',
           concat(toString(toYear(periods.period_start)), '-Q', toString(toQuarter(periods.period_start))),
           formatDateTime(periods.period_start, '%Y-%m')) as period,
        periods.is_current as is_current,
        toUInt8(held.meetings_held > 0) as held,
        toUInt8(held.meetings_on_time > 0) as on_time,
        toUInt8(not (periods.is_current and held.meetings_held = 0)) as required,
        multiIf(
            held.meetings_on_time > 0, 'held',
            held.meetings_held > 0, 'late',
            periods.is_current, 'pending',
            'missed'
        ) as status,
        toUInt32(held.attending_units) as attending_units,
        held.meeting_ids as meeting_ids,
        held.event_refs as event_refs
    from periods
    left join held_per_period as held
        on held.level = periods.level
        and held.street_id = periods.street_id
        and held.community_id = periods.community_id
        and held.period_start = periods.period_start
    settings join_use_nulls = 0
)

select * from compliance
