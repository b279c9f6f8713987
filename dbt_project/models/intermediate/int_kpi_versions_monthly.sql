-- Which version of each KPI definition is in force in each month: the latest version whose
-- effective_from is on or before the month's first day. Quarters start on a month's first
-- day, so quarterly periods look up the same table. Months before the first version fall
-- back to the first version.
with definitions as (
    select * from {{ ref('kpi_definitions') }}
),

months as (
    select addMonths(toDate('2000-01-01'), number) as period_start
    from numbers(12 * 60)
),

candidates as (
    select
        months.period_start as period_start,
        definitions.kpi as kpi,
        definitions.version as version,
        definitions.effective_from as effective_from,
        definitions.threshold_hours as threshold_hours
    from months
    cross join definitions
),

in_force as (
    select
        period_start,
        kpi,
        if(countIf(effective_from <= period_start) > 0,
           argMaxIf(version, effective_from, effective_from <= period_start),
           argMin(version, effective_from)) as version,
        if(countIf(effective_from <= period_start) > 0,
           argMaxIf(threshold_hours, effective_from, effective_from <= period_start),
           argMin(threshold_hours, effective_from)) as threshold_hours
    from candidates
    group by period_start, kpi
)

select * from in_force
