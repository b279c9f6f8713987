-- depends_on: {{ ref('stg_raw__wish_events') }}
{#- Replaced per wish (replaced_per_key): a wish's row changes as it is claimed and fulfilled. -#}
{{ replaced_per_key('wish_id', '(street_id, community_id, wish_id)', 'toYYYYMM(posted_at)') }}

with wishes as (
    select * from {{ ref('int_wishes_lifecycled') }}
    where posted_at is not null
    {% if is_incremental() %}
      and wish_id in ({{ keys_loaded_since_last_run('wish_id', 'stg_raw__wish_events') }})
    {% endif %}
)

select
    wishes.wish_id as wish_id,
    wishes.category as category,
    {{ label_zh('category_label') }} as category_zh,
    {{ place_columns('wishes') }},
    wishes.resident_id as resident_id,
    assumeNotNull(wishes.posted_at) as posted_at,
    {{ local_date('wishes.posted_at') }} as posted_day,
    wishes.claimed_at as claimed_at,
    wishes.claimed_by_member_id as claimed_by_member_id,
    wishes.claimed_by_unit_id as claimed_by_unit_id,
    wishes.fulfilled_at as fulfilled_at,
    wishes.cancelled_at as cancelled_at,
    wishes.status as status,
    {{ label_zh('status_label') }} as status_zh,
    wishes.hours_to_claim as hours_to_claim,
    {{ replaced_row_columns('wishes') }}
from wishes
{{ place_joins('wishes') }}
{{ label_join('wish_category', 'wishes.category', 'category_label') }}
{{ label_join('wish_status', 'wishes.status', 'status_label') }}
