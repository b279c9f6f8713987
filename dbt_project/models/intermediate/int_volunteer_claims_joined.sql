-- One row per (post, member): claims and logged hours carry only the post id, so the
-- community comes from the post's publication.
with events as (
    select * from {{ ref('stg_raw__volunteer_events') }}
),

posts as (
    select
        post_id,
        {{ first_values(['category', 'street_id', 'community_id', 'slots']) }},
        min(occurred_at) as published_at
    from events
    where event_name = 'post_published'
    group by post_id
),

claims as (
    select
        post_id,
        assumeNotNull(member_id) as member_id,
        minIfOrNull(occurred_at, event_name = 'post_claimed') as claimed_at,
        toFloat64(sumIf(coalesce(hours, 0), event_name = 'hours_logged')) as hours,
        argMinIf(street_id, occurred_at, street_id != '') as event_street_id,
        argMinIf(community_id, occurred_at, community_id != '') as event_community_id,
        groupArray((event_type, toString(source), event_id)) as event_refs,
        max(loaded_at) as last_loaded_at
    from events
    where event_name in ('post_claimed', 'hours_logged') and member_id is not null
    group by post_id, member_id
),

joined as (
    select
        claims.post_id as post_id,
        claims.member_id as member_id,
        posts.category as category,
        {{ place_or('posts', 'claims.event_street_id', 'claims.event_community_id') }},
        posts.published_at as published_at,
        claims.claimed_at as claimed_at,
        claims.hours as hours,
        claims.event_refs as event_refs,
        claims.last_loaded_at as last_loaded_at
    from claims
    left join posts on posts.post_id = claims.post_id
    settings join_use_nulls = 0
)

select * from joined
