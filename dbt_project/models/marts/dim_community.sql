{{ config(engine='MergeTree()', order_by='(street_id, community_id)') }}

with communities as (
    select
        community_id,
        argMax(assumeNotNull(name_zh), occurred_at) as community_name,
        argMax(street_id, occurred_at) as street_id,
        min(occurred_at) as registered_at
    from {{ ref('stg_raw__org_events') }}
    where event_name = 'community_registered'
    group by community_id
)

select
    communities.community_id as community_id,
    communities.community_name as community_name,
    communities.street_id as street_id,
    streets.street_name as street_name,
    communities.registered_at as registered_at
from communities
left join {{ ref('dim_street') }} as streets on streets.street_id = communities.street_id
