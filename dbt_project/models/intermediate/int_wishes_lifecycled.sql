-- posted → claimed → fulfilled | cancelled, one row per wish. The first claim and the first
-- fulfilment count: a re-claim after a volunteer dropped out does not reset the clock.
with events as (
    select * from {{ ref('stg_raw__wish_events') }}
),

wishes as (
    select
        wish_id,
        argMinIf(category, occurred_at, event_name = 'posted') as category,
        -- claims carry no community; the posting event is the one that places the wish
        argMinIf(street_id, occurred_at, street_id != '') as street_id,
        argMinIf(community_id, occurred_at, community_id != '') as community_id,
        argMinIf(resident_id, occurred_at, event_name = 'posted') as resident_id,
        minIfOrNull(occurred_at, event_name = 'posted') as posted_at,
        minIfOrNull(occurred_at, event_name = 'claimed') as claimed_at,
        argMinIf(member_id, occurred_at, event_name = 'claimed') as claimed_by_member_id,
        argMinIf(unit_id, occurred_at, event_name = 'claimed') as claimed_by_unit_id,
        minIfOrNull(occurred_at, event_name = 'fulfilled') as fulfilled_at,
        minIfOrNull(occurred_at, event_name = 'cancelled') as cancelled_at,
        argMinIf(reason, occurred_at, event_name = 'cancelled') as cancel_reason,
        groupArray((event_type, toString(source), event_id)) as event_refs,
        max(loaded_at) as last_loaded_at
    from events
    group by wish_id
),

lifecycled as (
    select
        *,
        multiIf(
            fulfilled_at is not null, 'fulfilled',
            cancelled_at is not null, 'cancelled',
            claimed_at is not null, 'claimed',
            'posted'
        ) as status,
        {{ hours_between('posted_at', 'claimed_at') }} as hours_to_claim
    from wishes
)

select * from lifecycled
