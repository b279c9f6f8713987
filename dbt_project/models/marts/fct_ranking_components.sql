{{ config(engine='MergeTree()', order_by='(period_grain, level, period_start, street_id, community_id, kpi)') }}

-- What each ranking score is made of (README "Rankings"): one row per period (quarter and
-- month), unit (street and community) and KPI of the metric layer, with the KPI's rate, the
-- definition versions behind it, its weight and its points (Σ points = the unit's score in
-- fct_rankings). The 考核排名 dashboard and the quarterly briefing drill from a score to here.
with components as (
    {{ ranking_components() }}
),

-- the latest period of its grain and level with a score (the same rule as fct_rankings)
latest as (
    select
        *,
        {{ latest_scored_start('points is not null') }}
    from components
)

select
    components.period_grain as period_grain,
    {{ period_label('components.period_grain', 'components.period_start') }} as period,
    components.period_start as period_start,
    components.level as level,
    {{ place_columns('components') }},
    {{ ranking_unit_columns('components') }},
    components.kpi as kpi,
    {{ label_zh('kpi_label') }} as kpi_zh,
    toUInt16(components.definition_version_from) as definition_version_from,
    toUInt16(components.definition_version_to) as definition_version_to,
    toUInt64(components.period_numerator) as numerator,
    toUInt64(components.period_denominator) as denominator,
    components.rate as rate,
    toUInt16(components.weights_version) as weights_version,
    components.weight as weight,
    components.direction as direction,
    components.value as value,
    components.points as points,
    {{ is_latest_period('components') }}
from latest as components
{{ place_joins('components') }}
{{ label_join('kpi', 'components.kpi', 'kpi_label') }}
