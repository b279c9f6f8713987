with source as (
    {{ deduplicated_source('member') }}
),

renamed as (
    select
        {{ staging_envelope('member') }},
        member_id,
        in_service,
        unit_id,
        toNullable(toString(project)) as project,
        activity_id,
        data
    from source
)

select * from renamed
