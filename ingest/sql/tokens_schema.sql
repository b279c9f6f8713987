-- Publisher tokens: only the sha256 of each secret is kept, so a leaked file cannot be replayed.
CREATE TABLE IF NOT EXISTS tokens (
    token_id    TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    types       TEXT NOT NULL,  -- JSON array of glob patterns, e.g. ["lianxi.ticket.*"]
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    areas       TEXT NOT NULL DEFAULT '[]'  -- JSON array of s-…/c-… ids Open311 GET may show; [] = all
);
