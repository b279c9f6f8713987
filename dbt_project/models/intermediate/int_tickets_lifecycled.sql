-- opened → assigned → responded → resolved → rated, with reopenings, one row per ticket.
-- status: closed | resolved | reopened (the latest reopening after the latest resolution) |
-- responded | assigned | open; rated is an event, not a state.
-- A ticket counts as solved when its latest resolution comes after its latest reopening;
-- events at the same millisecond are ordered by lifecycle stage so "resolved then
-- reopened" in one batch still reads as reopened.
with events as (
    select
        *,
        indexOf(['opened', 'assigned', 'responded', 'resolved', 'rated', 'reopened', 'closed'], event_name) as stage,
        -- (occurred_at, stage) packed in one number (stage < 8 in the low 3 bits; bitAnd, not %,
        -- reads it back, right for times before 1970 too): "the latest event, ties in lifecycle
        -- order" is then a plain max(); argMax over the tuple cost ~2.5 s of CPU at 10 M events
        toUnixTimestamp64Milli(occurred_at) * 8 + stage as lifecycle_order
    from {{ ref('stg_raw__ticket_events') }}
),

tickets as (
    select
        ticket_id,
        argMinIf(channel, occurred_at, event_name = 'opened') as channel,
        argMinIf(category, occurred_at, event_name = 'opened') as category,
        argMinIf(street_id, occurred_at, street_id != '') as street_id,
        argMinIf(community_id, occurred_at, community_id != '') as community_id,
        argMinIf(grid_id, occurred_at, event_name = 'opened') as grid_id,
        argMinIf(project, occurred_at, event_name = 'opened') as project,
        minIfOrNull(occurred_at, event_name = 'opened') as opened_at,
        minIfOrNull(occurred_at, event_name = 'assigned') as first_assigned_at,
        argMaxIf(assignee_unit_id, occurred_at, event_name = 'assigned') as assignee_unit_id,
        minIfOrNull(occurred_at, event_name = 'responded') as first_responded_at,
        minIfOrNull(occurred_at, event_name = 'resolved') as first_resolved_at,
        maxIfOrNull(occurred_at, event_name = 'resolved') as last_resolved_at,
        maxIfOrNull(occurred_at, event_name = 'reopened') as last_reopened_at,
        argMaxIf(satisfaction, occurred_at, event_name = 'rated') as rated_satisfaction,
        maxIfOrNull(occurred_at, event_name = 'rated') as rated_at,
        toUInt32(countIf(event_name = 'reopened')) as reopen_count,
        maxIfOrNull(occurred_at, event_name = 'closed') as closed_at,
        ['opened', 'assigned', 'responded', 'resolved', 'rated', 'reopened', 'closed'][bitAnd(max(lifecycle_order), 7)] as last_event_name,
        bitAnd(maxIf(lifecycle_order, event_name in ('resolved', 'reopened')), 7) as last_resolution_stage,
        -- the latest of opened/assigned/responded: where an unresolved ticket stands (a rating
        -- or a late response never moves a resolved or reopened ticket back)
        bitAnd(maxIf(lifecycle_order, event_name in ('opened', 'assigned', 'responded')), 7) as last_progress_stage,
        groupArray((event_type, toString(source), event_id)) as event_refs,
        max(loaded_at) as last_loaded_at
    from events
    group by ticket_id
),

lifecycled as (
    select
        *,
        -- stage 4 = resolved, 6 = reopened: the later of the two decides
        last_resolution_stage = 4 as is_solved,
        if(is_solved, last_resolved_at, NULL) as resolved_at,
        -- The state machine: closed ends it; otherwise the later of the latest resolution and
        -- the latest reopening decides (resolved / reopened), whatever came after it (a rating
        -- of the old resolution leaves a reopened ticket reopened); a ticket never resolved
        -- stands at its latest step (opened → assigned → responded).
        multiIf(
            last_event_name = 'closed', 'closed',
            is_solved, 'resolved',
            last_resolution_stage = 6, 'reopened',
            last_progress_stage = 3, 'responded',
            last_progress_stage = 2, 'assigned',
            'open'
        ) as status,
        {{ hours_between('opened_at', 'first_responded_at') }} as hours_to_respond,
        {{ hours_between('opened_at', 'if(is_solved, last_resolved_at, NULL)') }} as hours_to_resolve
    from tickets
)

select * from lifecycled
