-- depends_on: {{ ref('stg_raw__wish_events') }}
{#- delete+insert for the same reason as fct_tickets: a wish's row changes as it is claimed
    and fulfilled.
    The replaced rows are deleted as patch parts (lightweight_delete_mode, block number/offset
    columns): a classic lightweight DELETE is a mutation that took seconds per run. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='wish_id',
    engine='MergeTree()',
    settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
    query_settings={'lightweight_delete_mode': 'lightweight_update'},
    pre_hook="{{ enable_patch_part_deletes() }}",
    order_by='(street_id, community_id, wish_id)',
    partition_by='toYYYYMM(posted_at)'
) }}

with wishes as (
    select * from {{ ref('int_wishes_lifecycled') }}
    where posted_at is not null
    {% if is_incremental() %}
      and wish_id in (
        select wish_id from {{ ref('stg_raw__wish_events') }}
        where {{ loaded_since_last_run() }}
      )
    {% endif %}
)

select
    wishes.wish_id as wish_id,
    wishes.category as category,
    {{ label_zh('category_label') }} as category_zh,
    wishes.street_id as street_id,
    streets.street_name as street_name,
    wishes.community_id as community_id,
    communities.community_name as community_name,
    wishes.resident_id as resident_id,
    assumeNotNull(wishes.posted_at) as posted_at,
    {{ local_date('wishes.posted_at') }} as posted_day,
    wishes.claimed_at as claimed_at,
    wishes.claimed_by_member_id as claimed_by_member_id,
    wishes.claimed_by_unit_id as claimed_by_unit_id,
    wishes.fulfilled_at as fulfilled_at,
    wishes.cancelled_at as cancelled_at,
    wishes.status as status,
    {{ label_zh('status_label') }} as status_zh,
    wishes.hours_to_claim as hours_to_claim,
    wishes.event_refs as event_refs,
    wishes.last_loaded_at as last_loaded_at,
    -- when this row was (re)computed: untouched rows keep theirs across incremental runs
    now64(3, 'UTC') as refreshed_at
from wishes
left join {{ ref('dim_street') }} as streets on streets.street_id = wishes.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = wishes.community_id
{{ label_join('wish_category', 'wishes.category', 'category_label') }}
{{ label_join('wish_status', 'wishes.status', 'status_label') }}
