-- One row per member: the latest registration says where the member serves now, the first
-- one says since when (双报到 is counted per person, not per registration event).
with events as (
    select * from {{ ref('stg_raw__member_events') }}
    where event_name = 'registered'
),

members as (
    select
        member_id,
        {{ latest_values(['community_id', 'street_id', 'in_service', 'unit_id', 'project']) }},
        min(occurred_at) as registered_at,
        groupArray((event_type, toString(source), event_id)) as event_refs,
        max(loaded_at) as last_loaded_at
    from events
    group by member_id
)

select * from members
