{#- Rows where the expression is false fail; NULL counts as passing so optional timestamps
    need no special casing (write the NULL rule into the expression when it matters). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- The dedup key of a fact or a staging model spans several columns (source, event_id). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count() as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having occurrences > 1
{% endtest %}

{#- A headline table is one row by contract; dashboards read it without aggregation. -#}
{% test exactly_one_row(model) %}
    select count() as row_count from {{ model }} having row_count != 1
{% endtest %}

{#- Weights of each group (e.g. each version of seeds/ranking_weights.csv) add up to 1; a
    group off by more than rounding fails. -#}
{% test sums_to_one(model, column, group_by) %}
    select {{ group_by | join(', ') }}, sum({{ column }}) as total
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having abs(total - 1) > 1e-9
{% endtest %}
