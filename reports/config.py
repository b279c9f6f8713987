"""Settings of the reports stage (env prefix LIANXI_): the quarterly briefing packs."""

from pathlib import Path

from pydantic import Field, model_validator

from core.settings import PlatformSettings


class ReportsSettings(PlatformSettings):
    """The packs read the marts as the reader (the base's warehouse_reader_*: the account
    Superset uses, SELECT on marts only)."""

    # Headless Chromium that prints the HTML pack to PDF (Debian: chromium).
    reports_chromium: str = "chromium"
    # Name of the district on the cover of the district's pack.
    reports_district_name: str = "全区"
    # Mailing the archived packs is optional: empty host = archive only, no mail.
    reports_smtp_host: str = ""
    reports_smtp_port: int = Field(25, ge=1, le=65535)
    reports_smtp_user: str = ""
    reports_smtp_password: str = ""
    reports_smtp_starttls: bool = False
    reports_mail_from: str = "lianxi-reports@localhost"
    # Who gets the district's pack (comma-separated addresses).
    reports_mail_district_to: str = ""
    # Who gets a street's pack: an address pattern with {street_id} (empty: street packs are
    # archived, not mailed).
    reports_mail_street_to: str = ""
    # How often `lianxi report archive --due --loop` looks for a closed quarter (seconds).
    reports_archive_interval: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> "ReportsSettings":
        secrets = ["warehouse_reader_password"]
        if self.reports_smtp_user:
            secrets.append("reports_smtp_password")
        self.refuse_placeholders(*secrets)
        return self

    @property
    def reports_dir(self) -> Path:
        return self.var_dir / "reports"
