-- Demand–supply matching (需求清单/供给清单): one row per demand with its first match, so
-- open demands and matches come from the same place.
with events as (
    select * from {{ ref('stg_raw__resources_events') }}
),

demands as (
    select
        assumeNotNull(demand_id) as demand_id,
        {{ first_values(['category', 'street_id', 'community_id']) }},
        min(occurred_at) as listed_at
    from events
    where event_name = 'demand_listed' and demand_id is not null
    group by demand_id
),

supplies as (
    select
        assumeNotNull(supply_id) as supply_id,
        {{ first_values(['unit_id', 'category']) }},
        min(occurred_at) as listed_at
    from events
    where event_name = 'supply_listed' and supply_id is not null
    group by supply_id
),

matches as (
    select
        assumeNotNull(match_id) as match_id,
        assumeNotNull(argMin(demand_id, occurred_at)) as demand_id,
        assumeNotNull(argMin(supply_id, occurred_at)) as supply_id,
        {{ first_values(['street_id', 'community_id']) }},
        min(occurred_at) as matched_at,
        groupArray((event_type, toString(source), event_id)) as event_refs
    from events
    where event_name = 'matched' and match_id is not null
    group by match_id
),

joined as (
    select
        matches.match_id as match_id,
        matches.demand_id as demand_id,
        matches.supply_id as supply_id,
        demands.category as demand_category,
        supplies.category as supply_category,
        supplies.unit_id as supply_unit_id,
        {{ place_or('matches', 'demands.street_id', 'demands.community_id') }},
        demands.listed_at as demand_listed_at,
        supplies.listed_at as supply_listed_at,
        matches.matched_at as matched_at,
        {{ hours_between('demands.listed_at', 'matches.matched_at') }} as hours_to_match,
        matches.event_refs as event_refs
    from matches
    left join demands on demands.demand_id = matches.demand_id
    left join supplies on supplies.supply_id = matches.supply_id
)

select * from joined
