{#- The definition version of a KPI in force in each Shanghai month (int_kpi_versions_monthly),
    joined as `versions` to the rows of alias by their period_start. -#}
{% macro kpi_version_join(kpi, alias) -%}
left join (
        select period_start, version from {{ ref('int_kpi_versions_monthly') }} where kpi = '{{ kpi }}'
    ) as versions on versions.period_start = {{ alias }}.period_start
{%- endmacro %}
