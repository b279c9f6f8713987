-- The warehouse's one access model, in ClickHouse's own terms. A real ClickHouse applies this
-- file as it is (`lianxi warehouse migrate`); the embedded server reads the same file at start
-- (warehouse/access/model.py) and enforces it on every statement. Users and their passwords are
-- not here: they come from the environment and are bound to these roles by the migrate command
-- (warehouse/access/users.py). Cannot be undone by a later migration without DROP ROLE etc.
--
-- Nothing but lianxi_admin_role may touch files, URLs, other servers or executables: those are
-- source privileges (FILE, URL, REMOTE, ...) that no other role is granted.

CREATE ROLE IF NOT EXISTS lianxi_admin_role;
CREATE ROLE IF NOT EXISTS lianxi_writer_role;
CREATE ROLE IF NOT EXISTS lianxi_transformer_role;
CREATE ROLE IF NOT EXISTS lianxi_reader_role;
CREATE ROLE IF NOT EXISTS lianxi_analyst_role;

-- Migrations, repairs and the access model itself.
GRANT ALL ON *.* TO lianxi_admin_role WITH GRANT OPTION;

-- The stream pipeline: appends events and dead letters, reads them back for its checks.
GRANT SELECT, INSERT ON raw.* TO lianxi_writer_role;

-- dbt: reads raw, builds its own three layers.
GRANT SELECT ON raw.* TO lianxi_transformer_role;
GRANT CREATE TEMPORARY TABLE ON *.* TO lianxi_transformer_role;
GRANT SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE ON staging.* TO lianxi_transformer_role;
GRANT SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE ON intermediate.* TO lianxi_transformer_role;
GRANT SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE ON marts.* TO lianxi_transformer_role;

-- Superset's dashboards: the marts only.
GRANT SELECT ON marts.* TO lianxi_reader_role;

-- Analysts: read-only SQL over every layer of the platform.
GRANT SELECT ON raw.* TO lianxi_analyst_role;
GRANT SELECT ON staging.* TO lianxi_analyst_role;
GRANT SELECT ON intermediate.* TO lianxi_analyst_role;
GRANT SELECT ON marts.* TO lianxi_analyst_role;

-- Limits a role cannot lift: CONST cannot be changed, MIN/MAX bound what a query may ask for
-- (MIN 1 on max_execution_time because 0 means "no limit").
CREATE SETTINGS PROFILE IF NOT EXISTS lianxi_writer_profile SETTINGS
    max_execution_time = 300 MIN 1 MAX 300,
    max_memory_usage = 4000000000 MIN 1 MAX 4000000000,
    max_concurrent_queries_for_user = 16 CONST
    TO lianxi_writer_role;
CREATE SETTINGS PROFILE IF NOT EXISTS lianxi_transformer_profile SETTINGS
    max_execution_time = 600 MIN 1 MAX 600,
    max_memory_usage = 8000000000 MIN 1 MAX 8000000000,
    max_concurrent_queries_for_user = 8 CONST
    TO lianxi_transformer_role;
CREATE SETTINGS PROFILE IF NOT EXISTS lianxi_reader_profile SETTINGS
    readonly = 2 CONST,
    max_execution_time = 60 MIN 1 MAX 60,
    max_memory_usage = 2000000000 MIN 1 MAX 2000000000,
    max_concurrent_queries_for_user = 16 CONST
    TO lianxi_reader_role;
CREATE SETTINGS PROFILE IF NOT EXISTS lianxi_analyst_profile SETTINGS
    readonly = 2 CONST,
    max_execution_time = 300 MIN 1 MAX 300,
    max_memory_usage = 2000000000 MIN 1 MAX 2000000000,
    max_concurrent_queries_for_user = 8 CONST
    TO lianxi_analyst_role;

-- Analysts share the machine with the dashboards: a ceiling per hour on what one can run.
CREATE QUOTA IF NOT EXISTS lianxi_analyst_quota
    FOR INTERVAL 1 hour MAX queries = 5000, errors = 1000, execution_time = 3600
    TO lianxi_analyst_role;
