"""Settings of the embedded warehouse server: the shared settings (core/settings.py: endpoint,
users per role) plus the server's own, env prefix LIANXI_WAREHOUSE_."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import ROLES, PlatformSettings

__all__ = ["ROLES", "WarehouseSettings", "get_settings"]


class WarehouseSettings(PlatformSettings):
    """Everything `lianxi warehouse serve|migrate` and the warehouse clients read."""

    # The shared fields name their variables themselves; this prefix is for the server's own.
    model_config = SettingsConfigDict(env_prefix="LIANXI_WAREHOUSE_")

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

    @property
    def resolved_data_dir(self) -> Path:
        return (self.data_dir or self.var_dir / "clickhouse").resolve()

    @property
    def user_files_dir(self) -> Path:
        """The engine's user_files_path: an empty directory, so file() reaches nothing."""
        return self.var_dir / "warehouse-user-files"


@lru_cache
def get_settings() -> WarehouseSettings:
    return WarehouseSettings()
