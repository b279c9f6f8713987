{{ config(materialized='view') }}

-- 数据截至 of every dashboard (seeds/dashboard_feeds.csv: which domains each one reads).
-- complete_to: the instant its figures are complete to. A dashboard built by dbt is complete
-- to its last build (fct_headline_indicators.as_of; live dashboards: now), unless a system
-- that feeds it is late (fct_source_freshness): then only up to the last thing that system
-- sent. warning_text names the late systems, how long they have been silent and their cadence;
-- empty when none is late. A view: the header of every dashboard reads it at query time.
with feeds as (
    select distinct f.dashboard as dashboard, f.title_zh as title_zh, f.live as live, o.publisher_source as source
    from {{ ref('dashboard_feeds') }} as f
    inner join (
        select distinct publisher_source, domain
        from {{ ref('int_source_outcomes') }}
        where outcome = 'accepted'
    ) as o on o.domain = f.domain
),

boards as (
    select dashboard, any(title_zh) as title_zh, max(live) as live
    from {{ ref('dashboard_feeds') }}
    group by dashboard
),

late as (
    select
        f.dashboard as dashboard,
        count() as late_sources,
        min(s.last_received_at) as oldest_late_received_at,
        arrayStringConcat(arraySort(groupArray(concat(
            s.source_zh, ' 已 ', toString(toUInt64(floor(s.silence_minutes))), ' 分钟未送数（约定每 ',
            toString(s.cadence_minutes), ' 分钟）'))), '；') as late_text
    from feeds as f
    inner join {{ ref('fct_source_freshness') }} as s on s.source = f.source
    where s.is_late
    group by f.dashboard
),

built as (
    select max(as_of) as built_at from {{ ref('fct_headline_indicators') }}
),

dated as (
    select
        b.dashboard as dashboard,
        b.title_zh as title,
        -- Live dashboards read raw at query time; the others are as fresh as the last build.
        if(b.live, {{ as_of() }}, (select built_at from built)) as built_at,
        l.dashboard != '' as any_late,
        l.late_sources as late_sources,
        l.oldest_late_received_at as oldest_late_received_at,
        l.late_text as late_text
    from boards as b
    left join late as l on l.dashboard = b.dashboard
)

select
    dashboard,
    title,
    if(any_late, least(built_at, oldest_late_received_at), built_at) as complete_to,
    {{ shanghai_text("if(any_late, least(built_at, oldest_late_received_at), built_at)") }} as complete_to_text,
    if(any_late, late_sources, 0) as late_sources,
    if(any_late, concat('注意：', late_text, '，本页数据可能不完整'), '各数据源均按约定频率送达') as warning_text,
    {{ as_of() }} as as_of
from dated
