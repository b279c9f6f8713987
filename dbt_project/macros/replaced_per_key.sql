{#- The config of a fact whose rows change as new events arrive (a ticket's lifecycle, a
    wish's claim, logged hours, a member registering again): incremental delete+insert on
    unique_key, so the keys touched since the last run are recomputed whole and replace their
    old rows (append would double them, insert_overwrite would rewrite whole months). The
    replaced rows are deleted as patch parts (lightweight_delete_mode, block number/offset
    columns, enable_patch_part_deletes): a classic lightweight DELETE is a mutation that took
    seconds per run. -#}
{% macro replaced_per_key(unique_key, order_by, partition_by) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=unique_key,
    engine='MergeTree()',
    settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
    query_settings={'lightweight_delete_mode': 'lightweight_update'},
    pre_hook="{{ enable_patch_part_deletes() }}",
    order_by=order_by,
    partition_by=partition_by
) }}
{%- endmacro %}

{#- The last columns of such a fact: its lineage (event_refs, last_loaded_at, which the
    watermark reads) and when the row was (re)computed (refreshed_at: untouched rows keep
    theirs across incremental runs). -#}
{% macro replaced_row_columns(alias) -%}
    {{ alias }}.event_refs as event_refs,
    {{ alias }}.last_loaded_at as last_loaded_at,
    now64(3, 'UTC') as refreshed_at
{%- endmacro %}

{#- The keys an incremental run recomputes: those of the events loaded since the last run
    (loaded_since_last_run; `where` narrows to the events that change the row). The model
    keeps its `-- depends_on:` line for events_model: this ref is read on incremental runs only. -#}
{% macro keys_loaded_since_last_run(key, events_model, where=none) -%}
select {{ key }} from {{ ref(events_model) }}
        where {% if where %}{{ where }}
          and {% endif %}{{ loaded_since_last_run() }}
{%- endmacro %}
