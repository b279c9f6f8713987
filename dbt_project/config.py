"""Settings of the `lianxi dbt` commands (env prefix LIANXI_)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import refuse_placeholders

PROJECT_DIR = Path(__file__).resolve().parent


class DbtSettings(BaseSettings):
    """What `lianxi dbt …` passes on to dbt; profiles.yml reads the same variables."""

    model_config = SettingsConfigDict(env_prefix="LIANXI_", extra="ignore")

    env: str = "production"  # unset means production: development must be said (make, .ci/run)
    dbt_target: str = "local"
    dbt_threads: int = Field(2, ge=1)
    # Empty: dbt next to the running interpreter (the project's venv).
    dbt_executable: str = ""
    dbt_raw_database: str = "raw"
    dbt_as_of: str = ""
    dbt_refresh_interval: float = Field(300.0, gt=0)
    # How far incremental facts look back behind their watermark (see macros/reporting_time.sql).
    dbt_lookback_seconds: int = Field(120, ge=0)
    warehouse_host: str = "127.0.0.1"
    warehouse_http_port: int = Field(8123, ge=1, le=65535)
    warehouse_native_port: int = Field(9000, ge=1, le=65535)
    warehouse_transformer_user: str = "lianxi_transformer"
    warehouse_transformer_password: str = "dev-transformer"

    def check(self) -> None:
        """Refuse the documented development secret anywhere but in development."""
        refuse_placeholders(self.env, {"LIANXI_WAREHOUSE_TRANSFORMER_PASSWORD": self.warehouse_transformer_password})
