{{ config(engine='MergeTree()', order_by='(street_id, community_id, member_id)') }}

-- The same members as int_members_registered, read from fct_registrations, which the
-- incremental run keeps current: recomputing every member's registrations from staging on
-- each run cost more than the rest of the dimension build together.
select
    member_id,
    community_id,
    street_id,
    in_service,
    unit_id,
    project,
    registered_at
from {{ ref('fct_registrations') }}
