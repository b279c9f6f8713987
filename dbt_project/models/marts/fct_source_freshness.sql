{{ config(materialized='view') }}

-- Freshness of every publishing system: what it last sent, and silence measured against the
-- cadence of seeds/source_cadences.csv in force at the report instant (as_of(): now, or
-- LIANXI_DBT_AS_OF). A view over raw: current within seconds.
--   status late        silent (nothing received: no accepted, refused or dead-lettered event)
--                      for longer than cadence_minutes
--          on_time     within its cadence
--          no_cadence  cadence 0 (a one-off load, e.g. the demo year): never late
--          unconfigured sent events but has no cadence row: never late, shown so it gets one
--          never       configured but never sent: not late (nothing of it is missing yet)
with seen as (
    select
        publisher_source as source,
        max(loaded_at) as last_received_at,
        {{ null_if_epoch("maxIf(loaded_at, outcome = 'accepted')") }} as last_accepted_at,
        {{ null_if_epoch("maxIf(event_time, outcome = 'accepted')") }} as last_event_time
    from {{ ref('int_source_outcomes') }}
    where outcome != 'replayed' and loaded_at <= {{ as_of() }}
    group by publisher_source
),

cadences as (
    {{ cadences_in_force() }}
),

sources as (
    select source from seen
    union distinct
    select source from cadences
),

joined as (
    select
        s.source as source,
        c.source != '' as configured,
        c.label_zh as label_zh,
        c.cadence_version as cadence_version,
        c.cadence_effective_from as cadence_effective_from,
        c.cadence_minutes as cadence_minutes,
        c.rejection_rate_threshold as rejection_rate_threshold,
        c.owner_zh as owner_zh,
        c.owner_contact as owner_contact,
        c.domains as domains,
        n.source != '' as has_sent,
        n.last_received_at as last_received_at,
        n.last_accepted_at as last_accepted_at,
        n.last_event_time as last_event_time
    from sources as s
    left join cadences as c on c.source = s.source
    left join seen as n on n.source = s.source
),

judged as (
    select
        *,
        if(has_sent, dateDiff('second', last_received_at, {{ as_of() }}) / 60.0, NULL) as silence_minutes,
        multiIf(
            not has_sent, 'never',
            not configured, 'unconfigured',
            cadence_minutes = 0, 'no_cadence',
            dateDiff('second', last_received_at, {{ as_of() }}) > cadence_minutes * 60, 'late',
            'on_time'
        ) as status
    from joined
)

select
    source,
    if(configured, label_zh, if(source = '', '（未知来源）', source)) as source_zh,
    configured,
    if(configured, cadence_version, NULL) as cadence_version,
    if(configured, cadence_effective_from, NULL) as cadence_effective_from,
    if(configured, cadence_minutes, NULL) as cadence_minutes,
    if(configured, rejection_rate_threshold, NULL) as rejection_rate_threshold,
    if(configured, owner_zh, '（未登记）') as owner_name,
    if(configured, owner_contact, '') as owner_contact,
    if(configured, domains, '') as domains,
    if(has_sent, last_received_at, NULL) as last_received_at,
    if(has_sent, last_accepted_at, NULL) as last_accepted_at,
    if(has_sent, last_event_time, NULL) as last_event_time,
    if(has_sent, {{ shanghai_text('last_received_at') }}, '从未送数') as last_received_text,
    silence_minutes,
    status,
    status = 'late' as is_late,
    transform(status, ['late', 'on_time', 'no_cadence', 'unconfigured', 'never'],
              ['迟到', '正常', '不计频率', '未登记频率', '尚未接入'], '') as status_zh,
    {{ as_of() }} as as_of
from judged
