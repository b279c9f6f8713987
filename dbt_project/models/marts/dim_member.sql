{#- A view: the rows are fct_registrations' (same sort key), which the incremental run keeps
    current; copying its 500 k rows (10 M events) into a table cost 0.5-1 s of every run. -#}
{{ config(materialized='view') }}

-- The same members as int_members_registered, read from fct_registrations rather than
-- recomputing every member's registrations from staging.
select
    member_id,
    community_id,
    street_id,
    in_service,
    unit_id,
    project,
    is_in_service_registered,
    registered_at
from {{ ref('fct_registrations') }}
