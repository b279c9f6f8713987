"""Warehouse users, their rights, and password checks."""

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from warehouse.config import PLACEHOLDER_PASSWORDS, ROLES, WarehouseSettings
from warehouse.errors import AUTHENTICATION_FAILED, QueryError

# Every driver reads these at connect time (settings, version, table lists), so no role
# can work without them; they expose metadata, never rows of the platform's databases.
ALWAYS_READABLE = frozenset({"system", "INFORMATION_SCHEMA", "information_schema"})


@dataclass(frozen=True)
class User:
    name: str
    readonly: bool
    databases: frozenset[str] | None  # readable databases; None = all
    write_databases: frozenset[str] | None = field(default=frozenset())  # None = all
    ddl_databases: frozenset[str] | None = field(default=frozenset())  # None = all
    role: str = ""

    @property
    def is_admin(self) -> bool:
        return self.databases is None and self.write_databases is None and self.ddl_databases is None

    def can_read(self, database: str) -> bool:
        return database in ALWAYS_READABLE or _allowed(self.databases, database)

    def can_write(self, database: str) -> bool:
        return not self.readonly and _allowed(self.write_databases, database)

    def can_ddl(self, database: str | None) -> bool:
        """`database=None` asks about server-wide DDL (CREATE/DROP DATABASE)."""
        if self.readonly:
            return False
        if database is None:
            return self.ddl_databases is None
        return _allowed(self.ddl_databases, database)


def _allowed(databases: frozenset[str] | None, database: str) -> bool:
    return databases is None or database in databases


def _databases(value: Any) -> frozenset[str] | None:
    if value == "*":
        return None
    return frozenset(str(v) for v in (value or []))


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Users:
    """The user table: name → (rights, password hash)."""

    def __init__(self, users: dict[str, tuple[User, str | None]]) -> None:
        # A None hash means passwordless (only the development `default` user).
        self._users = users

    @classmethod
    def from_settings(cls, settings: WarehouseSettings, path: Path | None = None) -> "Users":
        config = yaml.safe_load((path or settings.users_file).read_text(encoding="utf-8")) or {}
        roles = config.get("roles") or {}
        users: dict[str, tuple[User, str | None]] = {}
        weak: list[str] = []
        for role in ROLES:
            spec = roles.get(role)
            if spec is None:
                continue
            name = settings.role_user(role)
            digest = spec.get("password_sha256")
            if digest is None:
                password = settings.role_password(role)
                if not settings.is_development and password in PLACEHOLDER_PASSWORDS:
                    weak.append(f"LIANXI_WAREHOUSE_{role.upper()}_PASSWORD")
                digest = sha256_hex(password)
            users[name] = (
                User(
                    name=name,
                    readonly=bool(spec.get("readonly", False)),
                    databases=_databases(spec.get("read")),
                    write_databases=_databases(spec.get("write")),
                    ddl_databases=_databases(spec.get("ddl")),
                    role=role,
                ),
                str(digest).lower(),
            )
        if weak:
            raise ValueError(
                f"placeholder secrets outside LIANXI_ENV=development: {', '.join(weak)}"
            )
        if settings.is_development and config.get("development_default_user", False):
            users.setdefault("default", (admin_user("default"), None))
        return cls(users)

    def get(self, name: str) -> User | None:
        entry = self._users.get(name)
        return entry[0] if entry else None

    def authenticate(self, name: str | None, password: str | None) -> User:
        name = name or "default"
        entry = self._users.get(name)
        # Hash even for unknown users so timing does not reveal which names exist.
        given = sha256_hex(password or "")
        if entry is not None:
            user, digest = entry
            if digest is None and not password:
                return user
            if digest is not None and hmac.compare_digest(given, digest):
                return user
        raise QueryError(
            AUTHENTICATION_FAILED,
            f"{name}: Authentication failed: password is incorrect, or there is no user with such name",
        )


def admin_user(name: str) -> User:
    return User(name=name, readonly=False, databases=None, write_databases=None, ddl_databases=None, role="admin")
