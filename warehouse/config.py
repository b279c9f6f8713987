"""Settings of the embedded warehouse server (env prefix LIANXI_WAREHOUSE_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROLES: tuple[str, ...] = ("admin", "writer", "transformer", "reader", "analyst", "alerts")


class WarehouseSettings(BaseSettings):
    """Everything `lianxi warehouse serve|migrate` and the warehouse clients read."""

    model_config = SettingsConfigDict(env_prefix="LIANXI_WAREHOUSE_", extra="ignore")

    # Shared platform variables keep their own names, not the warehouse prefix.
    # Unset means production: placeholder secrets are refused unless development is said.
    env: str = Field("production", validation_alias=AliasChoices("LIANXI_ENV"))
    var_dir: Path = Field(Path("./var"), validation_alias=AliasChoices("LIANXI_VAR_DIR"))

    host: str = "127.0.0.1"
    http_port: int = Field(8123, ge=1, le=65535)
    native_port: int = Field(9000, ge=1, le=65535)
    data_dir: Path | None = None  # None: $LIANXI_VAR_DIR/clickhouse
    display_name: str = "lianxi-warehouse"
    native_enabled: bool = True

    # Above this many running queries new ones get code 202 at once instead of queueing:
    # two cores gain nothing from a deeper queue, and clients retry better than they wait.
    max_concurrent_queries: int = Field(32, ge=1)
    max_request_bytes: int = Field(256 * 1024 * 1024, ge=1024)
    max_execution_time: float = Field(600.0, ge=0)  # seconds, 0 = unlimited
    session_timeout: float = Field(60.0, gt=0)  # default for HTTP session_id when not given
    max_session_timeout: float = Field(3600.0, gt=0)
    shutdown_grace: float = Field(30.0, ge=0)  # how long SIGTERM waits for in-flight queries
    # Browsers send an Origin header; a request from a page of another site is refused unless
    # its origin is listed here (comma-separated), so no web page can drive the warehouse.
    allowed_origins: str = ""

    admin_user: str = "lianxi_admin"
    admin_password: str = "dev-admin"
    writer_user: str = "lianxi_writer"
    writer_password: str = "dev-writer"
    transformer_user: str = "lianxi_transformer"
    transformer_password: str = "dev-transformer"
    reader_user: str = "lianxi_reader"
    reader_password: str = "dev-reader"
    analyst_user: str = "lianxi_analyst"
    analyst_password: str = "dev-analyst"
    # The alerts service: reads raw and the marts' definitions (migration create_alerts_role).
    alerts_user: str = "lianxi_alerts"
    alerts_password: str = "dev-alerts"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def resolved_data_dir(self) -> Path:
        return (self.data_dir or self.var_dir / "clickhouse").resolve()

    @property
    def user_files_dir(self) -> Path:
        """The engine's user_files_path: an empty directory, so file() reaches nothing."""
        return (self.var_dir / "warehouse-user-files").resolve()

    def role_user(self, role: str) -> str:
        return str(getattr(self, f"{role}_user"))

    def role_password(self, role: str) -> str:
        return str(getattr(self, f"{role}_password"))


@lru_cache
def get_settings() -> WarehouseSettings:
    return WarehouseSettings()
