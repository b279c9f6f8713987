{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(post_id, source, event_id)') }}

with source as (
    {{ deduplicated_source('volunteer') }}
),

renamed as (
    select
        {{ staging_envelope('volunteer') }},
        post_id,
        toNullable(toString(category)) as category,
        slots,
        member_id,
        hours,
        data
    from source
)

select * from renamed
