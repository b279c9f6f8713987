-- Per ticket, the response/resolution/satisfaction flags under the KPI version in force in
-- the Shanghai month the ticket was opened. Rates are sums of these flags, so any grouping
-- (street, month, channel) applies each period's own definition. Reads fct_tickets, the
-- incrementally maintained lifecycle, rather than recomputing every lifecycle from staging.
with tickets as (
    select
        *,
        toStartOfMonth({{ local_date('opened_at') }}) as period_start
    from {{ ref('fct_tickets') }}
),

versions as (
    select
        period_start,
        maxIf(version, kpi = 'response_rate') as response_version,
        maxIf(threshold_hours, kpi = 'response_rate') as response_threshold_hours,
        maxIf(version, kpi = 'resolution_rate') as resolution_version,
        maxIf(version, kpi = 'satisfaction_rate') as satisfaction_version
    from {{ ref('int_kpi_versions_monthly') }}
    group by period_start
),

flagged as (
    select
        tickets.ticket_id as ticket_id,
        tickets.period_start as period_start,
        tickets.street_id as street_id,
        tickets.community_id as community_id,
        versions.response_version as response_version,
        versions.resolution_version as resolution_version,
        versions.satisfaction_version as satisfaction_version,
        -- ifNull: a missing rating or response is a 0, never a NULL that drops out of sums
        toUInt8(ifNull(multiIf(
            versions.response_version = 1, tickets.first_responded_at is not null,
            -- on exact milliseconds, not the rounded hours_to_respond: 24 h + 1 s is late
            tickets.first_responded_at is not null
                and dateDiff('millisecond', tickets.opened_at, tickets.first_responded_at)
                    <= coalesce(versions.response_threshold_hours * 3600000, inf)
        ), 0)) as is_responded,
        toUInt8(tickets.is_solved) as is_resolved,
        toUInt8(tickets.rated_satisfaction is not null) as is_rated,
        toUInt8(ifNull(multiIf(
            versions.satisfaction_version = 1, tickets.rated_satisfaction in ('satisfied', 'basically_satisfied'),
            tickets.rated_satisfaction = 'satisfied'
        ), 0)) as is_satisfied
    from tickets
    left join versions on versions.period_start = tickets.period_start
)

select * from flagged
