{#- dbt's default prefixes custom schemas with the target schema ("marts_staging"); our
    databases are fixed names other stages and dashboards rely on, so use them verbatim. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
