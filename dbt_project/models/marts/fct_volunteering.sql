-- depends_on: {{ ref('stg_raw__volunteer_events') }}
{#- Replaced per claim (replaced_per_key): logged hours keep arriving after the claim. -#}
{{ replaced_per_key('claim_key', '(street_id, community_id, post_id, member_id)', 'toYYYYMM(claimed_at)') }}

with claims as (
    select * from {{ ref('int_volunteer_claims_joined') }}
    where claimed_at is not null
    {% if is_incremental() %}
      and post_id in ({{ keys_loaded_since_last_run('post_id', 'stg_raw__volunteer_events') }})
    {% endif %}
)

select
    concat(claims.post_id, '/', claims.member_id) as claim_key,
    claims.post_id as post_id,
    claims.member_id as member_id,
    claims.category as category,
    {{ label_zh('category_label') }} as category_zh,
    {{ place_columns('claims') }},
    assumeNotNull(claims.claimed_at) as claimed_at,
    {{ local_date('claims.claimed_at') }} as claimed_day,
    claims.hours as hours,
    {{ replaced_row_columns('claims') }}
from claims
{{ place_joins('claims') }}
{{ label_join('volunteer_category', 'claims.category', 'category_label') }}
