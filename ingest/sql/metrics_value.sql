-- One KPI over one unit and period from dbt's metric layer (read as lianxi_reader: marts only).
-- The 'total' row is the figure: sum(numerator) / nullIf(sum(denominator), 0) over the selected
-- months, the dashboards' own formula, each month counted under the definition version in
-- force that month; with no rows it is 0 / 0, value NULL. The 'version' rows split the same
-- months by definition version. (Not GROUP BY ... WITH ROLLUP: the warehouse reserves
-- grouping() for the admin role.) The sums are named *_sum: an alias named like
-- the column would replace it inside the value's sum().
-- Units: a street's rows are its own (e.g. its quarterly meetings, community_id '') and its
-- communities'; a community's rows carry its community_id, plus its street's own rows (the
-- community sits in its street's joint meeting), the same rule as the dashboards' row-level
-- security (dashboards/rls.py, scope community_and_street). %(street)s is set for both.
WITH selected AS (
    SELECT version, period_start, numerator, denominator
    FROM marts.fct_kpi_monthly
    WHERE kpi = %(kpi)s
      AND (%(street)s = '' OR street_id = %(street)s)
      AND (%(community)s = '' OR community_id = %(community)s OR community_id = '')
      AND period_start >= toDate(%(start)s)
      AND period_start < toDate(%(end)s)
)
SELECT
    'total' AS part,
    CAST(NULL, 'Nullable(UInt16)') AS version,
    sum(numerator) AS numerator_sum,
    sum(denominator) AS denominator_sum,
    sum(numerator) / nullIf(sum(denominator), 0) AS value,
    min(period_start) AS first_period,
    max(period_start) AS last_period
FROM selected
UNION ALL
SELECT
    'version' AS part,
    version,
    sum(numerator) AS numerator_sum,
    sum(denominator) AS denominator_sum,
    sum(numerator) / nullIf(sum(denominator), 0) AS value,
    min(period_start) AS first_period,
    max(period_start) AS last_period
FROM selected
GROUP BY version
