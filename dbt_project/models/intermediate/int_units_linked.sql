-- Current link state per unit: the latest linked/unlinked event wins, so a unit that was
-- unlinked and linked again counts once, as linked.
with events as (
    select * from {{ ref('stg_raw__org_events') }}
    where event_name in ('unit_linked', 'unit_unlinked') and unit_id is not null
),

units as (
    select
        assumeNotNull(unit_id) as unit_id,
        argMaxIf(name_zh, occurred_at, event_name = 'unit_linked') as unit_name,
        argMaxIf(unit_type, occurred_at, event_name = 'unit_linked') as unit_type,
        {{ latest_values(['level', 'street_id', 'community_id']) }},
        argMaxIf(party_members, occurred_at, event_name = 'unit_linked') as party_members,
        argMax(event_name, (occurred_at, loaded_at)) = 'unit_linked' as is_linked,
        maxIfOrNull(occurred_at, event_name = 'unit_linked') as linked_at,
        maxIfOrNull(occurred_at, event_name = 'unit_unlinked') as unlinked_at,
        groupArray((event_type, toString(source), event_id)) as event_refs,
        max(loaded_at) as last_loaded_at
    from events
    group by unit_id
)

select * from units
