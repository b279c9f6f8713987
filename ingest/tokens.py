"""Per-source bearer tokens scoped to event-type globs, stored hashed in SQLite."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path

from core.sqlite_files import open_sqlite
from ingest.contracts import PLATFORM_DOMAINS, TYPE_PREFIX, event_types

TOKEN_PREFIX = "lx_"
# Area scope entries: a street (s-01) or a community (c-01-02), as the catalogue spells them.
AREA_PATTERN = re.compile(r"(s-[0-9A-Za-z]+|c-[0-9A-Za-z]+-[0-9A-Za-z]+)")
_SCHEMA = (Path(__file__).parent / "sql" / "tokens_schema.sql").read_text(encoding="utf-8")


class TokenError(ValueError):
    """A token request that cannot be honoured; `field` and `rule` say why."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


@dataclass(frozen=True)
class Token:
    token_id: str
    source: str
    types: tuple[str, ...]
    note: str
    created_at: str
    revoked_at: str | None
    # Streets (s-…) and communities (c-…) whose tickets Open311 GET shows this token; empty:
    # the whole district, like its publishing.
    areas: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def grants(self, event_type: str) -> bool:
        """The token's patterns cover this type (for the API's own acts on a holder's behalf,
        e.g. POST /v1/alerts/{id}/ack with lianxi.alert.acknowledged)."""
        return any(fnmatchcase(event_type, p) for p in self.types)

    def allows(self, event_type: str) -> bool:
        """The holder may publish this type through POST /v1/events: never the platform's own
        events (contracts.PLATFORM_DOMAINS), whatever the pattern ("lianxi.*" included)."""
        return not event_type.startswith(_PLATFORM_PREFIXES) and self.grants(event_type)

    @property
    def streets(self) -> list[str]:
        return [a for a in self.areas if a.startswith("s-")]

    @property
    def communities(self) -> list[str]:
        return [a for a in self.areas if a.startswith("c-")]

    def as_dict(self) -> dict[str, object]:
        return {
            "token_id": self.token_id,
            "source": self.source,
            "types": list(self.types),
            "note": self.note,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "areas": list(self.areas),
        }


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Types of the platform's own domains (an unknown type of another domain stays the catalogue's
# business: it is refused as unknown, 422, not as out of scope).
_PLATFORM_PREFIXES = tuple(f"{TYPE_PREFIX}{domain}." for domain in sorted(PLATFORM_DOMAINS))


def _check_patterns(types: list[str]) -> tuple[str, ...]:
    patterns = tuple(t.strip() for part in types for t in part.split(",") if t.strip())
    if not patterns:
        raise TokenError(
            "types", "required", "give at least one event-type pattern, e.g. 'lianxi.ticket.*'"
        )
    known = event_types()
    for pattern in patterns:
        if not any(fnmatchcase(t, pattern) for t in known):
            raise TokenError(
                "types",
                "matches_catalogue",
                f"pattern {pattern!r} matches no event type of the catalogue",
            )
    return patterns


def _check_areas(areas: list[str]) -> tuple[str, ...]:
    parsed = tuple(a.strip() for part in areas for a in part.split(",") if a.strip())
    for area in parsed:
        if not AREA_PATTERN.fullmatch(area):
            raise TokenError(
                "areas", "pattern", f"{area!r} is neither a street (s-01) nor a community (c-01-02)"
            )
    return parsed


class TokenStore:
    """SQLite-backed; safe to share between the API's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_sqlite(path, _SCHEMA)
        # Stores created before area scopes: add the column (empty scope = whole district).
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        if "areas" not in columns:
            self._db.execute("ALTER TABLE tokens ADD COLUMN areas TEXT NOT NULL DEFAULT '[]'")

    def create(
        self, source: str, types: list[str], note: str = "", areas: list[str] | None = None
    ) -> tuple[str, Token]:
        """Returns (secret, token). The secret is shown once and never stored."""
        if not source or not source.strip():
            raise TokenError("source", "required", "a token belongs to exactly one event source")
        patterns = _check_patterns(types)
        scope = _check_areas(areas or [])
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = Token(
            token_id="tok_" + secrets.token_hex(6),
            source=source.strip(),
            types=patterns,
            note=note,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            revoked_at=None,
            areas=scope,
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (token_id, token_hash, source, types, note, created_at, areas) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    token.token_id,
                    hash_secret(secret),
                    token.source,
                    json.dumps(list(patterns)),
                    note,
                    token.created_at,
                    json.dumps(list(scope)),
                ),
            )
        return secret, token

    def _row(self, row: tuple[str, str, str, str, str, str | None, str]) -> Token:
        return Token(
            row[0],
            row[1],
            tuple(json.loads(row[2])),
            row[3],
            row[4],
            row[5],
            tuple(json.loads(row[6])),
        )

    def lookup(self, secret: str) -> Token | None:
        """The active token for this secret, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT token_id, source, types, note, created_at, revoked_at, areas FROM tokens "
                "WHERE token_hash = ? AND revoked_at IS NULL",
                (hash_secret(secret),),
            ).fetchone()
        return self._row(row) if row else None

    def list(self, include_revoked: bool = False) -> list[Token]:
        sql = "SELECT token_id, source, types, note, created_at, revoked_at, areas FROM tokens"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, token_id").fetchall()
        return [self._row(r) for r in rows]

    def revoke(self, token_id: str) -> bool:
        """True if an active token was revoked."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(timespec="seconds"), token_id),
            )
        return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
