"""The settings every stage shares: environment, var dir, the Kafka and warehouse endpoints,
the warehouse's users per role, and the API and Superset endpoints more than one stage reads. Each stage's `<stage>/config.py` extends `PlatformSettings`
with only what is its own.

Every shared field names its variable explicitly (`LIANXI_…`), so a stage may give its own
fields another env prefix (the warehouse's `LIANXI_WAREHOUSE_`) without renaming these.
"""

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import refuse_placeholders

REPO_ROOT = Path(__file__).resolve().parent.parent

# The warehouse's users, one per role of its access model (warehouse/access/model.py).
ROLES: tuple[str, ...] = ("admin", "writer", "transformer", "reader", "analyst", "alerts")


def _var(name: str, default: Any, **constraints: Any) -> Any:
    """A field that reads exactly the variable `name`, whatever the class's env prefix."""
    return Field(default, validation_alias=AliasChoices(name), **constraints)


def _port(name: str, default: int, lowest: int = 1) -> Any:
    return _var(name, default, ge=lowest, le=65535)


def _role_user(role: str) -> Any:
    """LIANXI_WAREHOUSE_<ROLE>_USER, default lianxi_<role>: the naming role_user() relies on."""
    return _var(f"LIANXI_WAREHOUSE_{role.upper()}_USER", f"lianxi_{role}")


def _role_password(role: str) -> Any:
    """LIANXI_WAREHOUSE_<ROLE>_PASSWORD, default the placeholder dev-<role>."""
    return _var(f"LIANXI_WAREHOUSE_{role.upper()}_PASSWORD", f"dev-{role}")


class PlatformSettings(BaseSettings):
    """What more than one stage reads; the stages' settings classes extend it."""

    # Validation errors name the field (loc), as they did before the variables were explicit.
    model_config = SettingsConfigDict(
        env_prefix="LIANXI_", extra="ignore", populate_by_name=True, loc_by_alias=False
    )

    # Unset means production: development must be said (make, .ci/run), and only development
    # accepts the documented placeholder secrets.
    env: str = _var("LIANXI_ENV", "production")
    # State of the local stack (data, logs, tokens); relative values are resolved from the
    # working directory.
    var_dir: Path = _var("LIANXI_VAR_DIR", REPO_ROOT / "var")

    kafka_bootstrap: str = _var("LIANXI_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    # Put before every topic name (lianxi.<domain>, lianxi.deadletter): lets tests and parallel
    # stacks share one broker without seeing each other's topics.
    kafka_topic_prefix: str = _var("LIANXI_KAFKA_TOPIC_PREFIX", "")

    warehouse_host: str = _var("LIANXI_WAREHOUSE_HOST", "127.0.0.1")
    warehouse_http_port: int = _port("LIANXI_WAREHOUSE_HTTP_PORT", 8123)
    warehouse_native_port: int = _port("LIANXI_WAREHOUSE_NATIVE_PORT", 9000)

    # One user per role (LIANXI_WAREHOUSE_<ROLE>_USER / _PASSWORD): admin runs migrations,
    # writer the pipeline, transformer dbt, reader Superset, analyst read-only SQL, alerts the
    # alerts service (it reads raw and the marts' definitions: migration create_alerts_role).
    warehouse_admin_user: str = _role_user("admin")
    warehouse_admin_password: str = _role_password("admin")
    warehouse_writer_user: str = _role_user("writer")
    warehouse_writer_password: str = _role_password("writer")
    warehouse_transformer_user: str = _role_user("transformer")
    warehouse_transformer_password: str = _role_password("transformer")
    warehouse_reader_user: str = _role_user("reader")
    warehouse_reader_password: str = _role_password("reader")
    warehouse_analyst_user: str = _role_user("analyst")
    warehouse_analyst_password: str = _role_password("analyst")
    warehouse_alerts_user: str = _role_user("alerts")
    warehouse_alerts_password: str = _role_password("alerts")

    # The key the alerts service signs acknowledgement links with and the API checks them with.
    alerts_ack_secret: str = _var("LIANXI_ALERTS_ACK_SECRET", "dev-alerts-ack-secret")
    # The alerts service's health endpoint: the service serves it, the stack probes it (0: none).
    alerts_health_port: int = _port("LIANXI_ALERTS_HEALTH_PORT", 9470, lowest=0)

    # The ingest API's port: the API serves on it, the stack probes its health there.
    api_port: int = _port("LIANXI_API_PORT", 8000)
    # Superset: the stack serves it and creates its admin; the dashboards stage provisions
    # through its API as that admin.
    superset_port: int = _port("LIANXI_SUPERSET_PORT", 8088)
    superset_admin_user: str = _var("LIANXI_SUPERSET_ADMIN_USER", "admin")
    superset_admin_password: str = _var("LIANXI_SUPERSET_ADMIN_PASSWORD", "admin")

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{server!r} is not host:port (e.g. 127.0.0.1:9092)")
        return value

    @model_validator(mode="after")
    def _resolve_var_dir(self) -> "PlatformSettings":
        self.var_dir = self.var_dir.expanduser().resolve()
        return self

    @property
    def development(self) -> bool:
        return self.env == "development"

    def role_user(self, role: str) -> str:
        return str(getattr(self, f"warehouse_{role}_user"))

    def role_password(self, role: str) -> str:
        return str(getattr(self, f"warehouse_{role}_password"))

    @classmethod
    def env_name(cls, field: str) -> str:
        """The variable a field reads (`LIANXI_…`): its explicit name, or prefix + field name."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices):
            return next((c for c in alias.choices if isinstance(c, str)), field).upper()
        if isinstance(alias, str):
            return alias.upper()
        return str(cls.model_config.get("env_prefix", "")).upper() + field.upper()

    def refuse_placeholders(self, *fields: str) -> None:
        """The one placeholder rule (core/secrets.py) over the secrets a stage actually uses:
        ValueError naming each variable that holds a documented default, unless development."""
        refuse_placeholders(
            self.env, {self.env_name(field): getattr(self, field) for field in fields}
        )
