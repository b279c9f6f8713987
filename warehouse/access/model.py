"""Reads the access model (roles, grants, settings profiles, quotas) from the RBAC migration.

The same SQL text is applied as is by a real ClickHouse. The embedded engine cannot run
ClickHouse's access control per user (chdb has one user and no impersonation, probed on 26.9),
so this module turns the statements into the rights the server checks itself. Only the forms
the model uses are understood; anything else in an access statement stops the server at start
rather than being half-enforced.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from warehouse.config import ROLES
from warehouse.migrate import MIGRATIONS_DIR, discover
from warehouse.statement import split_statements

# ClickHouse's privilege tree, as far as the model and the checks use it: a grant of a parent
# gives every child (GRANT ALTER gives ALTER DELETE).
PARENT: dict[str, str] = {
    "ALTER DELETE": "ALTER",
    "ALTER UPDATE": "ALTER",
    "ALTER TABLE": "ALTER",
    "CREATE TABLE": "CREATE",
    "CREATE VIEW": "CREATE",
    "CREATE DATABASE": "CREATE",
    "CREATE TEMPORARY TABLE": "CREATE",
    "DROP TABLE": "DROP",
    "DROP VIEW": "DROP",
    "DROP DATABASE": "DROP",
    "SHOW TABLES": "SHOW",
}
ACCESS_STATEMENT = re.compile(
    r"^(CREATE|ALTER|DROP)\s+(ROLE|USER|SETTINGS\s+PROFILE|PROFILE|QUOTA|ROW\s+POLICY)\b|^(GRANT|REVOKE)\b",
    re.IGNORECASE,
)
_ROLE = re.compile(r"^CREATE ROLE (?:IF NOT EXISTS )?(\w+)$", re.IGNORECASE)
_GRANT = re.compile(r"^GRANT (.+?) ON (\*|\w+)\.\* TO (\w+)( WITH GRANT OPTION)?$", re.IGNORECASE)
_PROFILE = re.compile(
    r"^CREATE SETTINGS PROFILE (?:IF NOT EXISTS )?(\w+) SETTINGS (.+) TO (\w+)$", re.IGNORECASE
)
_SETTING = re.compile(
    r"^(\w+) = ([\w.]+)(?: MIN ([\w.]+))?(?: MAX ([\w.]+))?( CONST)?$", re.IGNORECASE
)
_QUOTA = re.compile(
    r"^CREATE QUOTA (?:IF NOT EXISTS )?(\w+) FOR INTERVAL (\d+) (second|minute|hour|day) MAX (.+) TO (\w+)$",
    re.IGNORECASE,
)
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Constraint:
    value: str
    min: float | None = None
    max: float | None = None
    const: bool = False


@dataclass(frozen=True)
class Quota:
    name: str
    interval: float  # seconds
    limits: dict[str, float]  # queries, errors, execution_time (seconds)


@dataclass
class Role:
    name: str
    grants: dict[str, set[str]] = field(default_factory=dict)  # database or "*" -> privileges
    profile: dict[str, Constraint] = field(default_factory=dict)
    quota: Quota | None = None

    def allows(self, privilege: str, database: str) -> bool:
        wanted = privilege.upper()
        for scope in (database, "*"):
            granted = self.grants.get(scope, set())
            step: str | None = wanted
            while step is not None:
                if step in granted or "ALL" in granted:
                    return True
                step = PARENT.get(step)
        return False

    @property
    def readonly(self) -> bool:
        setting = self.profile.get("readonly")
        return setting is not None and setting.value != "0"

    @property
    def is_admin(self) -> bool:
        return "ALL" in self.grants.get("*", set())

    def limit(self, name: str) -> str | None:
        setting = self.profile.get(name)
        return setting.value if setting else None


def role_name(role: str) -> str:
    """`reader` -> the ClickHouse role `lianxi_reader_role`."""
    return f"lianxi_{role}_role"


def access_statements(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Every access-control statement of the migrations, whitespace folded, in order."""
    found = []
    for migration in discover(directory):
        for statement in split_statements(migration.sql):
            text = " ".join(statement.split())
            if ACCESS_STATEMENT.match(text):
                found.append(text)
    return found


def parse(statements: list[str]) -> dict[str, Role]:
    roles: dict[str, Role] = {}

    def role(name: str, statement: str) -> Role:
        if name not in roles:
            raise ValueError(f"access model: unknown role {name} in: {statement}")
        return roles[name]

    for text in statements:
        if match := _ROLE.match(text):
            roles[match.group(1)] = Role(match.group(1))
        elif match := _GRANT.match(text):
            privileges = {" ".join(p.split()).upper() for p in match.group(1).split(",")}
            role(match.group(3), text).grants.setdefault(match.group(2), set()).update(privileges)
        elif match := _PROFILE.match(text):
            target = role(match.group(3), text)
            for item in match.group(2).split(","):
                setting = _SETTING.match(item.strip())
                if setting is None:
                    raise ValueError(
                        f"access model: cannot read setting '{item.strip()}' in: {text}"
                    )
                name, value, low, high, const = setting.groups()
                target.profile[name] = Constraint(
                    value, float(low) if low else None, float(high) if high else None, bool(const)
                )
        elif match := _QUOTA.match(text):
            limits = {}
            for item in match.group(4).split(","):
                name, _, value = item.partition("=")
                limits[name.strip()] = float(value)
            interval = int(match.group(2)) * _SECONDS[match.group(3).lower()]
            role(match.group(5), text).quota = Quota(match.group(1), interval, limits)
        else:
            raise ValueError(
                f"access model: statement not understood by the embedded server: {text}"
            )
    missing = [role_name(r) for r in ROLES if role_name(r) not in roles]
    if missing:
        raise ValueError(f"access model: roles missing: {', '.join(missing)}")
    return roles


@lru_cache
def load(directory: Path = MIGRATIONS_DIR) -> dict[str, Role]:
    """The model keyed by platform role (`reader`), not by ClickHouse role name."""
    roles = parse(access_statements(directory))
    return {r: roles[role_name(r)] for r in ROLES}
