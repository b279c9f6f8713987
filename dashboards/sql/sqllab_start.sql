-- 全区各项指标（按季度、按街道），口径来自 marts.fct_kpi_monthly（版本化定义 kpi_definitions）。
-- 比率 = 分子合计 / 分母合计（不要对比率求平均）。中文列名需加反引号。时间按北京时间（Asia/Shanghai）。
SELECT
    kpi_zh AS `指标`,
    version AS `口径版本`,
    street_name AS `街道`,
    toStartOfQuarter(period_start) AS `季度`,
    sum(numerator) AS `分子`,
    sum(denominator) AS `分母`,
    round(sum(numerator) / nullIf(sum(denominator), 0) * 100, 1) AS `比率（%）`
FROM marts.fct_kpi_monthly
GROUP BY kpi_zh, version, street_name, toStartOfQuarter(period_start)
ORDER BY kpi_zh, street_name, toStartOfQuarter(period_start)
