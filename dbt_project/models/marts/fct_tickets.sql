-- depends_on: {{ ref('stg_raw__ticket_events') }}
{#- delete+insert: a ticket's row changes with every lifecycle event, so tickets touched by
    events loaded since the last run are recomputed from all their events and replace
    their old rows (append would double them, insert_overwrite would rewrite whole months).
    The replaced rows are deleted as patch parts (lightweight_delete_mode, block number/offset
    columns): a classic lightweight DELETE is a mutation that took seconds per run. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='ticket_id',
    engine='MergeTree()',
    settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
    query_settings={'lightweight_delete_mode': 'lightweight_update'},
    pre_hook="{{ enable_patch_part_deletes() }}",
    order_by='(street_id, community_id, ticket_id)',
    partition_by='toYYYYMM(opened_at)'
) }}

with tickets as (
    select * from {{ ref('int_tickets_lifecycled') }}
    where opened_at is not null
    {% if is_incremental() %}
      and ticket_id in (
        select ticket_id from {{ ref('stg_raw__ticket_events') }}
        where {{ loaded_since_last_run() }}
      )
    {% endif %}
)

select
    tickets.ticket_id as ticket_id,
    tickets.channel as channel,
    {{ label_zh('channel_label') }} as channel_zh,
    tickets.category as category,
    {{ label_zh('category_label') }} as category_zh,
    tickets.street_id as street_id,
    streets.street_name as street_name,
    tickets.community_id as community_id,
    communities.community_name as community_name,
    tickets.grid_id as grid_id,
    tickets.project as project,
    {{ label_zh('project_label') }} as project_zh,
    assumeNotNull(tickets.opened_at) as opened_at,
    tickets.first_assigned_at as first_assigned_at,
    tickets.assignee_unit_id as assignee_unit_id,
    tickets.first_responded_at as first_responded_at,
    tickets.resolved_at as resolved_at,
    tickets.first_resolved_at as first_resolved_at,
    tickets.rated_satisfaction as rated_satisfaction,
    {{ label_zh('satisfaction_label') }} as rated_satisfaction_zh,
    tickets.rated_at as rated_at,
    tickets.reopen_count as reopen_count,
    tickets.closed_at as closed_at,
    tickets.status as status,
    {{ label_zh('status_label') }} as status_zh,
    tickets.is_solved as is_solved,
    tickets.hours_to_respond as hours_to_respond,
    tickets.hours_to_resolve as hours_to_resolve,
    tickets.event_refs as event_refs,
    tickets.last_loaded_at as last_loaded_at,
    -- when this row was (re)computed: untouched rows keep theirs across incremental runs
    now64(3, 'UTC') as refreshed_at
from tickets
left join {{ ref('dim_street') }} as streets on streets.street_id = tickets.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = tickets.community_id
{{ label_join('ticket_channel', 'tickets.channel', 'channel_label') }}
{{ label_join('ticket_category', 'tickets.category', 'category_label') }}
{{ label_join('ticket_project', 'tickets.project', 'project_label') }}
{{ label_join('ticket_satisfaction', 'tickets.rated_satisfaction', 'satisfaction_label') }}
{{ label_join('ticket_status', 'tickets.status', 'status_label') }}
