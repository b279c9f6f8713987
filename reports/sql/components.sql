-- What the quarter's street scores are made of (fct_ranking_components, street level).
SELECT street_id, unit_name, kpi, kpi_zh, rate, weight, points, definition_version_from, definition_version_to
FROM marts.fct_ranking_components
WHERE period_grain = 'quarter' AND level = 'street' AND period_start = {start:Date}
  AND ({street:String} = '' OR street_id = {street:String})
ORDER BY unit_name, kpi
