-- The KPIs GET /v1/metrics serves (read as lianxi_reader: marts only). The catalogue is the
-- 'kpi' domain of seeds/code_labels.csv: exactly the codes fct_kpi_monthly's kpi may take
-- (its accepted_values test), each with its Chinese label, so a KPI without data yet is still
-- known (value null) rather than 404.
-- The street and community meeting KPIs share the definition 'meeting_compliance' of
-- seeds/kpi_definitions.csv (fct_kpi_monthly names them concat(level, '_meeting_compliance')).
-- The version in force today follows int_kpi_versions_monthly's rule: the latest version whose
-- effective_from is on or before today (Shanghai), else the first version. (The aliases are
-- current_*: an alias named like a column would replace it inside the other aggregates.)
-- as_of: the instant the last dbt build reported as of. fct_kpi_monthly has no such column;
-- fct_headline_indicators is built from it in the same run, after it.
WITH toDate(now(), 'Asia/Shanghai') AS today
SELECT
    labels.code AS kpi,
    labels.label_zh AS label_zh,
    definitions.current_version AS definition_version,
    definitions.current_from AS effective_from,
    definitions.current_numerator AS numerator_definition,
    definitions.current_denominator AS denominator_definition,
    (SELECT maxOrNull(as_of) FROM marts.fct_headline_indicators) AS as_of
FROM (
    SELECT
        code,
        label_zh,
        if(code IN ('street_meeting_compliance', 'community_meeting_compliance'), 'meeting_compliance', code)
            AS definition_kpi
    FROM marts.code_labels
    WHERE domain = 'kpi'
) AS labels
LEFT JOIN (
    SELECT
        kpi,
        if(countIf(effective_from <= today) > 0, argMaxIf(version, effective_from, effective_from <= today),
           argMin(version, effective_from)) AS current_version,
        if(countIf(effective_from <= today) > 0, maxIf(effective_from, effective_from <= today),
           min(effective_from)) AS current_from,
        if(countIf(effective_from <= today) > 0, argMaxIf(numerator, effective_from, effective_from <= today),
           argMin(numerator, effective_from)) AS current_numerator,
        if(countIf(effective_from <= today) > 0, argMaxIf(denominator, effective_from, effective_from <= today),
           argMin(denominator, effective_from)) AS current_denominator
    FROM marts.kpi_definitions
    GROUP BY kpi
) AS definitions ON definitions.kpi = labels.definition_kpi
ORDER BY kpi
SETTINGS join_use_nulls = 1
