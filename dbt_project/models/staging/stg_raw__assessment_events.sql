{#- incremental, append, MergeTree, by month: dbt_project.yml (staging). Sorted by the
    aggregate id so facts find the events of the aggregates they recompute. -#}
{{ config(order_by='(subject, source, event_id)') }}

with source as (
    {{ deduplicated_source('assessment') }}
),

renamed as (
    select
        {{ staging_envelope('assessment') }},
        assessment_id,
        review_id,
        toString(level) as level,
        quarter,
        score,
        year,
        toNullable(toString(rating)) as rating,
        data
    from source
)

select * from renamed
