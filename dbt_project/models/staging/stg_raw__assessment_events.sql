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
