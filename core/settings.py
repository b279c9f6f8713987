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


def _env(name: str) -> Any:
    """The field reads exactly this variable, whatever the class's env prefix."""
    return AliasChoices(name)


class PlatformSettings(BaseSettings):
    """What more than one stage reads; the stages' settings classes extend it."""

    # Validation errors name the field (loc), as they did before the variables were explicit.
    model_config = SettingsConfigDict(
        env_prefix="LIANXI_", extra="ignore", populate_by_name=True, loc_by_alias=False
    )

    # Unset means production: development must be said (make, .ci/run), and only development
    # accepts the documented placeholder secrets.
    env: str = Field("production", validation_alias=_env("LIANXI_ENV"))
    # State of the local stack (data, logs, tokens); relative values are resolved from the
    # working directory.
    var_dir: Path = Field(REPO_ROOT / "var", validation_alias=_env("LIANXI_VAR_DIR"))

    kafka_bootstrap: str = Field("127.0.0.1:9092", validation_alias=_env("LIANXI_KAFKA_BOOTSTRAP"))
    # Put before every topic name (lianxi.<domain>, lianxi.deadletter): lets tests and parallel
    # stacks share one broker without seeing each other's topics.
    kafka_topic_prefix: str = Field("", validation_alias=_env("LIANXI_KAFKA_TOPIC_PREFIX"))

    warehouse_host: str = Field("127.0.0.1", validation_alias=_env("LIANXI_WAREHOUSE_HOST"))
    warehouse_http_port: int = Field(
        8123, ge=1, le=65535, validation_alias=_env("LIANXI_WAREHOUSE_HTTP_PORT")
    )
    warehouse_native_port: int = Field(
        9000, ge=1, le=65535, validation_alias=_env("LIANXI_WAREHOUSE_NATIVE_PORT")
    )

    # One user per role (LIANXI_WAREHOUSE_<ROLE>_USER / _PASSWORD): admin runs migrations,
    # writer the pipeline, transformer dbt, reader Superset, analyst read-only SQL, alerts the
    # alerts service.
    warehouse_admin_user: str = Field(
        "lianxi_admin", validation_alias=_env("LIANXI_WAREHOUSE_ADMIN_USER")
    )
    warehouse_admin_password: str = Field(
        "dev-admin", validation_alias=_env("LIANXI_WAREHOUSE_ADMIN_PASSWORD")
    )
    warehouse_writer_user: str = Field(
        "lianxi_writer", validation_alias=_env("LIANXI_WAREHOUSE_WRITER_USER")
    )
    warehouse_writer_password: str = Field(
        "dev-writer", validation_alias=_env("LIANXI_WAREHOUSE_WRITER_PASSWORD")
    )
    warehouse_transformer_user: str = Field(
        "lianxi_transformer", validation_alias=_env("LIANXI_WAREHOUSE_TRANSFORMER_USER")
    )
    warehouse_transformer_password: str = Field(
        "dev-transformer",
        validation_alias=_env("LIANXI_WAREHOUSE_TRANSFORMER_PASSWORD"),
    )
    warehouse_reader_user: str = Field(
        "lianxi_reader", validation_alias=_env("LIANXI_WAREHOUSE_READER_USER")
    )
    warehouse_reader_password: str = Field(
        "dev-reader", validation_alias=_env("LIANXI_WAREHOUSE_READER_PASSWORD")
    )
    warehouse_analyst_user: str = Field(
        "lianxi_analyst", validation_alias=_env("LIANXI_WAREHOUSE_ANALYST_USER")
    )
    warehouse_analyst_password: str = Field(
        "dev-analyst", validation_alias=_env("LIANXI_WAREHOUSE_ANALYST_PASSWORD")
    )

    # The alerts service: reads raw and the marts' definitions (migration create_alerts_role).
    warehouse_alerts_user: str = Field(
        "lianxi_alerts", validation_alias=_env("LIANXI_WAREHOUSE_ALERTS_USER")
    )
    warehouse_alerts_password: str = Field(
        "dev-alerts", validation_alias=_env("LIANXI_WAREHOUSE_ALERTS_PASSWORD")
    )
    # The key the alerts service signs acknowledgement links with and the API checks them with.
    alerts_ack_secret: str = Field(
        "dev-alerts-ack-secret", validation_alias=_env("LIANXI_ALERTS_ACK_SECRET")
    )
    # The alerts service's health endpoint: the service serves it, the stack probes it (0: none).
    alerts_health_port: int = Field(
        9470, ge=0, le=65535, validation_alias=_env("LIANXI_ALERTS_HEALTH_PORT")
    )

    # The ingest API's port: the API serves on it, the stack probes its health there.
    api_port: int = Field(8000, ge=1, le=65535, validation_alias=_env("LIANXI_API_PORT"))
    # Superset: the stack serves it and creates its admin; the dashboards stage provisions
    # through its API as that admin.
    superset_port: int = Field(8088, ge=1, le=65535, validation_alias=_env("LIANXI_SUPERSET_PORT"))
    superset_admin_user: str = Field("admin", validation_alias=_env("LIANXI_SUPERSET_ADMIN_USER"))
    superset_admin_password: str = Field(
        "admin", validation_alias=_env("LIANXI_SUPERSET_ADMIN_PASSWORD")
    )

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
