{#- Where a fact happened, as every mart shows it: the street and community ids of the row
    (alias) with their names from dim_street and dim_community. place_columns(alias) is the
    four select columns, place_joins(alias) the two left joins that name them (aliases streets
    and communities, which a model may read further, e.g. for a ranking unit's name). -#}
{% macro place_columns(alias) -%}
    {{ alias }}.street_id as street_id,
    streets.street_name as street_name,
    {{ alias }}.community_id as community_id,
    communities.community_name as community_name
{%- endmacro %}

{% macro place_joins(alias) -%}
left join {{ ref('dim_street') }} as streets on streets.street_id = {{ alias }}.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = {{ alias }}.community_id
{%- endmacro %}

{#- The place of a row folded from two sources: the first one's street and community (alias)
    where it names them, else the fallback expressions' (e.g. a claim's place from its post,
    else from the claim's own events). -#}
{% macro place_or(alias, street_fallback, community_fallback) -%}
    if({{ alias }}.street_id != '', {{ alias }}.street_id, {{ street_fallback }}) as street_id,
    if({{ alias }}.community_id != '', {{ alias }}.community_id, {{ community_fallback }}) as community_id
{%- endmacro %}
