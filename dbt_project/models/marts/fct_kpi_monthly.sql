{{ config(engine='MergeTree()', order_by='(kpi, street_id, community_id, period_start)', partition_by='toYear(period_start)') }}

-- Numerator and denominator of every versioned KPI per Shanghai month and community, under
-- the definition version in force that month. Rates over any span are sum(numerator) /
-- sum(denominator), which keeps each month's own definition. This is the metric layer: the
-- headline and every dashboard rate read these columns, none recomputes a definition.
with tickets as (
    select * from {{ ref('int_tickets_kpi_flagged') }}
),

-- One pass over the tickets for the three rates (a union of three GROUP BYs computed the
-- flagged tickets three times), then one row per rate.
ticket_months as (
    select
        period_start,
        street_id,
        community_id,
        any(response_version) as response_version,
        any(resolution_version) as resolution_version,
        any(satisfaction_version) as satisfaction_version,
        sum(is_responded) as responded,
        sum(is_resolved) as resolved,
        sum(is_satisfied) as satisfied,
        sum(is_rated) as rated,
        count() as opened
    from tickets
    group by period_start, street_id, community_id
),

ticket_kpis as (
    select
        rate.1 as kpi,
        period_start,
        street_id,
        community_id,
        rate.2 as version,
        rate.3 as numerator,
        rate.4 as denominator
    from ticket_months
    array join [
        ('response_rate', response_version, responded, opened),
        ('resolution_rate', resolution_version, resolved, opened),
        ('satisfaction_rate', satisfaction_version, satisfied, rated)
    ] as rate
),

meeting_kpis as (
    select
        concat(level, '_meeting_compliance') as kpi,
        period_start,
        street_id,
        community_id,
        any(compliance_version) as version,
        sum(is_compliant) as numerator,
        sum(required) as denominator
    from {{ ref('fct_meeting_compliance') }}
    group by level, period_start, street_id, community_id
),

-- Wishes by their Shanghai posting month: fulfilled / posted.
wish_kpis as (
    select
        'wish_fulfilment_rate' as kpi,
        wishes.period_start as period_start,
        wishes.street_id as street_id,
        wishes.community_id as community_id,
        any(versions.version) as version,
        countIf(wishes.fulfilled_at is not null) as numerator,
        count() as denominator
    from (
        select *, toStartOfMonth({{ local_date('posted_at') }}) as period_start from {{ ref('fct_wishes') }}
    ) as wishes
    {{ kpi_version_join('wish_fulfilment_rate', 'wishes') }}
    group by wishes.period_start, wishes.street_id, wishes.community_id
),

-- 超期率 by the Shanghai month the resolution deadline falls in, counting only deadlines that
-- have passed as of the build (a deadline later this month is not due yet): tickets past their
-- deadline (resolved or closed after it, or still open after it; fct_tickets'
-- is_resolution_overdue, evaluated at the same as_of) / tickets due. Lower is better.
overdue_kpis as (
    select
        'overdue_rate' as kpi,
        due.period_start as period_start,
        due.street_id as street_id,
        due.community_id as community_id,
        any(versions.version) as version,
        countIf(due.is_resolution_overdue = 1) as numerator,
        count() as denominator
    from (
        select *, toStartOfMonth({{ local_date('assumeNotNull(resolution_due_at)') }}) as period_start
        from {{ ref('fct_tickets') }}
        where resolution_due_at <= {{ as_of() }}
    ) as due
    {{ kpi_version_join('overdue_rate', 'due') }}
    group by due.period_start, due.street_id, due.community_id
),

kpis as (
    select kpi, period_start, street_id, community_id, toUInt16(version) as version,
           toUInt64(numerator) as numerator, toUInt64(denominator) as denominator
    from ticket_kpis
    union all
    select kpi, period_start, street_id, community_id, toUInt16(version),
           toUInt64(numerator), toUInt64(denominator)
    from meeting_kpis
    union all
    select kpi, period_start, street_id, community_id, toUInt16(version),
           toUInt64(numerator), toUInt64(denominator)
    from wish_kpis
    union all
    select kpi, period_start, street_id, community_id, toUInt16(version),
           toUInt64(numerator), toUInt64(denominator)
    from overdue_kpis
)

select
    kpis.kpi as kpi,
    {{ label_zh('kpi_label') }} as kpi_zh,
    kpis.period_start as period_start,
    {{ place_columns('kpis') }},
    toUInt16(kpis.version) as version,
    toUInt64(kpis.numerator) as numerator,
    toUInt64(kpis.denominator) as denominator,
    if(kpis.denominator = 0, NULL, kpis.numerator / kpis.denominator) as rate
from kpis
{{ place_joins('kpis') }}
{{ label_join('kpi', 'kpis.kpi', 'kpi_label') }}
