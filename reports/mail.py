"""Mail archived packs over SMTP (settings LIANXI_REPORTS_SMTP_*; optional)."""

from email.message import EmailMessage
from pathlib import Path

from core import smtp_relay
from reports.config import ReportsSettings


def enabled(settings: ReportsSettings) -> bool:
    return bool(settings.reports_smtp_host)


def recipients(settings: ReportsSettings, street_id: str) -> list[str]:
    """The district list for the district's pack; the street pattern for a street's."""
    if not street_id:
        return [a.strip() for a in settings.reports_mail_district_to.split(",") if a.strip()]
    pattern = settings.reports_mail_street_to.strip()
    return [pattern.format(street_id=street_id)] if pattern else []


def send(
    settings: ReportsSettings, to: list[str], subject: str, body: str, attachment: Path
) -> None:
    message = EmailMessage()
    message["From"] = settings.reports_mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    message.add_attachment(
        attachment.read_bytes(),
        maintype="application",
        subtype="pdf",
        filename=attachment.name,
    )
    user = settings.reports_smtp_user
    smtp_relay.send(
        message,
        (settings.reports_smtp_host, settings.reports_smtp_port),
        (user, settings.reports_smtp_password) if user else None,
        settings.reports_smtp_starttls,
    )
