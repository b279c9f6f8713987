with source as (
    {{ deduplicated_source('resources') }}
),

renamed as (
    select
        {{ staging_envelope('resources') }},
        demand_id,
        supply_id,
        match_id,
        unit_id,
        toNullable(toString(category)) as category,
        data
    from source
)

select * from renamed
