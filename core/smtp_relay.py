"""Handing a message to an SMTP relay, the one way the platform sends mail (the reports' packs;
the alerts' e-mails): each service has its own relay settings, the sending is the same."""

import smtplib
import ssl
from email.message import EmailMessage


def send(
    message: EmailMessage,
    relay: tuple[str, int],
    login: tuple[str, str] | None = None,
    starttls: bool = False,
    timeout: float = 30.0,
) -> None:
    """Deliver `message` to the relay at (host, port); STARTTLS checks the relay's certificate;
    `login` is (user, password), or None to send without. smtplib.SMTPException or OSError when
    the relay refuses or is away."""
    host, port = relay
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if login is not None:
            smtp.login(*login)
        smtp.send_message(message)
