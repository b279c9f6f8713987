{{ config(materialized='view') }}

-- The newest event behind each street's figures: per street, the latest event time and load
-- time over every domain table, and which of the systems that feed the street are late
-- (fct_source_freshness). A view over raw: current within seconds.
with by_source as (
    {% for domain in event_domains() %}
    select toString(street_id) as street_id, toString(source) as source,
           max(time) as last_event_time, max(ingested_at) as last_loaded_at
    from {{ source('raw', domain ~ '_events') }}
    where street_id != '' and ingested_at <= {{ as_of() }}
    group by street_id, source
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

per_source as (
    select street_id, source, max(last_event_time) as last_event_time, max(last_loaded_at) as last_loaded_at
    from by_source
    group by street_id, source
),

judged as (
    select p.*, f.is_late as is_late, f.source_zh as source_zh
    from per_source as p
    left join {{ ref('fct_source_freshness') }} as f on f.source = p.source
)

select
    j.street_id as street_id,
    if(d.street_id != '', d.street_name, j.street_id) as street_name,
    max(j.last_event_time) as last_event_time,
    max(j.last_loaded_at) as last_loaded_at,
    {{ shanghai_text('max(j.last_event_time)') }} as last_event_text,
    count() as sources,
    countIf(j.is_late) as late_sources,
    arrayStringConcat(arraySort(groupArrayIf(j.source_zh, j.is_late)), '、') as late_sources_text,
    {{ as_of() }} as as_of
from judged as j
left join {{ ref('dim_street') }} as d on d.street_id = j.street_id
group by j.street_id, street_name
