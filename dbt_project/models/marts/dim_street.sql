{{ config(engine='MergeTree()', order_by='street_id') }}

select
    street_id,
    argMax(assumeNotNull(name_zh), occurred_at) as street_name,
    min(occurred_at) as registered_at
from {{ ref('stg_raw__org_events') }}
where event_name = 'street_registered'
group by street_id
