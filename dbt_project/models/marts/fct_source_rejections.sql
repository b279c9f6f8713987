{{ config(materialized='view') }}

-- What went wrong, per publishing system, hour, outcome (rejected at the API / dead-lettered by
-- the worker), rule (the API's rule, or the dead letter's error_code) and claimed event type:
-- "rejected by rule" of 数据质量. A view over raw, the same window as fct_source_quality_hourly.
with cadences as (
    {{ cadences_in_force() }}
)

select
    o.publisher_source as source,
    if(c.source != '', c.label_zh, if(o.publisher_source = '', '（未知来源）', o.publisher_source)) as source_zh,
    toDateTime64(toStartOfHour(o.loaded_at), 3, 'UTC') as hour_start,
    toDateTime(formatDateTime(toStartOfHour(o.loaded_at), '%Y-%m-%d %H:00:00', '{{ var("report_timezone") }}'), 'UTC') as hour_local,
    o.outcome,
    if(o.outcome = 'rejected', '接口拒收', '入库失败') as outcome_zh,
    o.rule,
    if(o.event_type = '', '（未知类型）', o.event_type) as event_type,
    uniqExact(o.outcome_key) as events,
    max(o.loaded_at) as last_seen_at
from {{ ref('int_source_outcomes') }} as o
left join cadences as c on c.source = o.publisher_source
where o.outcome in ('rejected', 'dead_lettered')
  and o.loaded_at >= {{ as_of() }} - toIntervalDay({{ var('quality_window_days', 30) }})
  and o.loaded_at <= {{ as_of() }}
group by source, source_zh, hour_start, hour_local, o.outcome, outcome_zh, o.rule, event_type
