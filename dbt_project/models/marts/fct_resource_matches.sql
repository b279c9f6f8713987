{{ config(engine='MergeTree()', order_by='(street_id, community_id, match_id)', partition_by='toYYYYMM(matched_at)') }}

select
    matches.match_id as match_id,
    matches.demand_id as demand_id,
    matches.supply_id as supply_id,
    matches.demand_category as demand_category,
    {{ label_zh('demand_label') }} as demand_category_zh,
    matches.supply_category as supply_category,
    {{ label_zh('supply_label') }} as supply_category_zh,
    matches.supply_unit_id as supply_unit_id,
    {{ place_columns('matches') }},
    matches.demand_listed_at as demand_listed_at,
    matches.supply_listed_at as supply_listed_at,
    matches.matched_at as matched_at,
    matches.hours_to_match as hours_to_match,
    matches.event_refs as event_refs
from {{ ref('int_resource_matches_joined') }} as matches
{{ place_joins('matches') }}
{{ label_join('resource_category', 'matches.demand_category', 'demand_label') }}
{{ label_join('resource_category', 'matches.supply_category', 'supply_label') }}
