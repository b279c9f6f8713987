-- Ledger of applied migrations, read and written by warehouse/migrate.py.
CREATE TABLE IF NOT EXISTS default.schema_migrations
(
    version String,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
