{{ config(materialized='view') }}

-- The street ranking per Shanghai quarter: the quarter/street slice of fct_rankings, kept
-- under its first name (README "Rankings"). One definition: no ranking logic here.
select
    period_start,
    period as quarter,
    street_id,
    street_name,
    weights_version,
    kpis_scored,
    score,
    rank,
    units_ranked as streets_ranked,
    previous_rank,
    rank_change,
    rank_change_zh,
    rag,
    rag_zh
from {{ ref('fct_rankings') }}
where period_grain = 'quarter' and level = 'street'
