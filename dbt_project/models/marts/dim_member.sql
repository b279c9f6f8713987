{{ config(engine='MergeTree()', order_by='(street_id, community_id, member_id)') }}

select
    member_id,
    community_id,
    street_id,
    coalesce(in_service, false) as in_service,
    unit_id,
    project,
    registered_at
from {{ ref('int_members_registered') }}
