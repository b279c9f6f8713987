{{ config(materialized='view') }}

-- 数据质量 per publishing system and hour (the hour the outcome was recorded: loaded into raw,
-- refused by the API, dead-lettered, replayed), over the last `quality_window_days` (30) days
-- before the report instant. A view over raw (int_source_outcomes): current within seconds.
-- Lag is event time → loaded into raw, for accepted events only (a backfill of old events
-- shows its age honestly).
with outcomes as (
    select *
    from {{ ref('int_source_outcomes') }}
    where loaded_at >= {{ as_of() }} - toIntervalDay({{ var('quality_window_days', 30) }})
      and loaded_at <= {{ as_of() }}
),

cadences as (
    {{ cadences_in_force() }}
),

hourly as (
    select
        publisher_source,
        toStartOfHour(loaded_at) as hour_start,
        uniqExactIf(outcome_key, outcome = 'accepted') as accepted,
        uniqExactIf(outcome_key, outcome = 'rejected') as rejected,
        uniqExactIf(outcome_key, outcome = 'dead_lettered') as dead_lettered,
        uniqExactIf(outcome_key, outcome = 'replayed') as replayed,
        {{ null_if_epoch("maxIf(event_time, outcome = 'accepted')") }} as last_event_time,
        max(loaded_at) as last_loaded_at,
        quantileIf(0.5)(lag_seconds, outcome = 'accepted') as lag_p50_seconds,
        quantileIf(0.95)(lag_seconds, outcome = 'accepted') as lag_p95_seconds,
        maxIf(lag_seconds, outcome = 'accepted') as lag_max_seconds
    from outcomes
    group by publisher_source, hour_start
)

select
    h.publisher_source as source,
    if(c.source != '', c.label_zh, if(h.publisher_source = '', '（未知来源）', h.publisher_source)) as source_zh,
    toDateTime64(h.hour_start, 3, 'UTC') as hour_start,
    -- Shanghai wall-clock hour, for axes and tables (Superset shows a DateTime as stored).
    toDateTime(formatDateTime(h.hour_start, '%Y-%m-%d %H:00:00', '{{ var("report_timezone") }}'), 'UTC') as hour_local,
    {{ shanghai_text('h.hour_start') }} as hour_text,
    h.accepted,
    h.rejected,
    h.dead_lettered,
    h.replayed,
    h.rejected / nullIf(h.accepted + h.rejected + h.dead_lettered, 0) as rejection_rate,
    h.last_event_time,
    h.last_loaded_at,
    if(h.accepted = 0, NULL, h.lag_p50_seconds) as lag_p50_seconds,
    if(h.accepted = 0, NULL, h.lag_p95_seconds) as lag_p95_seconds,
    if(h.accepted = 0, NULL, h.lag_max_seconds) as lag_max_seconds,
    {{ as_of() }} as as_of
from hourly as h
left join cadences as c on c.source = h.publisher_source
