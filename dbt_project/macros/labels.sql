{#- Chinese labels for the event contracts' codes (seeds/code_labels.csv). label_join adds a
    left join to one domain's labels; label_zh(alias) is the label column. A NULL code looks up
    the code '__null__' (e.g. 未填写 for a ticket without a project). A code missing from the
    seed gives NULL, which the not_null tests on the *_zh columns turn into a failing build. -#}
{% macro label_join(domain, code_expr, alias) -%}
left join (
    select code, label_zh from {{ ref('code_labels') }} where domain = '{{ domain }}'
) as {{ alias }} on {{ alias }}.code = coalesce({{ code_expr }}, '__null__')
{%- endmacro %}

{% macro label_zh(alias) -%}
nullIf({{ alias }}.label_zh, '')
{%- endmacro %}
