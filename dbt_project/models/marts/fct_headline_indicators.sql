{{ config(engine='MergeTree()', order_by='tuple(as_of)') }}

-- The district's headline figures, one row. Each figure's definition is in README.md; the
-- rates are sum(numerator) / sum(denominator) over fct_kpi_monthly, so every month counts
-- under the KPI version in force that month.
with units as (
    select
        countIf(is_linked) as units_linked,
        sumIf(party_members, is_linked) as party_members_linked
    from {{ ref('dim_unit') }}
),

org as (
    select uniqExactIf(group_id, event_name = 'building_group_formed' and group_id is not null) as building_party_groups
    from {{ ref('stg_raw__org_events') }}
),

members as (
    select
        sum(is_in_service_registered) as in_service_members_registered,
        countIf(project = 'builders_home') as builders_home_members
    from {{ ref('dim_member') }}
),

wishes as (
    select
        count() as micro_wishes_posted,
        countIf(claimed_at is not null) as micro_wishes_claimed,
        countIf(fulfilled_at is not null) as micro_wishes_fulfilled
    from {{ ref('fct_wishes') }}
),

volunteering as (
    select count() as volunteer_posts_claimed, round(sum(hours), 3) as volunteer_hours
    from {{ ref('fct_volunteering') }}
),

tickets as (
    select
        count() as tickets_opened,
        countIf(is_solved) as tickets_resolved,
        countIf(is_solved and project = 'industrial_park') as enterprise_problems_solved,
        quantileExactIf(0.5)(hours_to_resolve, is_solved) as median_hours_to_resolve
    from {{ ref('fct_tickets') }}
),

rates as (
    select
        sumIf(numerator, kpi = 'response_rate') / nullIf(sumIf(denominator, kpi = 'response_rate'), 0) as response_rate,
        sumIf(numerator, kpi = 'resolution_rate') / nullIf(sumIf(denominator, kpi = 'resolution_rate'), 0) as resolution_rate,
        sumIf(numerator, kpi = 'satisfaction_rate') / nullIf(sumIf(denominator, kpi = 'satisfaction_rate'), 0) as satisfaction_rate,
        sumIf(numerator, kpi = 'street_meeting_compliance') / nullIf(sumIf(denominator, kpi = 'street_meeting_compliance'), 0) as street_meeting_compliance,
        sumIf(numerator, kpi = 'community_meeting_compliance') / nullIf(sumIf(denominator, kpi = 'community_meeting_compliance'), 0) as community_meeting_compliance
    from {{ ref('fct_kpi_monthly') }}
),

resources as (
    select
        (select count() from {{ ref('fct_resource_matches') }}) as resource_matches,
        uniqExactIf(demand_id, event_name = 'demand_listed' and demand_id is not null
                    and demand_id not in (select demand_id from {{ ref('fct_resource_matches') }})) as open_demands
    from {{ ref('stg_raw__resources_events') }}
)

select
    {{ as_of() }} as as_of,
    toUInt64((select count() from {{ ref('dim_street') }})) as streets,
    toUInt64((select count() from {{ ref('dim_community') }})) as communities,
    toUInt64(units.units_linked) as units_linked,
    toInt64(units.party_members_linked) as party_members_linked,
    toUInt64(org.building_party_groups) as building_party_groups,
    toUInt64(members.in_service_members_registered) as in_service_members_registered,
    toUInt64(members.builders_home_members) as builders_home_members,
    toUInt64(wishes.micro_wishes_posted) as micro_wishes_posted,
    toUInt64(wishes.micro_wishes_claimed) as micro_wishes_claimed,
    toUInt64(wishes.micro_wishes_fulfilled) as micro_wishes_fulfilled,
    toUInt64(volunteering.volunteer_posts_claimed) as volunteer_posts_claimed,
    toFloat64(volunteering.volunteer_hours) as volunteer_hours,
    toUInt64(tickets.tickets_opened) as tickets_opened,
    toUInt64(tickets.tickets_resolved) as tickets_resolved,
    toUInt64(tickets.enterprise_problems_solved) as enterprise_problems_solved,
    rates.response_rate as response_rate,
    rates.resolution_rate as resolution_rate,
    rates.satisfaction_rate as satisfaction_rate,
    if(tickets.tickets_resolved = 0, NULL, tickets.median_hours_to_resolve) as median_hours_to_resolve,
    rates.street_meeting_compliance as street_meeting_compliance,
    rates.community_meeting_compliance as community_meeting_compliance,
    toUInt64(resources.resource_matches) as resource_matches,
    toUInt64(resources.open_demands) as open_demands
from units
cross join org
cross join members
cross join wishes
cross join volunteering
cross join tickets
cross join rates
cross join resources
