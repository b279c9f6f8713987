-- The four layers every later migration and dbt build into. Cannot be undone safely
-- (dropping a database drops its tables); later migrations only add.
CREATE DATABASE IF NOT EXISTS raw;
CREATE DATABASE IF NOT EXISTS staging;
CREATE DATABASE IF NOT EXISTS intermediate;
CREATE DATABASE IF NOT EXISTS marts;
