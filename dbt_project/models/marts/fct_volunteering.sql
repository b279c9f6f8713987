-- depends_on: {{ ref('stg_raw__volunteer_events') }}
{#- delete+insert keyed on the claim: logged hours keep arriving after the claim.
    The replaced rows are deleted as patch parts (lightweight_delete_mode, block number/offset
    columns): a classic lightweight DELETE is a mutation that took seconds per run. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='claim_key',
    engine='MergeTree()',
    settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
    query_settings={'lightweight_delete_mode': 'lightweight_update'},
    pre_hook="{{ enable_patch_part_deletes() }}",
    order_by='(street_id, community_id, post_id, member_id)',
    partition_by='toYYYYMM(claimed_at)'
) }}

with claims as (
    select * from {{ ref('int_volunteer_claims_joined') }}
    where claimed_at is not null
    {% if is_incremental() %}
      and post_id in (
        select post_id from {{ ref('stg_raw__volunteer_events') }}
        where {{ loaded_since_last_run() }}
      )
    {% endif %}
)

select
    concat(claims.post_id, '/', claims.member_id) as claim_key,
    claims.post_id as post_id,
    claims.member_id as member_id,
    claims.category as category,
    {{ label_zh('category_label') }} as category_zh,
    claims.street_id as street_id,
    streets.street_name as street_name,
    claims.community_id as community_id,
    communities.community_name as community_name,
    assumeNotNull(claims.claimed_at) as claimed_at,
    {{ local_date('claims.claimed_at') }} as claimed_day,
    claims.hours as hours,
    claims.event_refs as event_refs,
    claims.last_loaded_at as last_loaded_at,
    -- when this row was (re)computed: untouched rows keep theirs across incremental runs
    now64(3, 'UTC') as refreshed_at
from claims
left join {{ ref('dim_street') }} as streets on streets.street_id = claims.street_id
left join {{ ref('dim_community') }} as communities on communities.community_id = claims.community_id
{{ label_join('volunteer_category', 'claims.category', 'category_label') }}
