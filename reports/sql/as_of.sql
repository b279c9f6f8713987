-- When the marts were built: the dbt run's as_of (数据截至 on the cover).
SELECT as_of FROM marts.fct_headline_indicators LIMIT 1
