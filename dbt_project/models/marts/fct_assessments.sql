{{ config(engine='MergeTree()', order_by='(kind, street_id, community_id, assessment_key)') }}

-- Quarterly responsibility-list scores and yearly secretary reviews in one fact; the latest
-- event per assessment/review wins (a corrected score replaces the first one).
with events as (
    select
        *,
        if(event_name = 'quarterly_scored', 'quarterly_score', 'secretary_review') as kind,
        assumeNotNull(coalesce(assessment_id, review_id)) as assessment_key
    from {{ ref('stg_raw__assessment_events') }}
    where event_name in ('quarterly_scored', 'secretary_reviewed')
),

latest as (
    select
        assessment_key,
        any(kind) as kind,
        {{ latest_values(['level', 'street_id', 'community_id', 'quarter', 'year', 'score', 'rating']) }},
        max(occurred_at) as assessed_at,
        groupArray((event_type, toString(source), event_id)) as event_refs
    from events
    group by assessment_key
)

select
    latest.assessment_key as assessment_key,
    latest.kind as kind,
    {{ label_zh('kind_label') }} as kind_zh,
    latest.level as level,
    {{ label_zh('level_label') }} as level_zh,
    {{ place_columns('latest') }},
    latest.quarter as quarter,
    latest.year as year,
    latest.score as score,
    latest.rating as rating,
    {{ label_zh('rating_label') }} as rating_zh,
    latest.assessed_at as assessed_at,
    latest.event_refs as event_refs
from latest
{{ place_joins('latest') }}
{{ label_join('assessment_kind', 'latest.kind', 'kind_label') }}
{{ label_join('meeting_level', 'latest.level', 'level_label') }}
{{ label_join('assessment_rating', 'latest.rating', 'rating_label') }}
