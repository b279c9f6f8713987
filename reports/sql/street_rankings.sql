-- The quarter's street ranking (fct_rankings, quarter × street); one street's row only when
-- a street is given.
SELECT street_id, unit_name, score, rank, units_ranked, previous_rank, rank_change, rank_change_zh,
       rag, rag_zh, weights_version
FROM marts.fct_rankings
WHERE period_grain = 'quarter' AND level = 'street' AND period_start = {start:Date}
  AND ({street:String} = '' OR street_id = {street:String})
ORDER BY rank IS NULL, rank, unit_name
