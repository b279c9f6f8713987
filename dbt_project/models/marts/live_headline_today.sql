{{ config(materialized='view') }}

-- Today's counters (since 00:00 Asia/Shanghai, up to now: an event stamped later today is not
-- counted before it happens), read from raw at query time so a tile moves
-- within seconds of an event landing, without waiting for a dbt run. It reads source()
-- rather than staging because it must filter on time before deduplicating: the staging
-- views deduplicate the whole table first. Counted per event (source, event_id).
with today as (
    select
        toDateTime64(toStartOfDay(now('{{ var("report_timezone") }}')), 3, 'UTC') as since,
        now64(3, 'UTC') as until
),

events as (
    {% for domain in ['member', 'wish', 'volunteer', 'ticket', 'meeting', 'resources'] %}
    select toString(type) as type, toString(source) as source, event_id
    from {{ source('raw', domain ~ '_events') }}
    where time >= (select since from today) and time <= (select until from today)
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

counts as (
    select
        uniqExactIf((source, event_id), type = 'lianxi.member.registered') as members_registered,
        uniqExactIf((source, event_id), type = 'lianxi.member.checked_in') as check_ins,
        uniqExactIf((source, event_id), type = 'lianxi.wish.posted') as wishes_posted,
        uniqExactIf((source, event_id), type = 'lianxi.wish.claimed') as wishes_claimed,
        uniqExactIf((source, event_id), type = 'lianxi.wish.fulfilled') as wishes_fulfilled,
        uniqExactIf((source, event_id), type = 'lianxi.volunteer.post_claimed') as volunteer_claims,
        uniqExactIf((source, event_id), type = 'lianxi.ticket.opened') as tickets_opened,
        uniqExactIf((source, event_id), type = 'lianxi.ticket.resolved') as tickets_resolved,
        uniqExactIf((source, event_id), type = 'lianxi.meeting.held') as meetings_held,
        uniqExactIf((source, event_id), type = 'lianxi.resources.matched') as resource_matches
    from events
)

select
    now64(3, 'UTC') as as_of,
    toDate((select since from today), '{{ var("report_timezone") }}') as day,
    counts.*
from counts
