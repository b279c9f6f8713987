{#- Reports are in Shanghai local time while storage is UTC; every day/month/quarter
    boundary goes through these so a 23:59 +08 event on 31 March stays in Q1. -#}
{% macro local_date(ts) -%}
    toDate({{ ts }}, '{{ var("report_timezone") }}')
{%- endmacro %}

{% macro local_quarter_label(ts) -%}
    concat(toString(toYear({{ ts }}, '{{ var("report_timezone") }}')), '-Q', toString(toQuarter({{ ts }}, '{{ var("report_timezone") }}')))
{%- endmacro %}

{% macro local_month_label(ts) -%}
    formatDateTime({{ ts }}, '%Y-%m', '{{ var("report_timezone") }}')
{%- endmacro %}

{#- The instant the build reports "as of": a fixed LIANXI_DBT_AS_OF for reproducible runs,
    otherwise the time of the build. -#}
{% macro as_of() -%}
    {%- set fixed = var("as_of", env_var("LIANXI_DBT_AS_OF", "")) -%}
    {%- if fixed -%}
        parseDateTime64BestEffort('{{ fixed }}', 3, 'UTC')
    {%- else -%}
        now64(3, 'UTC')
    {%- endif -%}
{%- endmacro %}

{% macro hours_between(start_ts, end_ts) -%}
    if(isNull({{ start_ts }}) or isNull({{ end_ts }}), NULL,
       round(dateDiff('millisecond', {{ start_ts }}, {{ end_ts }}) / 3600000.0, 3))
{%- endmacro %}

{#- Incremental facts recompute the aggregates touched by events loaded since the last run.
    The watermark looks back LIANXI_DBT_LOOKBACK_SECONDS (default 120): an insert that was
    stamped (ingested_at = now64()) before the last run but became visible after it would
    otherwise be skipped for good; recomputing a few extra aggregates is harmless. -#}
{% macro incremental_watermark(column='last_loaded_at') -%}
    ((select max({{ column }}) from {{ this }})
        - toIntervalSecond({{ var("lookback_seconds", env_var("LIANXI_DBT_LOOKBACK_SECONDS", "120")) | int }}))
{%- endmacro %}

{% macro loaded_since_last_run() -%}
    loaded_at > {{ incremental_watermark('last_loaded_at') }}
{%- endmacro %}

{#- Incremental facts replace rows with delete+insert. Deleting through patch parts
    (lightweight_delete_mode = 'lightweight_update') needs the block number/offset columns;
    a table created before they were configured gets them here, so an existing deployment
    needs no --full-refresh. Without them ClickHouse falls back to a mutation (correct, but
    seconds per run). -#}
{% macro enable_patch_part_deletes() -%}
    {%- if is_incremental() -%}
    alter table {{ this }} modify setting enable_block_number_column = 1, enable_block_offset_column = 1
    {%- endif -%}
{%- endmacro %}
