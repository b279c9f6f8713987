"""Settings of the `lianxi dbt` commands (env prefix LIANXI_); the warehouse endpoint and the
transformer's account come from the shared settings (core/settings.py)."""

from pathlib import Path

from pydantic import Field

from core.settings import PlatformSettings

PROJECT_DIR = Path(__file__).resolve().parent


class DbtSettings(PlatformSettings):
    """What `lianxi dbt …` passes on to dbt; profiles.yml reads the same variables."""

    dbt_target: str = "local"
    dbt_threads: int = Field(2, ge=1)
    # Empty: dbt next to the running interpreter (the project's venv).
    dbt_executable: str = ""
    dbt_raw_database: str = "raw"
    dbt_as_of: str = ""
    dbt_refresh_interval: float = Field(300.0, gt=0)
    # How far incremental facts look back behind their watermark (see macros/reporting_time.sql).
    dbt_lookback_seconds: int = Field(120, ge=0)

    def check(self) -> None:
        """Refuse the documented development secret anywhere but in development."""
        self.refuse_placeholders("warehouse_transformer_password")
