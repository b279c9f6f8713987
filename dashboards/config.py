"""Settings of the dashboards stage (env prefix LIANXI_); the warehouse endpoint and the
reader's and analyst's accounts come from the shared settings (core/settings.py)."""

from functools import lru_cache

from pydantic import model_validator

from core.settings import PlatformSettings


class DashboardsSettings(PlatformSettings):
    superset_host: str = "127.0.0.1"

    # Demo users get this password; unset in development means "dev-<login>".
    dashboards_demo_password: str | None = None

    @model_validator(mode="after")
    def _check_secrets(self) -> "DashboardsSettings":
        self.refuse_placeholders(
            "superset_admin_password", "warehouse_reader_password", "warehouse_analyst_password"
        )
        return self

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
            raise ValueError(
                "LIANXI_DASHBOARDS_DEMO_PASSWORD is required outside LIANXI_ENV=development"
            )
        return f"dev-{login}"


@lru_cache
def get_settings() -> DashboardsSettings:
    return DashboardsSettings()
