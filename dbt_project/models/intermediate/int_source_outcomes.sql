{{ config(materialized='view') }}

-- Every recorded outcome of every event, per publishing system, read from raw at query time
-- (a view over source(), like live_headline_today): 数据质量 is current within seconds of a
-- load, with no dbt run in between. Outcomes:
--   accepted       an event in a domain table (source = the publisher), one per (source, event_id)
--   rejected       a refusal of the ingest API (raw.quality_events, publisher_source)
--   dead_lettered  a record the stream worker could not load (raw.dead_letters, its claimed source)
--   replayed       a dead letter sent again by `lianxi dlq replay` (replayed_at set)
-- outcome_key counts each outcome once however often raw holds it before merges: a 64-bit hash
-- of its key (uniqExact over UInt64 is twice as fast as over the key text; a collision, ~1e-6
-- at 10 M events, would undercount by one).
{% for domain in event_domains() %}
select
    toString(source) as publisher_source,
    'accepted' as outcome,
    '{{ domain }}' as domain,
    toString(type) as event_type,
    '' as rule,
    time as event_time,
    ingested_at as loaded_at,
    cityHash64(toString(source), event_id) as outcome_key,
    dateDiff('millisecond', time, ingested_at) / 1000.0 as lag_seconds
from {{ source('raw', domain ~ '_events') }}
union all
{% endfor %}
select
    publisher_source,
    'rejected' as outcome,
    '' as domain,
    ifNull(rejected_type, '') as event_type,
    rule,
    time as event_time,
    ingested_at as loaded_at,
    cityHash64(event_id) as outcome_key,
    -- Time from the API's refusal to the row in raw: the rejection path's own lag.
    dateDiff('millisecond', time, ingested_at) / 1000.0 as lag_seconds
from {{ source('raw', 'quality_events') }}
where type = 'lianxi.quality.event_rejected'
union all
select
    ifNull(source, '') as publisher_source,
    'dead_lettered' as outcome,
    '' as domain,
    ifNull(event_type, '') as event_type,
    toString(error_code) as rule,
    failed_at as event_time,
    failed_at as loaded_at,
    cityHash64(toString(topic), partition, offset) as outcome_key,
    0.0 as lag_seconds
from {{ source('raw', 'dead_letters') }}
union all
select
    ifNull(source, '') as publisher_source,
    'replayed' as outcome,
    '' as domain,
    ifNull(event_type, '') as event_type,
    toString(error_code) as rule,
    failed_at as event_time,
    assumeNotNull(replayed_at) as loaded_at,
    cityHash64(toString(topic), partition, offset) as outcome_key,
    dateDiff('millisecond', failed_at, assumeNotNull(replayed_at)) / 1000.0 as lag_seconds
from {{ source('raw', 'dead_letters') }}
where replayed_at is not null
