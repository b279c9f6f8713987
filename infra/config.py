"""Settings of the local stack (env prefix LIANXI_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from core.secrets import is_placeholder
from core.settings import REPO_ROOT, PlatformSettings

__all__ = ["REPO_ROOT", "InfraSettings", "get_settings"]

# Values that ship in .env.example and in this file: fine on a laptop, refused anywhere else.
# Superset's own GUEST_TOKEN_JWT_SECRET default is published in its source: anyone can sign
# guest tokens with it. Shorter secrets than this can be brute-forced offline from one token.
SUPERSET_DEFAULT_GUEST_SECRET = "test-guest-secret-change-me"
MIN_GUEST_SECRET_LENGTH = 32


class InfraSettings(PlatformSettings):
    """What `lianxi up/down/status/logs` and the stack's services read beyond the shared settings."""

    # The system user the services run as when `lianxi up` is started by root (made by
    # `make setup`); empty runs them as the invoking user.
    service_user: str = "lianxi"

    # KRaft controller listener; 0 means "the broker port + 1" so private stacks stay disjoint.
    kafka_controller_port: int = Field(default=0, ge=0, le=65535)
    # Where Maven copies the broker jars; empty means <var_dir>/kafka/libs.
    kafka_libs_dir: Path | None = None
    kafka_heap: str = "512m"

    superset_admin_email: str = "admin@lianxi.local"
    superset_secret_key: str = "dev-superset-secret-key"
    # Signs guest tokens of embedded dashboards; empty keeps embedding (EMBEDDED_SUPERSET) off.
    superset_guest_token_secret: str = ""
    # Empty: SQLite under <var_dir>/superset; production sets a PostgreSQL URI.
    superset_database_uri: str = ""
    # Empty: in-process caches (one machine); production shares a Redis between workers.
    superset_redis_url: str = ""
    # One worker keeps the idle stack small (a second one was slower on two busy cores); threads
    # serve a dashboard's parallel chart calls, which a browser sends 6 at a time.
    superset_workers: int = Field(default=1, ge=1)
    superset_threads: int = Field(default=8, ge=1)

    # The local mailbox (Mailpit, infra/mailbox.py): the alerts service's SMTP relay in
    # development (LIANXI_ALERTS_SMTP_PORT points at it) and its web UI.
    # v1.27.11: its web UI builds from the npm registry these machines use; the newest,
    # v1.33.1, locks sass-embedded 1.108.1 and rapidoc 12, which that registry lacks.
    mailpit_version: str = "v1.27.11"
    # Where `lianxi mailbox fetch` builds it; empty means <var_dir>/mailpit/<version>/mailpit.
    mailpit_binary: Path | None = None
    mailpit_smtp_port: int = Field(default=1025, ge=1, le=65535)
    mailpit_http_port: int = Field(default=8025, ge=1, le=65535)

    # Seconds a service may take to answer its health probe on `lianxi up`.
    stack_start_timeout: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _resolve_paths(self) -> "InfraSettings":
        if self.kafka_libs_dir is None:
            self.kafka_libs_dir = self.var_dir / "kafka" / "libs"
        else:
            self.kafka_libs_dir = self.kafka_libs_dir.expanduser().resolve()
        return self

    @property
    def kafka_host(self) -> str:
        return self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[0]

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1])

    @property
    def kafka_controller(self) -> int:
        return self.kafka_controller_port or self.kafka_port + 1

    @property
    def superset_embedding(self) -> bool:
        """Embedded dashboards only with a guest-token secret of our own."""
        return bool(self.superset_guest_token_secret)

    def check_secrets(self) -> None:
        """Refuse the documented local defaults unless LIANXI_ENV=development."""
        self.refuse_placeholders(
            "superset_secret_key", "superset_admin_password", "warehouse_admin_password"
        )
        if self.development:
            return
        guest = self.superset_guest_token_secret
        if guest and (
            is_placeholder(guest)
            or guest == SUPERSET_DEFAULT_GUEST_SECRET
            or len(guest) < MIN_GUEST_SECRET_LENGTH
            or guest == self.superset_secret_key
        ):
            raise ValueError(
                "LIANXI_SUPERSET_GUEST_TOKEN_SECRET 是占位值、Superset 默认值或过短（需至少 "
                f"{MIN_GUEST_SECRET_LENGTH} 个字符且不同于 SECRET_KEY） / is a placeholder, Superset's "
                f"published default or too short (at least {MIN_GUEST_SECRET_LENGTH} characters, not "
                "the SECRET_KEY); set a real secret or leave it empty to keep embedding off"
            )


@lru_cache
def get_settings() -> InfraSettings:
    settings = InfraSettings()
    settings.check_secrets()
    return settings
