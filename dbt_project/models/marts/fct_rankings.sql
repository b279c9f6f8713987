{{ config(engine='MergeTree()', order_by='(period_grain, level, period_start, street_id, community_id)') }}

-- Rankings (考核, README "Rankings"): per Shanghai quarter and month (period_grain), streets
-- among streets and communities among all communities of the district (level): composite
-- score from the versioned weights over the metric layer, competition rank, change against
-- the previous period of the same grain, red/amber/green band. fct_ranking_components holds
-- the per-KPI points the score adds up.
with components as (
    {{ ranking_components() }}
),

scored as (
    select
        {{ ranking_unit_key() }},
        any(weights_version) as weights_version,
        countIf(points is not null) as kpis_scored,
        -- rounded to 2 decimals, and ranked on the rounded score: units equal to the cent tie
        if(kpis_scored > 0, round(sumIf(assumeNotNull(points), points is not null), 2), NULL) as score
    from components
    group by {{ ranking_unit_key() }}
),

-- Competition ranking ("1224"): tied units share the best rank and the next unit's rank
-- counts every unit ahead of it. Units without a score are not ranked (NULL rank).
ranked as (
    select
        *,
        if(score is null, NULL, toUInt32(rank() over (
            partition by period_grain, period_start, level order by score desc nulls last))) as rank,
        toUInt32(countIf(score is not null) over (partition by period_grain, period_start, level)) as units_ranked,
        -- a community's rank among the communities of its street (a street's = its rank)
        if(score is null, NULL, toUInt32(rank() over (
            partition by period_grain, period_start, level, street_id order by score desc nulls last))) as rank_in_street,
        {{ latest_scored_start('score is not null') }}
    from scored
),

-- RAG band: the highest min_score ≤ score (seeds/ranking_thresholds.csv).
bands as (
    select arrayReverseSort(band -> band.2, groupArray((rag, min_score))) as bands
    from {{ ref('ranking_thresholds') }}
),

banded as (
    select
        ranked.*,
        if(ranked.score is null, NULL, nullIf(arrayFirst(band -> band.2 <= assumeNotNull(ranked.score), bands.bands).1, '')) as rag,
        if(ranked.period_grain = 'quarter', addQuarters(ranked.period_start, -1), addMonths(ranked.period_start, -1)) as previous_start
    from ranked
    cross join bands
),

changed as (
    select
        this_p.*,
        -- the unit's rank in the previous period of the same grain (NULL if not ranked then)
        prev_p.rank as previous_rank,
        -- > 0 = moved up
        toInt32(prev_p.rank) - toInt32(this_p.rank) as rank_change
    from banded as this_p
    left join (
        select {{ ranking_unit_key() }}, rank from ranked
    ) as prev_p
        on prev_p.period_grain = this_p.period_grain and prev_p.level = this_p.level
        and prev_p.street_id = this_p.street_id and prev_p.community_id = this_p.community_id
        and prev_p.period_start = this_p.previous_start
)

select
    changed.period_grain as period_grain,
    {{ label_zh('grain_label') }} as period_grain_zh,
    {{ period_label('changed.period_grain', 'changed.period_start') }} as period,
    changed.period_start as period_start,
    changed.level as level,
    {{ label_zh('level_label') }} as level_zh,
    {{ place_columns('changed') }},
    {{ ranking_unit_columns('changed') }},
    toUInt16(changed.weights_version) as weights_version,
    toUInt32(changed.kpis_scored) as kpis_scored,
    changed.score as score,
    changed.rank as rank,
    changed.units_ranked as units_ranked,
    changed.rank_in_street as rank_in_street,
    changed.previous_rank as previous_rank,
    changed.rank_change as rank_change,
    -- how the change reads on a dashboard or in the briefing: ↑2, ↓1, 持平, — (no rank to compare)
    multiIf(
        changed.rank_change is null, '—',
        changed.rank_change > 0, concat('↑', toString(changed.rank_change)),
        changed.rank_change < 0, concat('↓', toString(-changed.rank_change)),
        '持平'
    ) as rank_change_zh,
    changed.rag as rag,
    {{ label_zh('rag_label') }} as rag_zh,
    -- 1 on the latest period of its grain and level in which any unit has a score: what
    -- "this quarter's ranking" shows (dashboards cannot run a subquery for it)
    {{ is_latest_period('changed') }}
from changed
{{ place_joins('changed') }}
{{ label_join('period_grain', 'changed.period_grain', 'grain_label') }}
{{ label_join('org_level', 'changed.level', 'level_label') }}
{{ label_join('rag', 'changed.rag', 'rag_label') }}
