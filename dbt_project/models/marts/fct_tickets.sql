-- depends_on: {{ ref('stg_raw__ticket_events') }}
{#- Replaced per ticket (replaced_per_key): a ticket's row changes with every lifecycle event.

    Deadlines (seeds/ticket_deadlines.csv) and overdue: the deadline columns depend only on the
    ticket, but is_*_overdue, hours_overdue and ageing_bucket also depend on the as-of instant
    while a clock is still running. So an incremental run also recomputes the rows that would
    read differently as of this run (overdue_as_of != as_of): tickets still unresolved past
    their resolution deadline (hours_overdue grows, the bucket moves, or they just became
    overdue) and tickets still unanswered past their response deadline and not flagged yet.
    Rows whose clocks have stopped (resolved, closed, responded) or whose deadlines are still
    ahead read the same at any later as_of and are kept. Chosen over a view on top: the table
    stays the one relation dashboards, Open311 and the KPI layer read, and its flags agree
    with fct_kpi_monthly of the same run. Cost: the open tickets past due are recomputed every
    run (README "Ticket deadlines"). -#}
{{ replaced_per_key('ticket_id', '(street_id, community_id, ticket_id)', 'toYYYYMM(opened_at)') }}

with tickets as (
    select * from {{ ref('int_tickets_lifecycled') }}
    where opened_at is not null
    {% if is_incremental() %}
      and ticket_id in (
        {{ keys_loaded_since_last_run('ticket_id', 'stg_raw__ticket_events') }}
        union all
        -- rows whose as-of-dependent columns would read differently now (see the note above)
        select ticket_id from {{ this }}
        where overdue_as_of != {{ as_of() }}
          and (
            (resolved_at is null and status != 'closed' and resolution_due_at < {{ as_of() }})
            or (first_responded_at is null and is_response_overdue = 0 and response_due_at < {{ as_of() }})
          )
      )
    {% endif %}
),

-- The deadline rules as one array in one row: each ticket picks its rule from it below, so
-- the lifecycle view is read once (a CTE referenced twice is computed twice).
-- specificity: category+channel 3 > category 2 > channel 1 > default ('*', '*') 0.
deadline_rules as (
    select groupArray((
        category, channel, effective_from, effective_to,
        toUInt8((category != '*') * 2 + (channel != '*')),
        version, response_hours, resolution_hours
    )) as rules
    from {{ ref('ticket_deadlines') }}
),

-- The rules in force on the ticket's Shanghai opening date (effective_to inclusive, NULL =
-- open-ended) matching its category and channel, best first: most specific, then latest
-- effective_from, then highest version.
matched as (
    select
        tickets.*,
        {{ as_of() }} as overdue_as_of,
        arrayReverseSort(
            r -> (r.5, r.3, r.6),
            arrayFilter(
                r -> (r.1 = '*' or r.1 = ifNull(tickets.category, ''))
                    and (r.2 = '*' or r.2 = ifNull(tickets.channel, ''))
                    and r.3 <= {{ local_date('tickets.opened_at') }}
                    and (r.4 is null or {{ local_date('tickets.opened_at') }} <= r.4),
                deadline_rules.rules
            )
        ) as matching_rules
    from tickets
    cross join deadline_rules
),

deadlined as (
    select
        *,
        if(empty(matching_rules), NULL, matching_rules[1].6) as deadline_version,
        -- calendar hours from opening, exact to the millisecond (no working-day calendar)
        if(empty(matching_rules), NULL,
           toDateTime64(opened_at + toIntervalMillisecond(toInt64(round(matching_rules[1].7 * 3600000))), 3, 'UTC')) as response_due_at,
        if(empty(matching_rules), NULL,
           toDateTime64(opened_at + toIntervalMillisecond(toInt64(round(matching_rules[1].8 * 3600000))), 3, 'UTC')) as resolution_due_at,
        -- the resolution clock stops at the standing resolution, or at closing without one
        coalesce(resolved_at, if(status = 'closed', closed_at, NULL)) as resolution_ended_at
    from matched
),

overdue as (
    select
        *,
        -- answered / resolved after the deadline, or still not as of the build; exactly at the
        -- deadline is in time (compared on milliseconds)
        toUInt8(ifNull(coalesce(first_responded_at, overdue_as_of) > response_due_at, 0)) as is_response_overdue,
        toUInt8(ifNull(coalesce(resolution_ended_at, overdue_as_of) > resolution_due_at, 0)) as is_resolution_overdue,
        if(is_resolution_overdue = 1,
           dateDiff('millisecond', resolution_due_at, coalesce(resolution_ended_at, overdue_as_of)),
           0) as overdue_ms
    from deadlined
),

aged as (
    select
        *,
        -- on the exact overdue time; 1 day = 24 h, upper bounds inclusive (24 h late = 超期1天内)
        multiIf(
            is_resolution_overdue = 0, 'not_overdue',
            overdue_ms <= 1 * 86400000, 'overdue_within_1d',
            overdue_ms <= 3 * 86400000, 'overdue_1_3d',
            overdue_ms <= 7 * 86400000, 'overdue_3_7d',
            'overdue_over_7d'
        ) as ageing_bucket
    from overdue
)

select
    tickets.ticket_id as ticket_id,
    tickets.channel as channel,
    {{ label_zh('channel_label') }} as channel_zh,
    tickets.category as category,
    {{ label_zh('category_label') }} as category_zh,
    {{ place_columns('tickets') }},
    tickets.grid_id as grid_id,
    tickets.project as project,
    {{ label_zh('project_label') }} as project_zh,
    assumeNotNull(tickets.opened_at) as opened_at,
    {{ local_date('tickets.opened_at') }} as opened_day,
    tickets.first_assigned_at as first_assigned_at,
    tickets.assignee_unit_id as assignee_unit_id,
    tickets.first_responded_at as first_responded_at,
    tickets.resolved_at as resolved_at,
    tickets.first_resolved_at as first_resolved_at,
    tickets.rated_satisfaction as rated_satisfaction,
    {{ label_zh('satisfaction_label') }} as rated_satisfaction_zh,
    tickets.rated_at as rated_at,
    tickets.reopen_count as reopen_count,
    tickets.closed_at as closed_at,
    tickets.status as status,
    {{ label_zh('status_label') }} as status_zh,
    tickets.is_solved as is_solved,
    tickets.hours_to_respond as hours_to_respond,
    tickets.hours_to_resolve as hours_to_resolve,
    tickets.deadline_version as deadline_version,
    tickets.response_due_at as response_due_at,
    tickets.resolution_due_at as resolution_due_at,
    tickets.is_response_overdue as is_response_overdue,
    tickets.is_resolution_overdue as is_resolution_overdue,
    round(tickets.overdue_ms / 3600000.0, 3) as hours_overdue,
    tickets.ageing_bucket as ageing_bucket,
    {{ label_zh('ageing_label') }} as ageing_bucket_zh,
    -- the instant the overdue columns were evaluated at (the build's as_of)
    tickets.overdue_as_of as overdue_as_of,
    {{ replaced_row_columns('tickets') }}
from aged as tickets
{{ place_joins('tickets') }}
{{ label_join('ticket_channel', 'tickets.channel', 'channel_label') }}
{{ label_join('ticket_category', 'tickets.category', 'category_label') }}
{{ label_join('ticket_project', 'tickets.project', 'project_label') }}
{{ label_join('ticket_satisfaction', 'tickets.rated_satisfaction', 'satisfaction_label') }}
{{ label_join('ticket_status', 'tickets.status', 'status_label') }}
{{ label_join('ticket_ageing', 'tickets.ageing_bucket', 'ageing_label') }}
