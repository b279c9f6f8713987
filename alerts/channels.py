"""Delivery over one channel: SMTP e-mail, WeCom and DingTalk group robots, a generic JSON
webhook. Each function sends once and raises on failure; retries are the caller's.

Formats: WeCom group robot `{"msgtype": "markdown", "markdown": {"content": …}}` (answers
`{"errcode": 0}`); DingTalk custom robot `{"msgtype": "markdown", "markdown": {"title", "text"}}`,
signed when the robot has a secret (加签: `timestamp` in ms and `sign` = base64 of
HMAC-SHA256(secret, "<timestamp>\\n<secret>") as URL parameters; answers `{"errcode": 0}`);
the generic webhook gets the alert as JSON and must answer 2xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import quote_plus

import httpx

from alerts.config import AlertsSettings
from alerts.messages import Message, shanghai
from alerts.model import Alert
from alerts.routing import Target
from core import smtp_relay


class DeliveryError(RuntimeError):
    """One attempt failed; the message says why (recorded in the failed event)."""


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient over one target (channel and address)."""

    settings: AlertsSettings
    target: Target
    alert: Alert
    recipient: str
    message: Message


def message_id(alert: Alert, recipient: str) -> str:
    # The same alert to the same recipient always carries the same Message-ID, so a mail
    # client shows a rare re-send (see README, "Delivery guarantee") as one message.
    return f"<{alert.alert_id}.{recipient}@lianxi.local>"


def send_email(d: Delivery) -> None:
    settings = d.settings
    mail = EmailMessage()
    mail["From"] = settings.alerts_smtp_from
    mail["To"] = d.target.address
    mail["Subject"] = d.message.subject
    mail["Message-ID"] = message_id(d.alert, d.recipient)
    mail["Date"] = formatdate(localtime=False)
    mail["X-Lianxi-Alert-Id"] = d.alert.alert_id
    mail.set_content(d.message.text, charset="utf-8")
    login = (
        (settings.alerts_smtp_user, settings.alerts_smtp_password)
        if settings.alerts_smtp_user
        else None
    )
    try:
        smtp_relay.send(
            mail,
            (settings.alerts_smtp_host, settings.alerts_smtp_port),
            login,
            settings.alerts_smtp_starttls,
            settings.alerts_smtp_timeout_seconds,
        )
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def dingtalk_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """The robot URL with timestamp and sign appended (unchanged without a secret)."""
    if not secret:
        return url
    timestamp = str(now_ms if now_ms is not None else round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def payload(channel: str, alert: Alert, recipient: str, message: Message) -> dict[str, Any]:
    if channel == "wecom":
        # WeCom limits markdown content to 4096 bytes; ours stay far below.
        return {"msgtype": "markdown", "markdown": {"content": message.markdown}}
    if channel == "dingtalk":
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": message.markdown},
        }
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "stage": alert.stage,
        "street_id": alert.street_id or None,
        "community_id": alert.community_id or None,
        "ticket_id": alert.ticket_id,
        "period": alert.period,
        "due_at": alert.due_at.isoformat().replace("+00:00", "Z"),
        "due_at_shanghai": shanghai(alert.due_at),
        "definition_version": alert.definition_version,
        "feed_source": alert.feed.get("source") or None,
        "issue_id": alert.feed.get("issue_id") or None,
        "recipient": recipient,
        "title": message.subject,
        "text": message.text,
        "ack_url": message.ack_url,
    }


def send_webhook(d: Delivery) -> None:
    target = d.target
    url = (
        dingtalk_url(target.address, target.secret)
        if target.channel == "dingtalk"
        else target.address
    )
    try:
        response = httpx.post(
            url,
            json=payload(target.channel, d.alert, d.recipient, d.message),
            timeout=d.settings.alerts_webhook_timeout_seconds,
            headers={"Idempotency-Key": f"{d.alert.alert_id}.{d.recipient}.{target.channel}"},
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code // 100 != 2:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
    if target.channel in ("wecom", "dingtalk"):
        # Both robots answer 200 with an error code in the body when they refuse a message.
        try:
            code = response.json().get("errcode")
        except ValueError:
            code = None
        if code != 0:
            raise DeliveryError(f"{target.channel} refused: {response.text[:200]}")


def send(d: Delivery) -> None:
    if d.target.channel == "email":
        send_email(d)
    else:
        send_webhook(d)
