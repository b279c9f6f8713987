with source as (
    {{ deduplicated_source('wish') }}
),

renamed as (
    select
        {{ staging_envelope('wish') }},
        wish_id,
        toNullable(toString(category)) as category,
        resident_id,
        member_id,
        unit_id,
        reason,
        data
    from source
)

select * from renamed
