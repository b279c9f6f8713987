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
    row per dedup key is cheaper than FINAL over the whole table. -#}
{% macro deduplicated_source(domain) -%}
    select * from {{ source('raw', domain ~ '_events') }}
    limit 1 by source, event_id
{%- endmacro %}
