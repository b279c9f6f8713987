{#- One branch of fct_daily_indicators' activity union: the rows of relation (where `where`
    holds) counted per Shanghai day (day: the expression giving it) and place, as the value of
    metric. Each metric's definition is its call: which rows, which day. -#}
{% macro daily_count(metric, relation, day, where=none) -%}
select {{ day }} as day, street_id, community_id, '{{ metric }}' as metric, toFloat64(count()) as value
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by all
{%- endmacro %}
