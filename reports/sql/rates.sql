-- The quarter's rates for the district (street = '') or one street: Σ numerator / Σ
-- denominator of the metric layer over the quarter's months, the dashboards' expression, with
-- the definition versions those months applied.
SELECT
    kpi,
    any(kpi_zh) AS kpi_zh,
    sum(numerator) AS quarter_numerator,
    sum(denominator) AS quarter_denominator,
    quarter_numerator / nullIf(quarter_denominator, 0) AS rate,
    arraySort(groupUniqArray(version)) AS versions
FROM marts.fct_kpi_monthly
WHERE period_start >= {start:Date} AND period_start < addMonths({start:Date}, 3)
  AND ({street:String} = '' OR street_id = {street:String})
GROUP BY kpi
ORDER BY kpi
