-- The alerts service (`lianxi alerts run`): reads the live state of tickets and meetings from
-- raw, its own alert events (raw.alert_events) to rebuild what it already sent, and the
-- versioned deadline and KPI definitions dbt loads as seeds into marts. Read-only: it never
-- writes to the warehouse (its events go through Kafka and the stream worker like any
-- other). Less than the analyst: no staging or intermediate, readonly, a short time limit.
-- The user is bound from LIANXI_WAREHOUSE_ALERTS_USER / _PASSWORD (warehouse/users.py).
-- Undo: DROP ROLE lianxi_alerts_role; DROP SETTINGS PROFILE lianxi_alerts_profile.

CREATE ROLE IF NOT EXISTS lianxi_alerts_role;

GRANT SELECT ON raw.* TO lianxi_alerts_role;
GRANT SELECT ON marts.* TO lianxi_alerts_role;

-- One detection query every few seconds: anything slower than 30 s is a bug, not a load.
CREATE SETTINGS PROFILE IF NOT EXISTS lianxi_alerts_profile SETTINGS
    readonly = 2 CONST,
    max_execution_time = 30 MIN 1 MAX 30,
    max_memory_usage = 1000000000 MIN 1 MAX 1000000000,
    max_concurrent_queries_for_user = 4 CONST
    TO lianxi_alerts_role;
