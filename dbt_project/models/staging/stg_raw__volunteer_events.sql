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
