{#- The event domains whose raw tables hold accepted events (every domain of the catalogue but
    quality, which holds the API's refusals). A new domain is added here and in
    _raw__sources.yml. -#}
{% macro event_domains() -%}
    {{ return(['org', 'member', 'meeting', 'wish', 'volunteer', 'resources', 'ticket', 'assessment', 'alert']) }}
{%- endmacro %}

{#- A maxIf over no row gives the epoch, not NULL: say "never" as NULL. -#}
{% macro null_if_epoch(expr) -%}
    nullIf({{ expr }}, toDateTime64(0, 3, 'UTC'))
{%- endmacro %}

{#- A UTC instant as Shanghai wall-clock text, as every screen shows times. -#}
{% macro shanghai_text(ts) -%}
    formatDateTime({{ ts }}, '%Y-%m-%d %H:%i', '{{ var("report_timezone") }}')
{%- endmacro %}

{#- The source_cadences row in force per source at the report instant (latest effective_from,
    then highest version, among rows already in force). -#}
{% macro cadences_in_force() -%}
    select
        source,
        argMax(version, (effective_from, version)) as cadence_version,
        argMax(effective_from, (effective_from, version)) as cadence_effective_from,
        {{ latest_values(['label_zh', 'domains', 'cadence_minutes', 'rejection_rate_threshold', 'owner_zh', 'owner_contact'], by='(effective_from, version)') }}
    from {{ ref('source_cadences') }}
    where effective_from <= {{ local_date(as_of()) }}
    group by source
{%- endmacro %}
