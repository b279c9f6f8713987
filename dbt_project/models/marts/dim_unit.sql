{{ config(engine='MergeTree()', order_by='(street_id, unit_id)') }}

select
    units.unit_id as unit_id,
    units.unit_name as unit_name,
    units.unit_type as unit_type,
    {{ label_zh('type_label') }} as unit_type_zh,
    units.level as level,
    {{ label_zh('level_label') }} as level_zh,
    units.street_id as street_id,
    nullIf(units.community_id, '') as community_id,
    coalesce(units.party_members, 0) as party_members,
    units.is_linked as is_linked,
    units.linked_at as linked_at,
    units.unlinked_at as unlinked_at,
    units.event_refs as event_refs
from {{ ref('int_units_linked') }} as units
{{ label_join('unit_type', 'units.unit_type', 'type_label') }}
{{ label_join('meeting_level', 'units.level', 'level_label') }}
