{#- The CloudEvents envelope columns every staging model carries, so lineage back to
    (source, event_id) and the Shanghai reporting day look the same in every domain. -#}
{% macro staging_envelope(domain) -%}
        event_id,
        source,
        toString(type) as event_type,
        replaceOne(toString(type), 'lianxi.{{ domain }}.', '') as event_name,
        schema_version,
        subject,
        time as occurred_at,
        {{ local_date('time') }} as occurred_on,
        toString(street_id) as street_id,
        toString(community_id) as community_id,
        ingested_at as loaded_at,
        kafka_topic,
        kafka_partition,
        kafka_offset
{%- endmacro %}

{#- A re-delivered event may sit twice in raw until ReplacingMergeTree merges; keeping one
    row per dedup key is cheaper than FINAL over the whole table. Incremental runs read only
    the raw rows loaded since the watermark (plus the look-back, see reporting_time.sql) and
    drop the events the staging table already holds: a re-delivery arriving days later, or
    a row of the look-back window seen by the previous run, never enters staging twice.
    The existing keys are looked up for the new event ids only, not for the whole table. -#}
{% macro deduplicated_source(domain) -%}
    {%- set raw = source('raw', domain ~ '_events') -%}
    select * from {{ raw }}
    {%- if is_incremental() %}
    where ingested_at > {{ incremental_watermark('loaded_at') }}
      and (source, event_id) not in (
        select source, event_id from {{ this }}
        where event_id in (select event_id from {{ raw }} where ingested_at > {{ incremental_watermark('loaded_at') }})
      )
    {%- endif %}
    limit 1 by source, event_id
{%- endmacro %}
