"""The SQLite files a service keeps its own state in (the API's tokens, the alerts ledger):
opened one way, so every such file is shared between threads, in autocommit, and in WAL mode
(readers never wait for the writer)."""

import sqlite3
from pathlib import Path


def open_sqlite(path: Path, schema: str, *, synchronous_full: bool = False) -> sqlite3.Connection:
    """Create the folder and the file if needed, then run `schema` (idempotent DDL).

    The connection may be used from any thread (callers serialise with a lock of their own)
    and commits each statement unless a transaction is begun. `synchronous_full`: a commit is
    on disk before the call returns, for records that must survive a power loss."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    if synchronous_full:
        db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db
