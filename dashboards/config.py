"""Settings of the dashboards stage (env prefix LIANXI_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import refuse_placeholders

# Documented local defaults; refused unless LIANXI_ENV=development.


class DashboardsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANXI_", extra="ignore")

    env: str = "production"  # unset means production: development must be said (make, .ci/run)
    var_dir: Path = Path("var")

    superset_host: str = "127.0.0.1"
    superset_port: int = 8088
    superset_admin_user: str = "admin"
    superset_admin_password: str = "admin"

    warehouse_host: str = "127.0.0.1"
    warehouse_http_port: int = 8123
    warehouse_reader_user: str = "lianxi_reader"
    warehouse_reader_password: str = "dev-reader"
    warehouse_analyst_user: str = "lianxi_analyst"
    warehouse_analyst_password: str = "dev-analyst"

    # Demo users get this password; unset in development means "dev-<login>".
    dashboards_demo_password: str | None = None

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> "DashboardsSettings":
        fields = ("superset_admin_password", "warehouse_reader_password", "warehouse_analyst_password")
        refuse_placeholders(self.env, {f"LIANXI_{name.upper()}": getattr(self, name) for name in fields})
        return self

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def superset_url(self) -> str:
        return f"http://{self.superset_host}:{self.superset_port}"

    @property
    def warehouse_hostport(self) -> str:
        return f"{self.warehouse_host}:{self.warehouse_http_port}"

    def demo_password(self, login: str) -> str:
        if self.dashboards_demo_password:
            return self.dashboards_demo_password
        if not self.development:
            raise ValueError("LIANXI_DASHBOARDS_DEMO_PASSWORD is required outside LIANXI_ENV=development")
        return f"dev-{login}"


@lru_cache
def get_settings() -> DashboardsSettings:
    return DashboardsSettings()
