{{ config(engine='MergeTree()', order_by='(street_id, unit_id)') }}

select
    unit_id,
    unit_name,
    unit_type,
    level,
    street_id,
    nullIf(community_id, '') as community_id,
    coalesce(party_members, 0) as party_members,
    is_linked,
    linked_at,
    unlinked_at,
    event_refs
from {{ ref('int_units_linked') }}
