"""Warehouse users: one per role of the access model, named and keyed from the environment.

The roles' rights come from the RBAC migration (warehouse/access/model.py); this module only
binds each role to its user and password (LIANXI_WAREHOUSE_<ROLE>_USER / _PASSWORD). There is
no passwordless user, in development either.
"""

import hashlib
import hmac
from dataclasses import dataclass

from warehouse.access import model
from warehouse.config import ROLES, WarehouseSettings
from warehouse.errors import AUTHENTICATION_FAILED, QueryError


@dataclass(frozen=True)
class User:
    name: str
    role: model.Role
    readonly: bool = False  # this request only reads (an HTTP GET, readonly=1), on top of the role

    @property
    def is_admin(self) -> bool:
        return self.role.is_admin


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Users:
    """The user table: name → (user, password hash)."""

    def __init__(self, users: dict[str, tuple[User, str]]) -> None:
        self._users = users

    @classmethod
    def from_settings(cls, settings: WarehouseSettings) -> "Users":
        roles = model.load()
        secrets = [f"warehouse_{role}_password" for role in ROLES]
        settings.refuse_placeholders(*secrets)
        empty = [settings.env_name(name) for name in secrets if not getattr(settings, name)]
        if empty:  # no passwordless user, in development either
            raise ValueError(
                f"empty warehouse passwords: {', '.join(empty)} (set them in the environment)"
            )
        users = {
            settings.role_user(role): (
                User(settings.role_user(role), roles[role]),
                sha256_hex(settings.role_password(role)),
            )
            for role in ROLES
        }
        return cls(users)

    def get(self, name: str) -> User | None:
        entry = self._users.get(name)
        return entry[0] if entry else None

    def authenticate(self, name: str | None, password: str | None) -> User:
        name = name or "default"
        entry = self._users.get(name)
        # Hash even for unknown users so timing does not reveal which names exist.
        given = sha256_hex(password or "")
        if entry is not None and hmac.compare_digest(given, entry[1]):
            return entry[0]
        raise QueryError(
            AUTHENTICATION_FAILED,
            f"{name}: Authentication failed: password is incorrect, or there is no user with such name",
        )


def admin_user(name: str) -> User:
    """The server's own migrations and look-ups run with the admin role."""
    return User(name, model.load()["admin"])


def user_statements(settings: WarehouseSettings) -> list[str]:
    """Users of a real ClickHouse, bound to the model's roles; passwords only as sha256 hashes.

    Run by `lianxi warehouse migrate` after the migrations, so a changed password in the
    environment reaches the server on the next deploy."""
    statements = []
    for role in ROLES:
        name, digest, role_name = (
            settings.role_user(role),
            sha256_hex(settings.role_password(role)),
            model.role_name(role),
        )
        statements += [
            f"CREATE USER IF NOT EXISTS {name} IDENTIFIED WITH sha256_hash BY '{digest}'",
            f"ALTER USER {name} IDENTIFIED WITH sha256_hash BY '{digest}'",
            f"GRANT {role_name} TO {name}",
            f"ALTER USER {name} DEFAULT ROLE {role_name}",
        ]
    return statements
