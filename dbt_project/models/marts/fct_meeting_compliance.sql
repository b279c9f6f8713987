{{ config(engine='MergeTree()', order_by='(level, street_id, community_id, period_start)', partition_by='toYear(period_start)') }}

with compliance as (
    select * from {{ ref('int_meetings_scheduled_vs_held') }}
),

versions as (
    select period_start, version, threshold_hours
    from {{ ref('int_kpi_versions_monthly') }}
    where kpi = 'meeting_compliance'
)

select
    compliance.level as level,
    {{ label_zh('level_label') }} as level_zh,
    {{ place_columns('compliance') }},
    compliance.period as period,
    compliance.period_start as period_start,
    compliance.required as required,
    compliance.held as held,
    compliance.on_time as on_time,
    compliance.status as status,
    {{ label_zh('status_label') }} as status_zh,
    compliance.attending_units as attending_units,
    versions.version as compliance_version,
    -- v1 counts late meetings as held, v2 only on-time ones (kpi_definitions.csv)
    toUInt8(compliance.required = 1 and if(versions.version = 1, compliance.held = 1, compliance.on_time = 1)) as is_compliant,
    compliance.meeting_ids as meeting_ids,
    compliance.event_refs as event_refs
from compliance
left join versions on versions.period_start = compliance.period_start
{{ place_joins('compliance') }}
{{ label_join('meeting_level', 'compliance.level', 'level_label') }}
{{ label_join('meeting_status', 'compliance.status', 'status_label') }}
