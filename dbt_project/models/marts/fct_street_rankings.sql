{{ config(engine='MergeTree()', order_by='(period_start, street_id)') }}

-- Street ranking (考核) per Shanghai quarter (README "Rankings"). Rates come from the metric
-- layer exactly as the dashboards compute them: Σ numerator / Σ denominator of the street's
-- fct_kpi_monthly rows in the quarter (its communities' rows and its street-level rows), each
-- month under its own definition version. fct_kpi_monthly.period_start is a Shanghai month,
-- so toStartOfQuarter of it is the Shanghai quarter.
with monthly as (
    select
        kpi,
        toStartOfQuarter(period_start) as period_start,
        street_id,
        street_name,
        numerator,
        denominator
    from {{ ref('fct_kpi_monthly') }}
    where street_id != ''
),

quarter_rates as (
    select
        period_start,
        street_id,
        kpi,
        sum(numerator) / nullIf(sum(denominator), 0) as rate
    from monthly
    group by period_start, street_id, kpi
),

-- Weights version in force for a quarter: the latest version whose effective_from is on or
-- before the quarter's first day (as kpi_definitions.csv does for months).
weight_versions as (
    select version, min(effective_from) as effective_from
    from {{ ref('ranking_weights') }}
    group by version
),

quarter_versions as (
    select quarters.period_start as period_start, argMax(weight_versions.version, weight_versions.effective_from) as weights_version
    from (select distinct period_start from monthly) as quarters
    cross join weight_versions
    where weight_versions.effective_from <= quarters.period_start
    group by quarters.period_start
),

-- Composite score = 100 × Σ weight × value / Σ weight, value = rate (higher_better) or
-- 1 − rate (lower_better), both sums over the weighted KPIs WITH DATA (a denominator > 0) that
-- quarter: the weights are re-normalised over the KPIs a street has data for, so a street
-- without e.g. any wish posted is scored on the others instead of counting 0 for wishes.
-- KPIs without a weight in the version are ignored. No weighted KPI with data → NULL score.
scored as (
    select
        rates.period_start as period_start,
        rates.street_id as street_id,
        any(versions.weights_version) as weights_version,
        sumIf(weights.weight, rates.rate is not null and weights.weight > 0) as weight_with_data,
        sumIf(
            weights.weight * if(weights.direction = 'lower_better', 1 - assumeNotNull(rates.rate), assumeNotNull(rates.rate)),
            rates.rate is not null and weights.weight > 0
        ) as weighted_sum,
        -- rounded to 2 decimals, and ranked on the rounded score: streets equal to the cent tie
        if(weight_with_data > 0, round(100 * weighted_sum / weight_with_data, 2), NULL) as score,
        countIf(rates.rate is not null and weights.weight > 0) as kpis_scored
    from quarter_rates as rates
    inner join quarter_versions as versions on versions.period_start = rates.period_start
    left join {{ ref('ranking_weights') }} as weights
        on weights.version = versions.weights_version and weights.kpi = rates.kpi
    group by rates.period_start, rates.street_id
),

-- Competition ranking ("1224"): tied streets share the best rank and the next street's rank
-- counts every street ahead of it. Streets without a score are not ranked (NULL rank).
ranked as (
    select
        period_start,
        street_id,
        weights_version,
        score,
        kpis_scored,
        if(score is null, NULL, toUInt32(rank() over (partition by period_start order by score desc nulls last))) as rank,
        toUInt32(countIf(score is not null) over (partition by period_start)) as streets_ranked
    from scored
),

-- RAG band: the highest min_score ≤ score (seeds/ranking_thresholds.csv).
bands as (
    select arrayReverseSort(band -> band.2, groupArray((rag, min_score))) as bands
    from {{ ref('ranking_thresholds') }}
),

names as (
    select street_id, any(street_name) as street_name
    from monthly
    group by street_id
),

banded as (
    select
        ranked.*,
        if(ranked.score is null, NULL, nullIf(arrayFirst(band -> band.2 <= assumeNotNull(ranked.score), bands.bands).1, '')) as rag
    from ranked
    cross join bands
)

select
    this_q.period_start as period_start,
    -- the Shanghai quarter, e.g. 2026-Q1 (period_start is already a Shanghai date)
    concat(toString(toYear(this_q.period_start)), '-Q', toString(toQuarter(this_q.period_start))) as quarter,
    this_q.street_id as street_id,
    names.street_name as street_name,
    this_q.weights_version as weights_version,
    this_q.kpis_scored as kpis_scored,
    this_q.score as score,
    this_q.rank as rank,
    this_q.streets_ranked as streets_ranked,
    -- previous quarter's rank (NULL if the street was not ranked then); rank_change > 0 = moved up
    prev_q.rank as previous_rank,
    toInt32(prev_q.rank) - toInt32(this_q.rank) as rank_change,
    this_q.rag as rag,
    {{ label_zh('rag_label') }} as rag_zh
from banded as this_q
left join (
    select period_start, street_id, rank from ranked
) as prev_q
    on prev_q.street_id = this_q.street_id and prev_q.period_start = addQuarters(this_q.period_start, -1)
left join names on names.street_id = this_q.street_id
{{ label_join('rag', 'this_q.rag', 'rag_label') }}
