{{ config(engine='MergeTree()', order_by='(kpi, street_id, community_id, period_start)', partition_by='toYear(period_start)') }}

-- Numerator and denominator of every versioned KPI per Shanghai month and community, under
-- the definition version in force that month. Rates over any span are sum(numerator) /
-- sum(denominator), which keeps each month's own definition.
with tickets as (
    select * from {{ ref('int_tickets_kpi_flagged') }}
),

ticket_kpis as (
    select 'response_rate' as kpi, period_start, street_id, community_id,
           any(response_version) as version, sum(is_responded) as numerator, count() as denominator
    from tickets group by period_start, street_id, community_id
    union all
    select 'resolution_rate', period_start, street_id, community_id,
           any(resolution_version), sum(is_resolved), count()
    from tickets group by period_start, street_id, community_id
    union all
    select 'satisfaction_rate', period_start, street_id, community_id,
           any(satisfaction_version), sum(is_satisfied), sum(is_rated)
    from tickets group by period_start, street_id, community_id
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

kpis as (
    select * from ticket_kpis
    union all
    select * from meeting_kpis
)

select
    kpi,
    period_start,
    street_id,
    community_id,
    toUInt16(version) as version,
    toUInt64(numerator) as numerator,
    toUInt64(denominator) as denominator,
    if(denominator = 0, NULL, numerator / denominator) as rate
from kpis
