{{ config(materialized='view') }}

-- Problems of a feed, for the people who own it (owner from seeds/source_cadences.csv), one
-- row per problem with a deterministic id so an alert service sends each exactly once:
--   new_error_code   a (source, outcome, rule) pair seen for the first time: one issue per pair, ever
--                    (id from source, outcome and rule; opened when first seen)
--   rejection_rate   an hour in which refused + dead-lettered events exceeded the source's
--                    rejection_rate_threshold (default var quality_default_rejection_rate, 5 %)
--                    with at least quality_min_events_for_rate (10) events: one issue per source and hour
--   silent           a source late against its cadence (fct_source_freshness): one issue per
--                    silence, i.e. per last thing received before it (a source that sends again
--                    and stops again opens a new one)
-- A view over raw: an issue shows within seconds of its cause landing.
with cadences as (
    {{ cadences_in_force() }}
),

owners as (
    select source, source_zh, owner_name, owner_contact, cadence_version from {{ ref('fct_source_freshness') }}
),

new_codes as (
    select
        publisher_source as source,
        'new_error_code' as kind,
        outcome,
        rule,
        min(loaded_at) as opened_at,
        max(loaded_at) as last_seen_at,
        uniqExact(outcome_key) as events,
        concat(if(outcome = 'rejected', '接口拒收', '入库失败'), '：首次出现错误规则 ', rule,
               '（已 ', toString(uniqExact(outcome_key)), ' 条）') as detail_text
    from {{ ref('int_source_outcomes') }}
    where outcome in ('rejected', 'dead_lettered') and loaded_at <= {{ as_of() }}
    group by publisher_source, outcome, rule
),

rates as (
    select
        h.source as source,
        'rejection_rate' as kind,
        '' as outcome,
        '' as rule,
        h.hour_start as opened_at,
        h.last_loaded_at as last_seen_at,
        h.rejected + h.dead_lettered as events,
        concat('拒收率 ', toString(round(h.rejection_rate * 100, 1)), '%（', toString(h.rejected + h.dead_lettered), '/',
               toString(h.accepted + h.rejected + h.dead_lettered), '），超过阈值 ',
               toString(round(if(c.source != '', c.rejection_rate_threshold,
                                 {{ var('quality_default_rejection_rate', 0.05) }}) * 100, 1)), '%') as detail_text
    from {{ ref('fct_source_quality_hourly') }} as h
    left join cadences as c on c.source = h.source
    where h.accepted + h.rejected + h.dead_lettered >= {{ var('quality_min_events_for_rate', 10) }}
      and (h.rejected + h.dead_lettered) / (h.accepted + h.rejected + h.dead_lettered)
          > if(c.source != '', c.rejection_rate_threshold, {{ var('quality_default_rejection_rate', 0.05) }})
),

silences as (
    select
        source,
        'silent' as kind,
        '' as outcome,
        '' as rule,
        assumeNotNull(last_received_at) as opened_at,
        assumeNotNull(last_received_at) as last_seen_at,
        toUInt64(0) as events,
        concat('已 ', toString(toUInt64(floor(silence_minutes))), ' 分钟未送数（约定每 ', toString(cadence_minutes),
               ' 分钟；最后收到 ', last_received_text, '）') as detail_text
    from {{ ref('fct_source_freshness') }}
    where is_late
),

issues as (
    select * from new_codes
    union all
    select * from rates
    union all
    select * from silences
)

select
    concat(i.kind, '-', lower(hex(MD5(concat(i.source, '|', i.kind, '|', i.outcome, '|', i.rule, '|',
        if(i.kind = 'new_error_code', '', toString(i.opened_at))))))) as issue_id,
    i.kind as kind,
    transform(i.kind, ['new_error_code', 'rejection_rate', 'silent'], ['新错误类型', '拒收率超阈值', '数据源静默'], '') as kind_zh,
    i.source as source,
    if(o.source != '' or i.source = '', o.source_zh, i.source) as source_zh,
    if(o.source != '', o.owner_name, '（未登记）') as owner_name,
    if(o.source != '', o.owner_contact, '') as owner_contact,
    i.outcome as outcome,
    i.rule as rule,
    i.opened_at as opened_at,
    {{ shanghai_text('i.opened_at') }} as opened_text,
    i.last_seen_at as last_seen_at,
    i.events as events,
    i.detail_text as detail_text,
    -- the source_cadences version the issue was judged by (0: a system nobody registered)
    toUInt32(if(o.source != '', ifNull(o.cadence_version, 0), 0)) as definition_version,
    {{ as_of() }} as as_of
from issues as i
left join owners as o on o.source = i.source
