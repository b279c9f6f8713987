{#- The ranking (考核) components, shared by fct_ranking_components (one row per KPI, what a
    score is made of) and fct_rankings (one row per unit, the score and rank), so both read the
    metric layer through the same SQL and a unit test on fct_rankings covers all of it.

    Every fct_kpi_monthly row counts towards its Shanghai month and its Shanghai quarter
    (period_grain), for its street and, when it is a community row, for its community (level;
    a street's street-level meeting rows, community_id = '', count for the street only).
    Per unit, period and KPI: rate = Σ numerator / Σ denominator (each month under its own
    definition version: definition_version_from/_to), the weights version in force on the
    period's first day, the KPI's weight and direction, value = rate or 1 − rate
    (lower_better), and points = 100 × weight × value / Σ weight over the unit's weighted KPIs
    with data (a denominator > 0): the weights are re-normalised over the KPIs a unit has data
    for, and the points of a unit add up to its score. -#}
{% macro ranking_components() -%}
with monthly as (
    select kpi, period_start as month_start, street_id, community_id, version, numerator, denominator
    from {{ ref('fct_kpi_monthly') }}
    where street_id != ''
),

periods as (
    select
        grain.1 as period_grain,
        grain.2 as period_start,
        level,
        street_id,
        if(level = 'street', '', community_id) as community_id,
        kpi,
        version,
        numerator,
        denominator
    from monthly
    array join [('quarter', toStartOfQuarter(month_start)), ('month', month_start)] as grain
    array join ['street', 'community'] as level
    where level = 'street' or community_id != ''
),

rates as (
    select
        {{ ranking_unit_key() }},
        kpi,
        min(version) as definition_version_from,
        max(version) as definition_version_to,
        sum(periods.numerator) as period_numerator,
        sum(periods.denominator) as period_denominator,
        if(period_denominator = 0, NULL, period_numerator / period_denominator) as rate
    from periods
    group by {{ ranking_unit_key() }}, kpi
),

-- Weights version in force for a period: the latest version whose effective_from is on or
-- before the period's first day. A version starting mid-quarter (e.g. 1 August) applies to
-- the months from August on; the quarter keeps the version of its first day.
weight_versions as (
    select version, min(effective_from) as effective_from
    from {{ ref('ranking_weights') }}
    group by version
),

period_versions as (
    select
        periods.period_grain as period_grain,
        periods.period_start as period_start,
        argMax(weight_versions.version, weight_versions.effective_from) as weights_version
    from (select distinct period_grain, period_start from rates) as periods
    cross join weight_versions
    where weight_versions.effective_from <= periods.period_start
    group by periods.period_grain, periods.period_start
),

weighted as (
    select
        rates.period_grain as period_grain,
        rates.period_start as period_start,
        rates.level as level,
        rates.street_id as street_id,
        rates.community_id as community_id,
        rates.kpi as kpi,
        rates.definition_version_from as definition_version_from,
        rates.definition_version_to as definition_version_to,
        rates.period_numerator as period_numerator,
        rates.period_denominator as period_denominator,
        rates.rate as rate,
        versions.weights_version as weights_version,
        -- no weight in the version: NULL (the KPI is shown but not scored)
        if(weights.kpi = '', NULL, weights.weight) as weight,
        nullIf(weights.direction, '') as direction,
        if(rates.rate is null or weights.kpi = '' or weights.weight <= 0, NULL,
           if(weights.direction = 'lower_better', 1 - assumeNotNull(rates.rate), assumeNotNull(rates.rate))) as value
    from rates
    inner join period_versions as versions
        on versions.period_grain = rates.period_grain and versions.period_start = rates.period_start
    left join {{ ref('ranking_weights') }} as weights
        on weights.version = versions.weights_version and weights.kpi = rates.kpi
),

with_data as (
    select
        *,
        sum(if(value is null, 0, assumeNotNull(weight))) over (
            partition by {{ ranking_unit_key() }}
        ) as weight_with_data
    from weighted
)

select
    *,
    if(value is null, NULL, 100 * assumeNotNull(weight) * assumeNotNull(value) / weight_with_data) as points
from with_data
{%- endmacro %}

{#- The period as people write it: 2026-Q3 for a quarter, 2026-07 for a month. -#}
{% macro period_label(grain, start) -%}
if({{ grain }} = 'quarter',
   concat(toString(toYear({{ start }})), '-Q', toString(toQuarter({{ start }}))),
   formatDateTime({{ start }}, '%Y-%m'))
{%- endmacro %}

{#- One ranked unit in one period: the grain of fct_rankings (fct_ranking_components adds the
    KPI). -#}
{% macro ranking_unit_key() -%}
period_grain, period_start, level, street_id, community_id
{%- endmacro %}

{#- The ranked unit's id and name: its street on the street level, its community otherwise
    (after place_joins, which names the streets and communities). -#}
{% macro ranking_unit_columns(alias) -%}
    if({{ alias }}.level = 'street', {{ alias }}.street_id, {{ alias }}.community_id) as unit_id,
    if({{ alias }}.level = 'street', streets.street_name, communities.community_name) as unit_name
{%- endmacro %}

{#- "This quarter's ranking": the latest period of its grain and level in which any unit has a
    score (scored: the row's condition). latest_scored_start is the window column, and
    is_latest_period(alias) the 0/1 flag dashboards filter on (they cannot run a subquery). -#}
{% macro latest_scored_start(scored) -%}
    max(if({{ scored }}, period_start, NULL)) over (partition by period_grain, level) as latest_scored_start
{%- endmacro %}

{% macro is_latest_period(alias) -%}
    toUInt8(ifNull({{ alias }}.period_start = {{ alias }}.latest_scored_start, 0)) as is_latest_period
{%- endmacro %}
