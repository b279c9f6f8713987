"""Signed acknowledgement links of alerts: the alerts service signs, the ingest API checks.

A link names the alert and the recipient it was sent to and carries an HMAC-SHA256 of both
under LIANXI_ALERTS_ACK_SECRET, so whoever holds the message (and only they) can acknowledge
that alert, without a token of their own. One key, two processes: the function lives here so
neither stage imports the other.
"""

import hashlib
import hmac


def signature(secret: str, alert_id: str, recipient: str) -> str:
    message = f"{alert_id}\n{recipient}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, alert_id: str, recipient: str, given: str) -> bool:
    # bytes: compare_digest refuses non-ASCII str (a forged link may carry anything)
    return hmac.compare_digest(
        signature(secret, alert_id, recipient).encode(),
        given.encode("utf-8", "replace"),
    )
