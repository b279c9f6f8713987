{#- Folding a key's events into one row, column by column. latest_values: each column's value
    in the latest event (by occurred_at, then loaded_at: a correction loaded later for the same
    instant wins), e.g. where a member serves now. first_values: each column's value in the
    first event, e.g. what a demand was listed as. `by` replaces the ordering where a model
    folds something other than events (seeds in force: effective_from, then version). -#}
{% macro latest_values(columns, by='(occurred_at, loaded_at)') -%}
    {%- for column in columns %}
        argMax({{ column }}, {{ by }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro first_values(columns, by='occurred_at') -%}
    {%- for column in columns %}
        argMin({{ column }}, {{ by }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
