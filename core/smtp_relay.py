"""Handing a message to an SMTP relay, the one way the platform sends mail (the reports' packs;
the alerts' e-mails): each service has its own relay settings, the sending is the same."""

import smtplib
import ssl
from email.message import EmailMessage


def send(
    message: EmailMessage,
    *,
    host: str,
    port: int,
    user: str = "",
    password: str = "",
    starttls: bool = False,
    timeout: float = 30.0,
) -> None:
    """Deliver `message` to the relay; STARTTLS checks the relay's certificate; login only
    when a user is set. smtplib.SMTPException or OSError when the relay refuses or is away."""
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if user:
            smtp.login(user, password)
        smtp.send_message(message)
