-- depends_on: {{ ref('stg_raw__member_events') }}
{#- delete+insert: a member's row changes when they register again, so the members touched
    by new events are recomputed whole; append would duplicate them.
    The replaced rows are deleted as patch parts (lightweight_delete_mode, block number/offset
    columns): a classic lightweight DELETE is a mutation that took seconds per run. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='member_id',
    engine='MergeTree()',
    settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
    query_settings={'lightweight_delete_mode': 'lightweight_update'},
    pre_hook="{{ enable_patch_part_deletes() }}",
    order_by='(street_id, community_id, member_id)',
    partition_by='toYYYYMM(registered_at)'
) }}

with members as (
    select * from {{ ref('int_members_registered') }}
    {% if is_incremental() %}
    where member_id in (
        select member_id from {{ ref('stg_raw__member_events') }}
        where event_name = 'registered'
          and {{ loaded_since_last_run() }}
    )
    {% endif %}
)

select
    members.member_id as member_id,
    members.street_id as street_id,
    streets.street_name as street_name,
    members.community_id as community_id,
    communities.community_name as community_name,
    coalesce(members.in_service, false) as in_service,
    members.unit_id as unit_id,
    members.project as project,
    {{ label_zh('project_label') }} as project_zh,
    members.registered_at as registered_at,
    {{ local_date('members.registered_at') }} as registered_day,
    -- 在职党员到社区报到 (the headline figure): in service and not registered through a project
    toUInt8(coalesce(members.in_service, false) and members.project is null) as is_in_service_registered,
    members.event_refs as event_refs,
    members.last_loaded_at as last_loaded_at,
    -- when this row was (re)computed: untouched rows keep theirs across incremental runs
    now64(3, 'UTC') as refreshed_at
from members
left join {{ ref('dim_street') }} as streets on streets.street_id = members.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = members.community_id
{{ label_join('member_project', 'members.project', 'project_label') }}
