-- The quarter's community ranking (fct_rankings, quarter × community), of one street when given.
SELECT street_name, unit_name, score, rank, units_ranked, rank_in_street, rank_change_zh, rag, rag_zh
FROM marts.fct_rankings
WHERE period_grain = 'quarter' AND level = 'community' AND period_start = {start:Date}
  AND ({street:String} = '' OR street_id = {street:String})
ORDER BY rank IS NULL, rank, unit_name
