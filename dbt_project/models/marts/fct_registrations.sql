-- depends_on: {{ ref('stg_raw__member_events') }}
{#- Replaced per member (replaced_per_key): a member's row changes when they register again. -#}
{{ replaced_per_key('member_id', '(street_id, community_id, member_id)', 'toYYYYMM(registered_at)') }}

with members as (
    select * from {{ ref('int_members_registered') }}
    {% if is_incremental() %}
    where member_id in ({{ keys_loaded_since_last_run('member_id', 'stg_raw__member_events', "event_name = 'registered'") }})
    {% endif %}
)

select
    members.member_id as member_id,
    {{ place_columns('members') }},
    coalesce(members.in_service, false) as in_service,
    members.unit_id as unit_id,
    members.project as project,
    {{ label_zh('project_label') }} as project_zh,
    members.registered_at as registered_at,
    {{ local_date('members.registered_at') }} as registered_day,
    -- 在职党员到社区报到 (the headline figure): in service and not registered through a project
    toUInt8(coalesce(members.in_service, false) and members.project is null) as is_in_service_registered,
    {{ replaced_row_columns('members') }}
from members
{{ place_joins('members') }}
{{ label_join('member_project', 'members.project', 'project_label') }}
