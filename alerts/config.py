"""Settings of the alerts service (env prefix LIANXI_): detection, routing, delivery, ack links."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from core.settings import PlatformSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


class AlertsSettings(PlatformSettings):
    """Everything `lianxi alerts run|check` reads from the environment. The service reads the
    warehouse as lianxi_alerts (the base's warehouse_alerts_*: SELECT on raw and marts only)."""

    alerts_raw_database: str = "raw"
    alerts_marts_database: str = "marts"

    # Seconds between two detection passes: a deadline passing is seen within this time
    # plus the worker's batch time (0.5 s).
    alerts_interval_seconds: float = Field(5.0, gt=0)
    # Tickets opened this many days back are watched; above the longest resolution deadline
    # (30 days, ticket_deadlines.csv) so no deadline is passed unseen.
    alerts_lookback_days: int = Field(45, ge=1)
    # Escalation: the street secretary is told this long after the community secretary was,
    # the district this long after the street, unless an alert of the chain was acknowledged.
    alerts_street_after_seconds: float = Field(4 * 3600.0, ge=0)
    alerts_district_after_seconds: float = Field(24 * 3600.0, ge=0)
    # A community (monthly) or street (quarterly) period ending within this many hours without
    # its joint meeting raises a meeting alert (0: meeting alerts off).
    alerts_meeting_warn_hours: float = Field(72.0, ge=0)
    # Problems of publishing systems (marts.fct_feed_issues: new error code, rejection rate,
    # silence) go to each system's owner (false: feed alerts off).
    alerts_feed_issues: bool = True
    # Seconds between two reads of the feed issues: the view scans raw, so it is read less
    # often than the deadlines (数据质量's own freshness target is 60 s).
    alerts_feed_interval_seconds: float = Field(30.0, gt=0)

    # Who is told, per org unit (YAML; alerts/README.md describes it).
    alerts_recipients_file: Path = REPO_ROOT / "alerts" / "recipients.yaml"
    # The durable record of what was raised and sent; empty means <var_dir>/alerts/ledger.sqlite3.
    alerts_ledger_path: Path | None = None

    alerts_smtp_host: str = "127.0.0.1"
    alerts_smtp_port: int = Field(1025, ge=1, le=65535)
    alerts_smtp_user: str = ""
    alerts_smtp_password: str = ""
    alerts_smtp_starttls: bool = False
    alerts_smtp_from: str = "lianxi-alerts@lianxi.local"
    alerts_smtp_timeout_seconds: float = Field(10.0, gt=0)
    alerts_webhook_timeout_seconds: float = Field(10.0, gt=0)
    # Attempts per delivery before it is recorded as finally failed; the wait between two
    # doubles from 1 s up to the maximum.
    alerts_retry_attempts: int = Field(5, ge=1, le=100)
    alerts_retry_max_seconds: float = Field(30.0, gt=0)

    # Where the acknowledgement link in a message points (the ingest API), and the key that
    # signs it (the API checks the same key: keep both processes on the same value).
    # (alerts_ack_secret and alerts_health_port are in the base: the API and the stack read them.)
    alerts_ack_base_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _resolve_paths(self) -> "AlertsSettings":
        if self.alerts_ledger_path is None:
            self.alerts_ledger_path = self.var_dir / "alerts" / "ledger.sqlite3"
        return self

    @property
    def ledger_path(self) -> Path:
        assert self.alerts_ledger_path is not None
        return self.alerts_ledger_path

    def check_secrets(self) -> None:
        self.refuse_placeholders("warehouse_alerts_password", "alerts_ack_secret")


@lru_cache
def get_settings() -> AlertsSettings:
    settings = AlertsSettings()
    settings.check_secrets()
    return settings
