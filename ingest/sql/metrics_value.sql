-- One KPI over one unit and period from dbt's metric layer (read as lianxi_reader: marts only).
-- The 'version' rows split the selected months by definition version (each month counted under
-- the version in force that month); the 'total' row is the figure, the dashboards' own formula
-- Σ numerator / nullIf(Σ denominator, 0) over the same sums; with no rows it is 0 / 0, value
-- NULL (an aggregate without GROUP BY: always one row). (Not GROUP BY ... WITH ROLLUP: the
-- warehouse reserves grouping() for the admin role.) In the total, by_version's columns are
-- read as v.*, so numerator_sum / denominator_sum in its value are the total's own sums.
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
),
by_version AS (
    SELECT
        version,
        sum(numerator) AS numerator_sum,
        sum(denominator) AS denominator_sum,
        min(period_start) AS first_period,
        max(period_start) AS last_period
    FROM selected
    GROUP BY version
)
SELECT
    'total' AS part,
    CAST(NULL, 'Nullable(UInt16)') AS version,
    sum(v.numerator_sum) AS numerator_sum,
    sum(v.denominator_sum) AS denominator_sum,
    numerator_sum / nullIf(denominator_sum, 0) AS value,
    min(v.first_period) AS first_period,
    max(v.last_period) AS last_period
FROM by_version AS v
UNION ALL
SELECT 'version', version, numerator_sum, denominator_sum,
       numerator_sum / nullIf(denominator_sum, 0), first_period, last_period
FROM by_version
