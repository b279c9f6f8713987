"""POST /v1/alerts/{alert_id}/ack: a recipient says they are on it; the alert stops escalating.

Who may acknowledge (least privilege):
- the holder of the message: the link in it carries `recipient` and `sig`, an HMAC of the
  alert id and that recipient under LIANXI_ALERTS_ACK_SECRET (core/ack_links.py), valid only
  for a recipient the alert was sent to;
- a token (`lianxi tokens create --types lianxi.alert.acknowledged --areas s-01`) whose areas
  cover the alert's street or community (no areas: the whole district).
Anything else gets 401 (nothing given, unknown token) or 403 (wrong area, wrong signature).
GET on the link shows a confirmation page and changes nothing: mail scanners follow links.
The acknowledged event has a fixed id per alert, so acknowledging twice counts once.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from core import ack_links
from ingest.api import warehouse_client
from ingest.api.auth import authenticate, bearer, store_of
from ingest.api.errors import ApiError, refused, responses
from ingest.config import IngestSettings
from ingest.contracts import dataschema_for

router = APIRouter(tags=["alerts"])
log = logging.getLogger("lianxi.api.alerts")
ALERT_ID = re.compile(r"^al-[0-9a-f]{32}$")
ACK_TYPE = "lianxi.alert.acknowledged"
SOURCE = "/systems/lianxi-api"
_QUERY = (Path(__file__).resolve().parents[2] / "sql" / "alert_scope.sql").read_text(
    encoding="utf-8"
)


class AlertReader:
    """Reads an alert's scope from raw with the read-only analyst account."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def scope(self, alert_id: str) -> dict[str, Any] | None:
        sql = _QUERY.replace("{database}", self.settings.open311_raw_database)
        with self._lock:
            try:
                if self._client is None:
                    self._client = warehouse_client.connect(self.settings, "analyst")
                rows = list(
                    self._client.query(sql, parameters={"alert_id": alert_id}).named_results()
                )
            except Exception as exc:  # noqa: BLE001 - any failure to read means "unavailable"
                if "UNKNOWN_TABLE" in str(exc):  # no alert was ever loaded on this warehouse
                    return None
                log.warning("alerts: reading alert %s failed: %s", alert_id, exc)
                self._client = None
                raise refused(
                    503,
                    "warehouse_unavailable",
                    f"the warehouse cannot be read right now ({type(exc).__name__})",
                    "",
                    "warehouse_available",
                    "retry after the Retry-After delay",
                    headers={"Retry-After": "10"},
                ) from None
        return rows[0] if rows else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _alert(request: Request, alert_id: str) -> dict[str, Any]:
    found = request.app.state.alerts.scope(alert_id) if ALERT_ID.match(alert_id) else None
    if found is None:
        raise refused(
            404,
            "not_found",
            f"no alert {alert_id!r} (ids look like al-<32 hex>)",
            "alert_id",
            "known_alert",
            "no raised alert has this id",
        )
    return found


def _invalid_link(field: str, rule: str, reason: str) -> ApiError:
    """403 for an acknowledgement link that does not fit the alert: which part, and why."""
    return refused(403, "forbidden", "this link is not valid for this alert", field, rule, reason)


def _who(
    request: Request,
    alert_id: str,
    secret: str | None,
    recipient: str | None,
    sig: str | None,
) -> tuple[dict[str, Any], str, str]:
    """(alert, acknowledged_by, via), or ApiError: credentials are checked before the alert is
    looked up, so a caller without them learns nothing about which alerts exist (401/403
    before 404)."""
    if sig is not None or recipient is not None:
        key = request.app.state.settings.alerts_ack_secret
        if not recipient or not sig or not ack_links.verify(key, alert_id, recipient, sig):
            raise _invalid_link(
                "sig", "link_signature", "the signature does not match this alert and recipient"
            )
        alert = _alert(request, alert_id)
        if recipient not in alert["recipients"]:
            raise _invalid_link(
                "recipient", "alert_recipient", "the alert was not sent to this recipient"
            )
        return alert, recipient, "link"
    token = authenticate(store_of(request), secret)
    if not token.grants(ACK_TYPE):
        raise refused(
            403,
            "forbidden",
            f"this token covers only {', '.join(token.types)}",
            "Authorization",
            "token_scope",
            f"the token must cover {ACK_TYPE}",
        )
    alert = _alert(request, alert_id)
    if (
        token.areas
        and alert["street_id"] not in token.streets
        and alert["community_id"] not in token.communities
    ):
        raise refused(
            403,
            "forbidden",
            "this alert belongs to a unit the token does not cover",
            "alert_id",
            "token_area",
            f"the token covers only {', '.join(token.areas)}",
        )
    return alert, token.token_id, "token"


@router.post(
    "/v1/alerts/{alert_id}/ack",
    status_code=202,
    responses=responses(401, 403, 503) | {404: {"description": "没有此预警 / no such alert"}},
    summary="确认预警 / acknowledge an alert",
)
async def ack(
    request: Request,
    alert_id: str,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    recipient: Annotated[str | None, Query(max_length=128)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
) -> JSONResponse:
    """202 once Kafka acknowledged the `lianxi.alert.acknowledged` event."""
    alert, by, via = _who(
        request,
        alert_id,
        credentials.credentials if credentials else None,
        recipient,
        sig,
    )
    event = {
        "id": f"{alert_id}.acknowledged",
        "source": SOURCE,
        "type": ACK_TYPE,
        "specversion": "1.0",
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "subject": alert_id,
        "dataschema": dataschema_for(ACK_TYPE),
        "datacontenttype": "application/json",
        "data": {
            "alert_id": alert_id,
            "stage": alert["stage"],
            "street_id": alert["street_id"] or None,  # '' for a feed alert
            "community_id": alert["community_id"] or None,
            "acknowledged_by": by,
            "via": via,
        },
    }
    await request.app.state.gate.publish([event])
    return JSONResponse(
        {
            "alert_id": alert_id,
            "acknowledged": True,
            "by": by,
            "via": via,
            "message": "已确认，本预警不再向上级督办",
        },
        status_code=202,
    )


def _unit_zh(alert: dict[str, Any]) -> str:
    if alert.get("feed_source"):
        return f"数据源：{alert['feed_source']}"
    return f"单位：{alert['community_id'] or alert['street_id']}"


@router.get("/v1/alerts/{alert_id}/ack", response_class=HTMLResponse, include_in_schema=False)
async def ack_page(
    request: Request,
    alert_id: str,
    recipient: Annotated[str, Query(max_length=128)] = "",
    sig: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    """The page the link in a message opens: one button that POSTs the acknowledgement."""
    alert, _, _ = _who(request, alert_id, None, recipient, sig)
    target = html.escape(str(request.url), quote=True)
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>确认预警</title></head>
<body><h1>确认预警 {html.escape(alert_id)}</h1>
<p>{html.escape(_unit_zh(alert))}；通知对象：{html.escape(recipient)}</p>
<form method="post" action="{target}"><button type="submit">确认收到（不再向上级督办）</button></form>
</body></html>"""
    return HTMLResponse(page)
