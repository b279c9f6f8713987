-- Stand-in marts for the dashboards tests, shaped per the MARTS CONTRACT (README of dashboards/).
-- Deterministic: every value derives from numbers(), so expected figures are recomputable in SQL.
-- Replace with the real dbt output once dbt_project/ builds marts.
DROP DATABASE IF EXISTS marts;
CREATE DATABASE marts;

CREATE TABLE marts.dim_street (street_id String, street_name String)
ENGINE = MergeTree ORDER BY street_id;
INSERT INTO marts.dim_street
SELECT concat('s-0', toString(number + 1)),
       ['人民路街道', '西兰路街道', '渭阳西路街道', '吴家堡街道', '陈杨寨街道',
        '古渡街道', '沣东街道', '钓台街道', '马泉街道'][number + 1]
FROM numbers(9);

CREATE TABLE marts.dim_community (community_id String, community_name String, street_id String, street_name String)
ENGINE = MergeTree ORDER BY community_id;
INSERT INTO marts.dim_community
SELECT concat('c-0', toString(intDiv(number, 9) + 1), '-', toString(number % 9 + 1)),
       concat(replaceOne(s.street_name, '街道', ''), '第', toString(number % 9 + 1), '社区'),
       s.street_id, s.street_name
FROM numbers(81) AS n
JOIN marts.dim_street AS s ON s.street_id = concat('s-0', toString(intDiv(n.number, 9) + 1));

CREATE TABLE marts.dim_unit (unit_id String, unit_name String, unit_type String, level String, street_id String,
  community_id Nullable(String), party_members UInt32, is_linked Bool, linked_at DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY unit_id;
INSERT INTO marts.dim_unit
SELECT concat('u-', toString(number)), concat('单位', toString(number)), ['机关', '企业', '学校'][number % 3 + 1],
       if(number % 2 = 0, 'street', 'community'), c.street_id, if(number % 2 = 0, NULL, c.community_id),
       10 + number % 50, true, toDateTime64('2026-01-05 02:00:00', 3, 'UTC') + toIntervalHour(number)
FROM numbers(405) AS n JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

CREATE TABLE marts.dim_member (member_id String, community_id String, street_id String, in_service Bool,
  project String, registered_at DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY member_id;

CREATE TABLE marts.fct_headline_indicators (
  as_of DateTime64(3, 'UTC'), streets UInt64, communities UInt64, units_linked UInt64, party_members_linked UInt64,
  building_party_groups UInt64, in_service_members_registered UInt64, builders_home_members UInt64,
  micro_wishes_posted UInt64, micro_wishes_claimed UInt64, micro_wishes_fulfilled UInt64,
  volunteer_posts_claimed UInt64, volunteer_hours Float64, tickets_opened UInt64, tickets_resolved UInt64,
  enterprise_problems_solved UInt64, response_rate Float64, resolution_rate Float64, satisfaction_rate Float64,
  median_hours_to_resolve Float64, street_meeting_compliance Float64, community_meeting_compliance Float64,
  resource_matches UInt64, open_demands UInt64)
ENGINE = MergeTree ORDER BY as_of;
-- (one row, inserted at the end: derived from the facts below, as dbt derives it)

CREATE TABLE marts.fct_daily_indicators (day Date, street_id String, street_name String, community_id String,
  community_name String, members_registered UInt64, in_service_members_registered UInt64, check_ins UInt64,
  wishes_posted UInt64, wishes_claimed UInt64,
  wishes_fulfilled UInt64, volunteer_claims UInt64, volunteer_hours Float64, tickets_opened UInt64,
  tickets_resolved UInt64, meetings_held UInt64)
ENGINE = MergeTree ORDER BY (street_id, community_id, day);
INSERT INTO marts.fct_daily_indicators
SELECT toDate('2026-09-27') + intDiv(number, 81) AS day, c.street_id, c.street_name, c.community_id, c.community_name,
       number % 3, number % 2, number % 7, number % 4, number % 3, number % 2, number % 5, (number % 5) * 1.5, number % 6,
       number % 5, if(number % 30 = 0, 1, 0)
FROM numbers(81 * 60) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

CREATE TABLE marts.fct_tickets (ticket_id String, channel LowCardinality(String), category LowCardinality(String),
  street_id String, street_name String, community_id String, community_name String, project Nullable(String),
  opened_at DateTime64(3, 'UTC'), first_responded_at Nullable(DateTime64(3, 'UTC')),
  resolved_at Nullable(DateTime64(3, 'UTC')), rated_satisfaction Nullable(String), reopen_count UInt32,
  status LowCardinality(String), hours_to_respond Nullable(Float64), hours_to_resolve Nullable(Float64))
ENGINE = MergeTree ORDER BY (street_id, community_id, opened_at, ticket_id);
INSERT INTO marts.fct_tickets
SELECT concat('t-', toString(number)),
       ['hotline', 'grid_manager', 'one_key_call', 'enterprise', 'joint_meeting', 'walk_in'][number % 6 + 1],
       ['road_traffic', 'environment', 'property', 'public_safety', 'enterprise_service', 'social_service'][number % 7 % 6 + 1],
       c.street_id, c.street_name, c.community_id, c.community_name,
       if(number % 11 = 0, 'industrial_park', NULL),
       opened, if(number % 50 = 0, NULL, opened + toIntervalMinute(30 + number % 300)),
       if(number % 10 = 0, NULL, opened + toIntervalHour(2 + number % 70)),
       if(number % 10 = 0 OR number % 4 = 0, NULL, ['satisfied', 'basically_satisfied', 'unsatisfied'][number % 3 + 1]),
       toUInt32(number % 13 = 0),
       if(number % 10 = 0, if(number % 50 = 0, 'open', 'responded'), 'resolved'),
       if(number % 50 = 0, NULL, (30 + number % 300) / 60), if(number % 10 = 0, NULL, toFloat64(2 + number % 70))
FROM (SELECT number, toDateTime64('2026-09-26 16:00:00', 3, 'UTC') + toIntervalMinute(number * 29) AS opened
      FROM numbers(3000)) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

CREATE TABLE marts.fct_meeting_compliance (level LowCardinality(String), street_id String, street_name String,
  community_id String, community_name String, period String, period_start Date,
  required UInt8, held UInt8, on_time UInt8, status LowCardinality(String), attending_units UInt32)
ENGINE = MergeTree ORDER BY (level, street_id, period_start);
INSERT INTO marts.fct_meeting_compliance
SELECT 'street', s.street_id, s.street_name, '', '', concat('2026-Q', toString(q + 1)),
       toDate('2026-01-01') + toIntervalMonth(q * 3), 1, if((q + k) % 7 = 6, 0, 1), if((q + k) % 5 = 4, 0, 1) * if((q + k) % 7 = 6, 0, 1),
       multiIf((q + k) % 7 = 6, 'missed', (q + k) % 5 = 4, 'late', 'held'), if((q + k) % 7 = 6, 0, 8 + (q * 3 + k) % 9)
FROM (SELECT number % 4 AS q, intDiv(number, 4) AS k FROM numbers(36)) AS n
JOIN marts.dim_street AS s ON s.street_id = concat('s-0', toString(n.k + 1));
INSERT INTO marts.fct_meeting_compliance
SELECT 'community', c.street_id, c.street_name, c.community_id, c.community_name,
       concat('2026-', leftPad(toString(m + 1), 2, '0')), toDate('2026-01-01') + toIntervalMonth(m), 1,
       if((m + k) % 11 = 10, 0, 1), if((m + k) % 6 = 5, 0, 1) * if((m + k) % 11 = 10, 0, 1),
       multiIf((m + k) % 11 = 10, 'missed', (m + k) % 6 = 5, 'late', 'held'), if((m + k) % 11 = 10, 0, 3 + (m + k) % 6)
FROM (SELECT number % 11 AS m, intDiv(number, 11) AS k FROM numbers(81 * 11)) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.k, 9) + 1), '-', toString(n.k % 9 + 1));

CREATE TABLE marts.fct_wishes (wish_id String, category LowCardinality(String), street_id String, street_name String,
  community_id String, community_name String, posted_at DateTime64(3, 'UTC'), claimed_at Nullable(DateTime64(3, 'UTC')),
  fulfilled_at Nullable(DateTime64(3, 'UTC')), cancelled_at Nullable(DateTime64(3, 'UTC')),
  status LowCardinality(String), hours_to_claim Nullable(Float64))
ENGINE = MergeTree ORDER BY (street_id, community_id, posted_at, wish_id);
INSERT INTO marts.fct_wishes
SELECT concat('w-', toString(number)), ['elderly_care', 'education', 'daily_help', 'child_care', 'health'][number % 5 + 1],
       c.street_id, c.street_name, c.community_id, c.community_name, posted,
       if(number % 9 = 0, NULL, posted + toIntervalHour(1 + number % 48)),
       if(number % 9 = 0 OR number % 7 = 0, NULL, posted + toIntervalHour(49 + number % 100)),
       if(number % 45 = 0, posted + toIntervalHour(3), NULL),
       multiIf(number % 45 = 0, 'cancelled', number % 9 = 0, 'posted', number % 7 = 0, 'claimed', 'fulfilled'),
       if(number % 9 = 0, NULL, toFloat64(1 + number % 48))
FROM (SELECT number, toDateTime64('2026-09-26 16:00:00', 3, 'UTC') + toIntervalMinute(number * 43) AS posted
      FROM numbers(2000)) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

CREATE TABLE marts.fct_volunteering (post_id String, member_id String, street_id String, street_name String,
  community_id String, community_name String, claimed_at DateTime64(3, 'UTC'), hours Float64)
ENGINE = MergeTree ORDER BY (street_id, community_id, claimed_at, post_id);
INSERT INTO marts.fct_volunteering
SELECT concat('p-', toString(number)), concat('m-', toString(number % 700)), c.street_id, c.street_name,
       c.community_id, c.community_name,
       toDateTime64('2026-09-26 16:00:00', 3, 'UTC') + toIntervalMinute(number * 41), 0.5 * (1 + number % 8)
FROM numbers(2000) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

CREATE TABLE marts.fct_registrations (member_id String, street_id String, street_name String, community_id String,
  community_name String, in_service Bool, project Nullable(String), registered_at DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY (street_id, community_id, registered_at, member_id);
INSERT INTO marts.fct_registrations
SELECT concat('m-', toString(number)), c.street_id, c.street_name, c.community_id, c.community_name,
       number % 4 != 0, if(number % 31 = 0, 'builders_home', NULL),
       toDateTime64('2026-09-26 16:00:00', 3, 'UTC') + toIntervalMinute(number * 37)
FROM numbers(2000) AS n
JOIN marts.dim_community AS c ON c.community_id = concat('c-0', toString(intDiv(n.number % 81, 9) + 1), '-', toString(n.number % 9 + 1));

-- The Chinese label columns dbt joins from seeds/code_labels.csv (same labels, so the
-- dashboards show what they show on the real marts).
ALTER TABLE marts.fct_tickets
  ADD COLUMN channel_zh Nullable(String) DEFAULT transform(channel, ['hotline', 'grid_manager', 'one_key_call', 'enterprise', 'joint_meeting', 'walk_in'], ['服务热线', '网格员上报', '一键通呼叫', '企业诉求', '联席会议', '群众来访'], NULL),
  ADD COLUMN category_zh Nullable(String) DEFAULT transform(category, ['road_traffic', 'environment', 'property', 'public_safety', 'enterprise_service', 'social_service'], ['道路交通', '环境卫生', '物业管理', '公共安全', '企业服务', '民生服务'], NULL),
  ADD COLUMN project_zh Nullable(String) DEFAULT if(project = 'industrial_park', '装备制造产业园', '未填写'),
  ADD COLUMN rated_satisfaction_zh Nullable(String) DEFAULT transform(coalesce(rated_satisfaction, ''), ['satisfied', 'basically_satisfied', 'unsatisfied', ''], ['满意', '基本满意', '不满意', '未评价'], NULL),
  ADD COLUMN status_zh Nullable(String) DEFAULT transform(status, ['open', 'assigned', 'responded', 'resolved', 'reopened', 'closed'], ['待处理', '已派单', '已响应', '已办结', '重新办理', '已关闭'], NULL);
ALTER TABLE marts.fct_wishes
  ADD COLUMN category_zh Nullable(String) DEFAULT transform(category, ['elderly_care', 'education', 'daily_help', 'child_care', 'health'], ['助老服务', '助学圆梦', '生活帮扶', '儿童关爱', '医疗健康'], NULL),
  ADD COLUMN status_zh Nullable(String) DEFAULT transform(status, ['posted', 'claimed', 'fulfilled', 'cancelled'], ['待认领', '已认领', '已实现', '已取消'], NULL);
ALTER TABLE marts.fct_volunteering
  ADD COLUMN category Nullable(String) DEFAULT 'elderly_care',
  ADD COLUMN category_zh Nullable(String) DEFAULT '助老服务';
ALTER TABLE marts.fct_registrations
  ADD COLUMN project_zh Nullable(String) DEFAULT if(project = 'builders_home', '建设者之家', '未填写');
ALTER TABLE marts.fct_meeting_compliance
  ADD COLUMN level_zh Nullable(String) DEFAULT if(level = 'street', '街道', '社区'),
  ADD COLUMN status_zh Nullable(String) DEFAULT transform(status, ['held', 'late', 'missed', 'pending'], ['按时召开', '延期召开', '未召开', '待召开'], NULL);

ALTER TABLE marts.fct_registrations
  ADD COLUMN is_in_service_registered UInt8 DEFAULT toUInt8(in_service AND project IS NULL);

-- The metric layer: numerator/denominator per KPI, month and community (dbt's fct_kpi_monthly).
CREATE TABLE marts.fct_kpi_monthly (kpi LowCardinality(String), kpi_zh Nullable(String), period_start Date,
  street_id String, street_name Nullable(String), community_id String, community_name Nullable(String),
  version UInt16, numerator UInt64, denominator UInt64, rate Nullable(Float64))
ENGINE = MergeTree ORDER BY (kpi, street_id, community_id, period_start);
INSERT INTO marts.fct_kpi_monthly
SELECT k.1, k.2, toStartOfMonth(toDate(opened_at, 'Asia/Shanghai')) AS month, street_id, street_name, community_id,
       community_name, 1, sum(k.3), sum(k.4), sum(k.3) / nullIf(sum(k.4), 0)
FROM marts.fct_tickets
ARRAY JOIN [('response_rate', '响应率', toUInt64(first_responded_at IS NOT NULL), toUInt64(1)),
            ('resolution_rate', '办结率', toUInt64(resolved_at IS NOT NULL), toUInt64(1)),
            ('satisfaction_rate', '满意率', toUInt64(rated_satisfaction IN ('satisfied', 'basically_satisfied')),
             toUInt64(rated_satisfaction IS NOT NULL))] AS k
GROUP BY k.1, k.2, month, street_id, street_name, community_id, community_name;
INSERT INTO marts.fct_kpi_monthly
SELECT concat(level, '_meeting_compliance'), if(level = 'street', '街道联席会议履约率', '社区联席会议履约率'),
       period_start, street_id, street_name, coalesce(community_id, ''), community_name, 1, sum(held), sum(required),
       sum(held) / nullIf(sum(required), 0)
FROM marts.fct_meeting_compliance GROUP BY ALL;
INSERT INTO marts.fct_kpi_monthly
SELECT 'wish_fulfilment_rate', '微心愿实现率', toStartOfMonth(toDate(posted_at, 'Asia/Shanghai')) AS month, street_id,
       street_name, community_id, community_name, 1, countIf(fulfilled_at IS NOT NULL), count(),
       countIf(fulfilled_at IS NOT NULL) / count()
FROM marts.fct_wishes GROUP BY ALL;

-- The district's headline row, derived from the facts above as dbt's fct_headline_indicators
-- derives it (rates through fct_kpi_monthly), so the whole district gives exactly the headline
-- figure on every dashboard. Figures without a stand-in fact here (building party groups,
-- resource matches, open demands) stay constants.
INSERT INTO marts.fct_headline_indicators
SELECT toDateTime64('2026-11-25 01:00:00', 3, 'UTC'),
       (SELECT count() FROM marts.dim_street), (SELECT count() FROM marts.dim_community),
       (SELECT countIf(is_linked) FROM marts.dim_unit), (SELECT sumIf(party_members, is_linked) FROM marts.dim_unit),
       409,
       (SELECT sum(is_in_service_registered) FROM marts.fct_registrations),
       (SELECT countIf(project = 'builders_home') FROM marts.fct_registrations),
       (SELECT count() FROM marts.fct_wishes), (SELECT countIf(claimed_at IS NOT NULL) FROM marts.fct_wishes),
       (SELECT countIf(fulfilled_at IS NOT NULL) FROM marts.fct_wishes),
       (SELECT count() FROM marts.fct_volunteering), (SELECT round(sum(hours), 3) FROM marts.fct_volunteering),
       (SELECT count() FROM marts.fct_tickets), (SELECT countIf(resolved_at IS NOT NULL) FROM marts.fct_tickets),
       (SELECT countIf(resolved_at IS NOT NULL AND project = 'industrial_park') FROM marts.fct_tickets),
       (SELECT sumIf(numerator, kpi = 'response_rate') / nullIf(sumIf(denominator, kpi = 'response_rate'), 0) FROM marts.fct_kpi_monthly),
       (SELECT sumIf(numerator, kpi = 'resolution_rate') / nullIf(sumIf(denominator, kpi = 'resolution_rate'), 0) FROM marts.fct_kpi_monthly),
       (SELECT sumIf(numerator, kpi = 'satisfaction_rate') / nullIf(sumIf(denominator, kpi = 'satisfaction_rate'), 0) FROM marts.fct_kpi_monthly),
       (SELECT quantileExactIf(0.5)(hours_to_resolve, resolved_at IS NOT NULL) FROM marts.fct_tickets),
       (SELECT sumIf(numerator, kpi = 'street_meeting_compliance') / nullIf(sumIf(denominator, kpi = 'street_meeting_compliance'), 0) FROM marts.fct_kpi_monthly),
       (SELECT sumIf(numerator, kpi = 'community_meeting_compliance') / nullIf(sumIf(denominator, kpi = 'community_meeting_compliance'), 0) FROM marts.fct_kpi_monthly),
       312, 41;

-- Today's counters since 00:00 Asia/Shanghai, computed at query time like dbt's live view.
CREATE VIEW marts.live_headline_today AS
WITH toDateTime64(toStartOfDay(now('Asia/Shanghai')), 3, 'UTC') AS since
SELECT now64(3, 'UTC') AS as_of, toDate(since, 'Asia/Shanghai') AS day,
       (SELECT count() FROM marts.fct_registrations WHERE registered_at >= since) AS members_registered,
       toUInt64(0) AS check_ins,
       (SELECT count() FROM marts.fct_wishes WHERE posted_at >= since) AS wishes_posted,
       (SELECT count() FROM marts.fct_wishes WHERE claimed_at >= since) AS wishes_claimed,
       (SELECT count() FROM marts.fct_wishes WHERE fulfilled_at >= since) AS wishes_fulfilled,
       (SELECT count() FROM marts.fct_volunteering WHERE claimed_at >= since) AS volunteer_claims,
       (SELECT count() FROM marts.fct_tickets WHERE opened_at >= since) AS tickets_opened,
       (SELECT count() FROM marts.fct_tickets WHERE resolved_at >= since) AS tickets_resolved,
       toUInt64(0) AS meetings_held,
       toUInt64(0) AS resource_matches;

-- The Shanghai day of each fact, a physical column of the marts (dbt's local_date macro).
ALTER TABLE marts.fct_tickets ADD COLUMN opened_day Date DEFAULT toDate(opened_at, 'Asia/Shanghai');
ALTER TABLE marts.fct_wishes ADD COLUMN posted_day Date DEFAULT toDate(posted_at, 'Asia/Shanghai');
ALTER TABLE marts.fct_volunteering ADD COLUMN claimed_day Date DEFAULT toDate(claimed_at, 'Asia/Shanghai');
ALTER TABLE marts.fct_registrations ADD COLUMN registered_day Date DEFAULT toDate(registered_at, 'Asia/Shanghai');

-- 数据质量 (issue #17): stand-ins for dbt's quality views (views over raw in dbt), shaped as
-- dashboards/spec/datasets.yaml describes them. Two systems on time, one late (the hotline).
CREATE TABLE marts.fct_source_quality_hourly (source String, source_zh String, hour_start DateTime64(3, 'UTC'),
  hour_local DateTime('UTC'), hour_text String, accepted UInt64, rejected UInt64, dead_lettered UInt64, replayed UInt64,
  rejection_rate Nullable(Float64), last_event_time Nullable(DateTime64(3, 'UTC')), last_loaded_at DateTime64(3, 'UTC'),
  lag_p50_seconds Nullable(Float64), lag_p95_seconds Nullable(Float64), lag_max_seconds Nullable(Float64),
  as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY (source, hour_start);
INSERT INTO marts.fct_source_quality_hourly
SELECT ['/systems/hotline-12345', '/systems/grid', '/systems/party-members'][number % 3 + 1] AS source,
       ['12345热线', '网格化管理系统', '党员管理系统'][number % 3 + 1],
       toDateTime64('2026-03-02 00:00:00', 3, 'UTC') + toIntervalHour(intDiv(number, 3)) AS h,
       toDateTime(h + toIntervalHour(8), 'UTC'), formatDateTime(h, '%Y-%m-%d %H:00', 'Asia/Shanghai'),
       100 + number, number % 3 = 0 ? 2 : 0, number % 5 = 0 ? 1 : 0, number % 10 = 0 ? 1 : 0,
       (number % 3 = 0 ? 2 : 0) / (100 + number + 2), h, h + toIntervalMinute(59), 1.5, 4.0, 9.0,
       toDateTime64('2026-03-03 00:00:00', 3, 'UTC')
FROM numbers(72);

CREATE TABLE marts.fct_source_rejections (source String, source_zh String, hour_start DateTime64(3, 'UTC'),
  hour_local DateTime('UTC'), outcome String, outcome_zh String, rule String, event_type String, events UInt64,
  last_seen_at DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY (source, hour_start);
INSERT INTO marts.fct_source_rejections VALUES
  ('/systems/hotline-12345', '12345热线', '2026-03-02 01:00:00', '2026-03-02 09:00:00', 'rejected', '接口拒收', 'enum', 'lianxi.ticket.opened', 12, '2026-03-02 01:30:00'),
  ('/systems/hotline-12345', '12345热线', '2026-03-02 02:00:00', '2026-03-02 10:00:00', 'rejected', '接口拒收', 'required', 'lianxi.ticket.opened', 3, '2026-03-02 02:10:00'),
  ('/systems/grid', '网格化管理系统', '2026-03-02 03:00:00', '2026-03-02 11:00:00', 'dead_lettered', '入库失败', 'schema_violation', 'lianxi.ticket.assigned', 5, '2026-03-02 03:40:00');

CREATE TABLE marts.fct_source_freshness (source String, source_zh String, configured Bool,
  cadence_version Nullable(UInt16), cadence_effective_from Nullable(Date), cadence_minutes Nullable(UInt32),
  rejection_rate_threshold Nullable(Float64), owner_name String, owner_contact String, domains String,
  last_received_at Nullable(DateTime64(3, 'UTC')), last_accepted_at Nullable(DateTime64(3, 'UTC')),
  last_event_time Nullable(DateTime64(3, 'UTC')), last_received_text String, silence_minutes Nullable(Float64),
  status String, is_late Bool, status_zh String, as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY source;
INSERT INTO marts.fct_source_freshness VALUES
  ('/systems/hotline-12345', '12345热线', true, 1, '2026-01-01', 15, 0.01, '区12345热线中心', 'hotline-ops@qindu.local', 'ticket',
   '2026-03-02 23:00:00', '2026-03-02 23:00:00', '2026-03-02 22:59:00', '2026-03-03 07:00', 60, 'late', true, '迟到', '2026-03-03 00:00:00'),
  ('/systems/grid', '网格化管理系统', true, 1, '2026-01-01', 60, 0.02, '区网格化服务管理中心', 'grid-ops@qindu.local', 'ticket|member',
   '2026-03-02 23:50:00', '2026-03-02 23:50:00', '2026-03-02 23:49:00', '2026-03-03 07:50', 10, 'on_time', false, '正常', '2026-03-03 00:00:00'),
  ('/systems/party-members', '党员管理系统', true, 1, '2026-01-01', 1440, 0.01, '区委组织部', 'party-system@qindu.local', 'org|member|meeting|assessment',
   '2026-03-02 20:00:00', '2026-03-02 20:00:00', '2026-03-02 19:00:00', '2026-03-03 04:00', 240, 'on_time', false, '正常', '2026-03-03 00:00:00');

CREATE TABLE marts.fct_street_freshness (street_id String, street_name String, last_event_time DateTime64(3, 'UTC'),
  last_loaded_at DateTime64(3, 'UTC'), last_event_text String, sources UInt64, late_sources UInt64,
  late_sources_text String, as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY street_id;
INSERT INTO marts.fct_street_freshness
SELECT street_id, street_name, toDateTime64('2026-03-02 22:59:00', 3, 'UTC'), toDateTime64('2026-03-02 23:00:00', 3, 'UTC'),
       '2026-03-03 06:59', 3, 1, '12345热线', toDateTime64('2026-03-03 00:00:00', 3, 'UTC')
FROM marts.dim_street;

CREATE TABLE marts.fct_dashboard_freshness (dashboard String, title String, complete_to DateTime64(3, 'UTC'),
  complete_to_text String, late_sources UInt64, warning_text String, as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY dashboard;
INSERT INTO marts.fct_dashboard_freshness VALUES
  ('overview', '全区总览', '2026-03-02 23:00:00', '2026-03-03 07:00', 1, '注意：12345热线 已 60 分钟未送数（约定每 15 分钟），本页数据可能不完整', '2026-03-03 00:00:00'),
  ('tickets', '接诉即办', '2026-03-02 23:00:00', '2026-03-03 07:00', 1, '注意：12345热线 已 60 分钟未送数（约定每 15 分钟），本页数据可能不完整', '2026-03-03 00:00:00'),
  ('meetings', '联席会议', '2026-03-03 00:00:00', '2026-03-03 08:00', 0, '各数据源均按约定频率送达', '2026-03-03 00:00:00'),
  ('volunteering', '双报到与志愿服务', '2026-03-03 00:00:00', '2026-03-03 08:00', 0, '各数据源均按约定频率送达', '2026-03-03 00:00:00'),
  ('wishes', '微心愿', '2026-03-03 00:00:00', '2026-03-03 08:00', 0, '各数据源均按约定频率送达', '2026-03-03 00:00:00'),
  ('quality', '数据质量', '2026-03-02 23:00:00', '2026-03-03 07:00', 1, '注意：12345热线 已 60 分钟未送数（约定每 15 分钟），本页数据可能不完整', '2026-03-03 00:00:00'),
  ('alerts', '预警', '2026-03-02 23:00:00', '2026-03-03 07:00', 1, '注意：12345热线 已 60 分钟未送数（约定每 15 分钟），本页数据可能不完整', '2026-03-03 00:00:00'),
  ('rankings', '考核排名', '2026-03-02 23:00:00', '2026-03-03 07:00', 1, '注意：12345热线 已 60 分钟未送数（约定每 15 分钟），本页数据可能不完整', '2026-03-03 00:00:00');

CREATE TABLE marts.fct_feed_issues (issue_id String, kind String, kind_zh String, source String, source_zh String,
  owner_name String, owner_contact String, outcome String, rule String, opened_at DateTime64(3, 'UTC'), opened_text String,
  last_seen_at DateTime64(3, 'UTC'), events UInt64, detail_text String, as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY issue_id;
INSERT INTO marts.fct_feed_issues VALUES
  ('new_error_code-0a', 'new_error_code', '新错误类型', '/systems/hotline-12345', '12345热线', '区12345热线中心', 'hotline-ops@qindu.local',
   'rejected', 'enum', '2026-03-02 01:10:00', '2026-03-02 09:10', '2026-03-02 01:30:00', 12, '接口拒收：首次出现错误规则 enum（已 12 条）', '2026-03-03 00:00:00'),
  ('silent-0b', 'silent', '数据源静默', '/systems/hotline-12345', '12345热线', '区12345热线中心', 'hotline-ops@qindu.local',
   '', '', '2026-03-02 23:00:00', '2026-03-03 07:00', '2026-03-02 23:00:00', 0, '已 60 分钟未送数（约定每 15 分钟；最后收到 2026-03-03 07:00）', '2026-03-03 00:00:00');

-- Alerts (预警): a community-stage alert for every 10th ticket, escalated to the street for
-- every 20th; every third acknowledged, every fourth ended.
CREATE TABLE marts.fct_alerts (alert_id String, kind LowCardinality(String), kind_zh Nullable(String),
  stage LowCardinality(String), stage_zh Nullable(String), street_id String, street_name Nullable(String),
  community_id String, community_name Nullable(String), ticket_id Nullable(String), period Nullable(String),
  due_at Nullable(DateTime64(3, 'UTC')), definition_version Nullable(Int64), raised_at DateTime64(3, 'UTC'),
  first_delivered_at Nullable(DateTime64(3, 'UTC')), deliveries UInt32, deliveries_failed UInt32,
  acknowledged_at Nullable(DateTime64(3, 'UTC')), hours_to_acknowledge Nullable(Float64),
  resolved_at Nullable(DateTime64(3, 'UTC')), status LowCardinality(String), status_zh Nullable(String),
  as_of DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY (street_id, community_id, raised_at, alert_id);
INSERT INTO marts.fct_alerts
SELECT concat('al-', toString(n), '-', stage), kind, if(kind = 'ticket_response_overdue', '响应超期', '办结超期'),
       stage, if(stage = 'community', '社区书记', '街道书记'), t.street_id, t.street_name, t.community_id, t.community_name,
       t.ticket_id, NULL, t.opened_at + toIntervalHour(24), 1, t.opened_at + toIntervalHour(25),
       t.opened_at + toIntervalHour(25), 1, toUInt32(n % 70 = 0),
       if(n % 3 = 0 OR n % 20 = 0, t.opened_at + toIntervalHour(27), NULL), if(n % 3 = 0 OR n % 20 = 0, 2.0, NULL),
       if(n % 4 = 0, t.opened_at + toIntervalHour(30), NULL),
       multiIf(n % 4 = 0, 'resolved', n % 3 = 0 OR n % 20 = 0, 'acknowledged', 'open'),
       multiIf(n % 4 = 0, '已结束', n % 3 = 0 OR n % 20 = 0, '已确认', '待确认'),
       toDateTime64('2027-01-01 00:00:00', 3, 'UTC')
FROM (SELECT toUInt64(substring(ticket_id, 3)) AS n, * FROM marts.fct_tickets WHERE n % 10 = 0) AS t
ARRAY JOIN if(n % 20 = 0, ['community', 'street'], ['community']) AS stage,
           if(n % 20 = 0, ['ticket_resolution_overdue', 'ticket_resolution_overdue'],
              [if(n % 30 = 0, 'ticket_response_overdue', 'ticket_resolution_overdue')]) AS kind;

-- Deadlines (dbt's fct_tickets): resolution due 72 h after opening; overdue if resolved later
-- or still open now.
ALTER TABLE marts.fct_tickets
  ADD COLUMN resolution_due_at Nullable(DateTime64(3, 'UTC')) DEFAULT opened_at + toIntervalHour(72),
  ADD COLUMN is_resolution_overdue UInt8 DEFAULT toUInt8(coalesce(resolved_at, now64(3, 'UTC')) > opened_at + toIntervalHour(72)),
  ADD COLUMN hours_overdue Float64 DEFAULT if(is_resolution_overdue = 1, dateDiff('second', opened_at + toIntervalHour(72), coalesce(resolved_at, now64(3, 'UTC'))) / 3600, 0),
  ADD COLUMN ageing_bucket String DEFAULT multiIf(is_resolution_overdue = 0, 'not_overdue', hours_overdue <= 24, 'overdue_within_1d', hours_overdue <= 72, 'overdue_1_3d', hours_overdue <= 168, 'overdue_3_7d', 'overdue_over_7d'),
  ADD COLUMN ageing_bucket_zh Nullable(String) DEFAULT transform(ageing_bucket, ['not_overdue', 'overdue_within_1d', 'overdue_1_3d', 'overdue_3_7d', 'overdue_over_7d'], ['未超期', '超期1天内', '超期1-3天', '超期3-7天', '超期7天以上'], NULL);

-- Rankings (dbt's fct_ranking_components / fct_rankings), quarters and months, every KPI weighted
-- equally: the shape and labels of the real marts, not their weights.
CREATE TABLE marts.fct_ranking_components ENGINE = MergeTree ORDER BY (period_grain, level, period_start, unit_id, kpi) AS
SELECT g AS period_grain, if(g = 'quarter', concat(toString(toYear(q)), '-Q', toString(toQuarter(q))), formatDateTime(q, '%Y-%m')) AS period, q AS period_start,
       lv AS level, sid AS street_id, any(sname) AS street_name, cid AS community_id, any(cname) AS community_name,
       if(lv = 'street', sid, cid) AS unit_id, if(lv = 'street', any(sname), any(cname)) AS unit_name, k AS kpi,
       any(kzh) AS kpi_zh, toUInt16(1) AS definition_version_from, toUInt16(1) AS definition_version_to,
       toUInt16(1) AS weights_version, toNullable(1.0) AS weight, sum(num) / nullIf(sum(den), 0) AS rate,
       toNullable(100 * rate / 4) AS points,
       toUInt8(q = if(g = 'quarter', (SELECT max(toStartOfQuarter(period_start)) FROM marts.fct_kpi_monthly),
                      (SELECT max(period_start) FROM marts.fct_kpi_monthly))) AS is_latest_period
FROM (
    SELECT g, if(g = 'quarter', toStartOfQuarter(period_start), period_start) AS q, lv, street_id AS sid, coalesce(street_name, '') AS sname,
           if(lv = 'street', '', community_id) AS cid, if(lv = 'street', '', coalesce(community_name, '')) AS cname,
           kpi AS k, kpi_zh AS kzh, numerator AS num, denominator AS den
    FROM marts.fct_kpi_monthly
    ARRAY JOIN ['street', 'community'] AS lv
    ARRAY JOIN ['quarter', 'month'] AS g
    WHERE kpi IN ('response_rate', 'resolution_rate', 'satisfaction_rate', 'wish_fulfilment_rate')
      AND (lv = 'street' OR community_id != '')
)
GROUP BY g, q, lv, sid, cid, k;
CREATE TABLE marts.fct_rankings ENGINE = MergeTree ORDER BY (period_grain, level, period_start, unit_id) AS
SELECT *, toInt32(previous_rank) - toInt32(rank) AS rank_change,
       multiIf(previous_rank IS NULL, '—', previous_rank > rank, concat('↑', toString(previous_rank - rank)),
               previous_rank < rank, concat('↓', toString(rank - previous_rank)), '持平') AS rank_change_zh,
       toNullable(multiIf(score >= 85, 'green', score >= 70, 'amber', 'red')) AS rag,
       toNullable(multiIf(score >= 85, '绿', score >= 70, '黄', '红')) AS rag_zh
FROM (
    SELECT *, if(prev_start = if(period_grain = 'quarter', addQuarters(period_start, -1), addMonths(period_start, -1)),
                 toNullable(prev_rank), NULL) AS previous_rank
    FROM (
        SELECT *,
               lagInFrame(rank) OVER (PARTITION BY period_grain, level, unit_id ORDER BY period_start) AS prev_rank,
               lagInFrame(period_start) OVER (PARTITION BY period_grain, level, unit_id ORDER BY period_start) AS prev_start
        FROM (
            SELECT *, toUInt32(rank() OVER (PARTITION BY period_grain, period_start, level ORDER BY score DESC)) AS rank,
                   toUInt32(count() OVER (PARTITION BY period_grain, period_start, level)) AS units_ranked,
                   toUInt32(rank() OVER (PARTITION BY period_grain, period_start, level, street_id ORDER BY score DESC)) AS rank_in_street
            FROM (
                SELECT period_grain, any(period) AS period, period_start, level, if(period_grain = 'quarter', '季度', '月度') AS period_grain_zh,
                       if(level = 'street', '街道', '社区') AS level_zh, street_id, any(street_name) AS street_name,
                       community_id, any(community_name) AS community_name, unit_id, any(unit_name) AS unit_name,
                       toUInt16(1) AS weights_version, toUInt32(count()) AS kpis_scored, round(sum(assumeNotNull(points)), 2) AS score,
                       any(is_latest_period) AS is_latest_period
                FROM marts.fct_ranking_components
                GROUP BY period_grain, period_start, level, street_id, community_id, unit_id
            )
        )
    )
);

ALTER TABLE marts.fct_alerts ADD COLUMN raised_day Date DEFAULT toDate(raised_at, 'Asia/Shanghai');
