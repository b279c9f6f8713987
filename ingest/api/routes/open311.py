"""Open311 GeoReport v2 (JSON only) for service tickets.

POST requests.json becomes one lianxi.ticket.opened event; GET reads ticket status back from
the warehouse (raw.ticket_events), so it shows what the pipeline has loaded.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from ingest.api import warehouse_client
from ingest.api.auth import authenticate, store_of
from ingest.api.body import parse_json, read_body
from ingest.api.errors import ApiError, item, refused
from ingest.api.rejections import REMOVED, rejection_events
from ingest.config import IngestSettings
from ingest.contracts import dataschema_for, event_types, schema_for, validate_event
from ingest.tokens import Token

router = APIRouter(prefix="/open311/v2", tags=["open311"])

log = logging.getLogger(__name__)

TICKET_OPENED = "lianxi.ticket.opened"
TICKET_TYPES = tuple(t for t in event_types() if t.startswith("lianxi.ticket."))
# fct_tickets.status values that GeoReport calls closed (open, assigned, responded and
# reopened are open).
MART_CLOSED = frozenset({"resolved", "closed"})
# GeoReport fields that would carry personal data; the platform keeps people pseudonymous.
PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone")
# Accepted for compatibility, not stored: the catalogue has no place for them.
IGNORED_FIELDS = ("lat", "long", "address_string", "media_url", "device_id", "jurisdiction_id")
# Open311 field -> event data field, for error messages in the caller's vocabulary.
FIELD_NAMES = {
    "data.category": "service_code",
    "data.description": "description",
    "data.community_id": "address_id",
    "data.reporter_id": "account_id",
    "data.street_id": "attribute[street_id]",
    "data.grid_id": "attribute[grid_id]",
    "data.channel": "attribute[channel]",
    "data.project": "attribute[project]",
}
ATTRIBUTES = ("community_id", "street_id", "grid_id", "channel", "project")
_SQL = Path(__file__).resolve().parents[2] / "sql"
_QUERY = (_SQL / "open311_requests.sql").read_text(encoding="utf-8")
_MART_QUERY = (_SQL / "open311_mart_status.sql").read_text(encoding="utf-8")


def _category_schema() -> dict[str, Any]:
    prop: dict[str, Any] = schema_for(TICKET_OPENED)["properties"]["category"]
    return prop


def _error(status: int, rule: str, message: str, field: str = "") -> ApiError:
    return refused(status, rule, message, field, rule, message, open311=True)


@router.get("/services.json", summary="工单类别 / service list")
async def services() -> list[dict[str, Any]]:
    """The ticket categories of the catalogue (data.category of lianxi.ticket.opened)."""
    prop = _category_schema()
    labels = prop.get("x-enum-labels", {})
    return [
        {
            "service_code": code,
            "service_name": labels.get(code, code),
            "description": f"{labels.get(code, code)} / {code.replace('_', ' ')}",
            "metadata": False,
            "type": "realtime",
            "keywords": code.replace("_", ","),
            "group": "接诉即办",
        }
        for code in prop["enum"]
    ]


async def _fields(request: Request, limit: int) -> dict[str, str]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = await read_body(request, limit)
        # Same checks as /v1/events: nesting depth before parsing, UTF-8, JSON syntax.
        doc = parse_json(body) if ctype == "application/json" and body.strip() else {}
    except ApiError as exc:
        exc.open311 = True  # 413 and 400 in GeoReport's error shape, like every Open311 answer
        raise
    if ctype == "application/json":
        if not isinstance(doc, dict):
            raise _error(400, "type", "the body must be a JSON object", "body")
        return {str(k): v for k, v in doc.items()}
    if ctype in ("application/x-www-form-urlencoded", ""):
        try:
            # errors="strict": %XX escapes that are not UTF-8 were silently replaced by U+FFFD.
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError:
            raise _error(
                400,
                "utf8",
                "表单及其 %XX 转义须为 UTF-8 / the form body and its %XX escapes must be UTF-8",
                "body",
            ) from None
    raise _error(
        415,
        "media_type",
        "send application/x-www-form-urlencoded or application/json",
        "Content-Type",
    )


def _attribute(fields: dict[str, Any], name: str) -> Any:
    if f"attribute[{name}]" in fields:
        return fields[f"attribute[{name}]"]
    attrs = fields.get("attribute")
    return attrs.get(name) if isinstance(attrs, dict) else None


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def ticket_event(fields: dict[str, Any], source: str) -> dict[str, Any]:
    """The lianxi.ticket.opened event a GeoReport request stands for (not yet validated)."""
    ticket_id = "t-o311-" + uuid.uuid4().hex[:20]
    community = _blank_to_none(_attribute(fields, "community_id") or fields.get("address_id"))
    data = {
        "ticket_id": ticket_id,
        "channel": _blank_to_none(_attribute(fields, "channel")) or "hotline",
        "category": fields.get("service_code"),
        "community_id": community,
        "street_id": _blank_to_none(_attribute(fields, "street_id")),
        "grid_id": _blank_to_none(_attribute(fields, "grid_id")),
        "project": _blank_to_none(_attribute(fields, "project")),
        "reporter_id": _blank_to_none(fields.get("account_id")),
        "description": fields.get("description", ""),
    }
    data = {
        k: v for k, v in data.items() if v is not None or k in ("grid_id", "project", "reporter_id")
    }
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "type": TICKET_OPENED,
        "specversion": "1.0",
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "subject": ticket_id,
        "dataschema": dataschema_for(TICKET_OPENED),
        "datacontenttype": "application/json",
        "data": data,
    }


def _request_form() -> dict[str, Any]:
    category = _category_schema()
    text = {"type": "string"}
    props: dict[str, Any] = {
        "api_key": {**text, "description": "发布方令牌 / publisher token"},
        "service_code": {
            "type": "string",
            "enum": category["enum"],
            "description": "工单类别 / ticket category",
        },
        "description": {**text, "maxLength": 2000},
        "address_id": {**text, "description": "社区编号 c-NN-NN / community id"},
        "account_id": {**text, "description": "反映人假名编号 r-…/m-… / pseudonymous reporter id"},
        **{f"attribute[{a}]": text for a in ATTRIBUTES},
        **{f: {**text, "description": "不保存 / accepted, not stored"} for f in IGNORED_FIELDS},
    }
    schema = {"type": "object", "properties": props, "required": ["service_code", "description"]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": schema},
                "application/json": {"schema": schema},
            },
        }
    }


@router.post(
    "/requests.json",
    status_code=201,
    summary="受理工单 / create a service request",
    openapi_extra=_request_form(),
)
async def create_request(request: Request) -> JSONResponse:
    """GeoReport v2 'POST Service Request'. Form or JSON fields: api_key (a publisher token
    covering lianxi.ticket.opened), service_code (category), description, address_id or
    attribute[community_id], optional attribute[street_id|grid_id|channel|project] and
    account_id (pseudonymous r-/m- id). Names, phones and e-mails are refused."""
    fields = await _fields(request, 64 * 1024)
    header = request.headers.get("authorization", "")
    secret = fields.get("api_key") or (
        header[7:].strip() if header.lower().startswith("bearer ") else None
    )
    try:
        token = authenticate(store_of(request), secret if isinstance(secret, str) else None)
    except ApiError as exc:
        exc.open311 = True
        raise
    try:
        event = _ticket_or_refusal(fields, token)
    except ApiError as refused:
        # Recorded like /v1/events refusals (issue #17): 4xx only once Kafka has the record.
        if request.app.state.settings.api_record_rejections:
            try:
                settings = request.app.state.settings
                await request.app.state.gate.publish(
                    _rejection(refused, fields, token, settings.api_rejection_excerpt_bytes)
                )
            except ApiError as exc:
                exc.open311 = True
                raise
        raise
    try:
        await request.app.state.gate.publish([event])
    except ApiError as exc:
        exc.open311 = True
        raise
    request.app.state.metrics.count(token.source, "accepted", [event])
    ticket_id = event["data"]["ticket_id"]
    notice = "已受理，办理进度可通过 GET requests/{id}.json 查询 / accepted; follow it with GET requests/{id}.json"
    return JSONResponse(
        [{"service_request_id": ticket_id, "service_notice": notice, "account_id": None}],
        status_code=201,
    )


def _rejection(
    refused: ApiError, fields: dict[str, Any], token: Token, excerpt_bytes: int
) -> list[dict[str, Any]]:
    """The rejection record of a refused POST. Its excerpt is the submitted fields without the
    api_key and with the values of personal fields (name, phone, e-mail) removed: what the
    publisher needs to fix the request, never the person."""
    sent = {
        name: (REMOVED if name in PERSONAL_FIELDS and value else value)
        for name, value in sorted(fields.items())
        if name != "api_key"
    }
    body = json.dumps(sent, ensure_ascii=False, separators=(",", ":")).encode()
    return rejection_events(
        token.source,
        refused.status,
        refused.error,
        refused.errors,
        None,
        body,
        "open311",
        excerpt_bytes,
    )


def _ticket_or_refusal(fields: dict[str, Any], token: Token) -> dict[str, Any]:
    if not token.allows(TICKET_OPENED):
        raise refused(
            403,
            "forbidden",
            "token does not cover lianxi.ticket.opened",
            "api_key",
            "token_scope",
            f"this token covers only {', '.join(token.types)}",
            open311=True,
        )
    personal = [
        item(
            None,
            name,
            "no_personal_data",
            f"{name} is personal data; use a pseudonymous account_id (r-… or m-…)",
        )
        for name in PERSONAL_FIELDS
        if fields.get(name)
    ]
    if personal:
        raise ApiError(
            400, "no_personal_data", "personal data is not accepted", personal, open311=True
        )
    event = ticket_event(fields, token.source)
    violations = validate_event(event)
    if violations:
        raise ApiError(
            400,
            "invalid_request",
            "the request does not make a valid ticket",
            [item(None, FIELD_NAMES.get(v.field, v.field), v.rule, v.message) for v in violations],
            open311=True,
        )
    return event


class WarehouseReader:
    """Reads ticket status with clickhouse-connect; one client, rebuilt after a failure."""

    def __init__(self, settings: IngestSettings) -> None:
        for name in ("open311_raw_database", "open311_marts_database"):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", getattr(settings, name)):
                raise ValueError(f"LIANXI_{name.upper()} must be a plain identifier")
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()
        self._mart_ok: bool | None = None  # logged when it changes, not on every request

    def _connect(self) -> Any:
        return warehouse_client.connect(self.settings, "analyst")

    def tickets(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        sql = _QUERY.replace("{database}", self.settings.open311_raw_database)
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                result = self._client.query(sql, parameters=params)
            except Exception as exc:  # noqa: BLE001 - any failure to read means "unavailable"
                log.warning("Open311: reading tickets failed: %s", exc)
                self._client = None
                raise ApiError(
                    503,
                    "warehouse_unavailable",
                    f"the warehouse cannot be read right now ({type(exc).__name__})",
                    headers={"Retry-After": "10"},
                    open311=True,
                ) from None
        return list(result.named_results())

    def mart_rows(self, ids: list[str]) -> dict[str, dict[str, Any]] | None:
        """fct_tickets' status and area names by ticket id; None if the mart cannot be read
        (not built yet, dropped during a full refresh): the caller falls back to raw events."""
        if not ids:
            return {}
        sql = _MART_QUERY.replace("{database}", self.settings.open311_marts_database)
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                rows = list(self._client.query(sql, parameters={"ids": ids}).named_results())
            except Exception as exc:  # noqa: BLE001 - the raw read just worked: the mart is what is missing
                if self._mart_ok is not False:
                    log.warning(
                        "Open311: %s.fct_tickets unreadable (%s); status from raw events",
                        self.settings.open311_marts_database,
                        exc,
                    )
                self._mart_ok = False
                return None
        if self._mart_ok is False:
            log.warning(
                "Open311: %s.fct_tickets readable again", self.settings.open311_marts_database
            )
        self._mart_ok = True
        return {r["ticket_id"]: r for r in rows}

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _status(row: dict[str, Any], mart: dict[str, Any] | None) -> str:
    """GeoReport status: dbt's lifecycle (fct_tickets) when the mart has the ticket, else the
    same rule on the raw events: closed, or the later of resolved/reopened is resolved."""
    if mart is not None:
        return "closed" if mart["status"] in MART_CLOSED else "open"
    closed = (
        row["last_type"] == "lianxi.ticket.closed"
        or row["last_resolution_type"] == "lianxi.ticket.resolved"
    )
    return "closed" if closed else "open"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat(timespec="seconds")
    return str(value)


def _as_open311(row: dict[str, Any], mart: dict[str, Any] | None, full: bool) -> dict[str, Any]:
    """One GeoReport record. Without a token (public read) only what a public 311 portal
    shows: category, status, times and the coarse area (street and community names); the
    resident's description, the handling unit, the resolution and the community id stay null."""
    labels = _category_schema().get("x-enum-labels", {})
    names = (mart["street_name"], mart["community_name"]) if mart else ()
    area = " ".join(n for n in names if n) or None
    return {
        "service_request_id": row["ticket_id"],
        "status": _status(row, mart),
        "status_notes": row["resolution"] if full else None,
        "service_name": labels.get(row["category"], row["category"]),
        "service_code": row["category"],
        "description": row["description"] if full else None,
        "agency_responsible": row["assignee_unit_id"] if full else None,
        "service_notice": None,
        "requested_datetime": _iso(row["requested_at"]),
        "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": None,
        "address": area,
        "address_id": row["community_id"] if full else None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _reader(request: Request, api_key: str | None) -> Token | None:
    """The token of a GET (api_key as Open311 clients send it, or Authorization: Bearer), or
    None for an anonymous reader where the deployment opened public read."""
    header = request.headers.get("authorization", "")
    secret = api_key or (header[7:].strip() if header.lower().startswith("bearer ") else None)
    if not secret:
        if request.app.state.settings.open311_public_read:
            return None
        raise refused(
            401,
            "unauthorized",
            "本部署未开放工单公开查询，请提供令牌 / public read is off: send a token",
            "api_key",
            "token_required",
            "查询工单须提供令牌（api_key 参数或 Authorization: Bearer） / "
            "send a token as api_key or 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
            open311=True,
        )
    try:
        token = authenticate(store_of(request), secret)
    except ApiError as exc:  # a wrong token is refused even where public read is on
        exc.open311 = True
        raise
    if not any(token.allows(t) for t in TICKET_TYPES):
        raise refused(
            403,
            "forbidden",
            "token does not cover tickets",
            "api_key",
            "token_scope",
            f"该令牌不涵盖工单 / this token covers only {', '.join(token.types)}",
            open311=True,
        )
    return token


def _scope(token: Token | None) -> dict[str, Any]:
    scoped = token is not None and bool(token.areas)
    return {
        "scoped": int(scoped),
        "streets": token.streets if token else [],
        "communities": token.communities if token else [],
    }


async def _records(
    request: Request, response: Response, params: dict[str, Any], token: Token | None
) -> list[tuple[str, dict[str, Any]]]:
    """(status, record) per ticket; says in X-Lianxi-Status-Source where the statuses came from."""
    from starlette.concurrency import run_in_threadpool

    reader = request.app.state.warehouse
    rows = await run_in_threadpool(reader.tickets, {**params, **_scope(token)})
    marts = await run_in_threadpool(reader.mart_rows, [r["ticket_id"] for r in rows])
    found = marts or {}
    sources = {"fct_tickets" if r["ticket_id"] in found else "raw" for r in rows}
    response.headers["X-Lianxi-Status-Source"] = (
        "+".join(s for s in ("fct_tickets", "raw") if s in sources) or "none"
    )
    records = [_as_open311(r, found.get(r["ticket_id"]), full=token is not None) for r in rows]
    return [(rec["status"], rec) for rec in records]


# Dates a query may name: the warehouse's DateTime64 covers 1900-2299, the platform's data
# starts after 1970. Outside it, arithmetic on the date (UTC shift, 90-day default window)
# overflowed into a 500.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _error(
            400,
            "format",
            f"{name} 须为 W3C/RFC3339 时间 / {name} must be a W3C/RFC3339 date-time",
            name,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        in_range = (
            EARLIEST <= parsed <= LATEST
        )  # compares in UTC; can itself overflow near year 1 or 9999
    except OverflowError:
        in_range = False
    if not in_range:
        raise _error(
            400,
            "range",
            f"{name} 须在 1970-01-01 与 2200-01-01 (UTC) 之间 / {name} must lie between 1970-01-01 and 2200-01-01 UTC",
            name,
        )
    return parsed


def _ch_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


READ_POLICY = (
    "令牌（api_key 或 Authorization: Bearer）可见其街道/社区范围内的完整工单；未开放公开查询时无令牌答 401，"
    "开放时（LIANXI_OPEN311_PUBLIC_READ）只见类别、状态、时间与街道社区名。 / "
    "A token sees full records within its street/community scope; without one: 401 unless public read "
    "is on, then only category, status, times and area names."
)
ApiKey = Annotated[str | None, Query(description="令牌 / token (or Authorization: Bearer)")]


@router.get("/requests.json", summary="查询工单 / list service requests", description=READ_POLICY)
async def list_requests(
    request: Request,
    response: Response,
    api_key: ApiKey = None,
    service_request_id: Annotated[
        str | None, Query(description="逗号分隔 / comma-separated ids")
    ] = None,
    service_code: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query()] = None,
    end_date: Annotated[str | None, Query()] = None,
    status: Annotated[
        str | None, Query(description="open, closed or both (comma-separated)")
    ] = None,
) -> list[dict[str, Any]]:
    """Without ids: tickets requested in [start_date, end_date), default the last 90 days,
    at most 1000 (GeoReport v2 defaults)."""
    token = _reader(request, api_key)
    ids = [i.strip() for i in (service_request_id or "").split(",") if i.strip()]
    end = _parse_date(end_date, "end_date") or datetime.now(UTC) + timedelta(days=1)
    start = _parse_date(start_date, "start_date") or (
        end - timedelta(days=90) if not ids else EARLIEST
    )
    wanted = {s.strip() for s in (status or "").split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise _error(400, "enum", "status must be open, closed or both", "status")
    if service_code and service_code not in _category_schema()["enum"]:
        raise _error(
            400, "enum", f"unknown service_code {service_code!r}; see services.json", "service_code"
        )
    params = {
        "ids": ids,
        "service_code": service_code or "",
        "start": _ch_time(start),
        "end": _ch_time(end),
        "limit": 1000,
    }
    records = await _records(request, response, params, token)
    return [rec for state, rec in records if not wanted or state in wanted]


@router.get(
    "/requests/{service_request_id}.json",
    summary="查询单个工单 / one service request",
    description=READ_POLICY,
)
async def get_request(
    request: Request, response: Response, service_request_id: str, api_key: ApiKey = None
) -> list[dict[str, Any]]:
    token = _reader(request, api_key)
    params = {
        "ids": [service_request_id],
        "service_code": "",
        "start": _ch_time(EARLIEST),
        "end": _ch_time(LATEST),
        "limit": 1,
    }
    records = await _records(request, response, params, token)
    if not records:
        # Outside the token's scope reads as absent: no hint that the ticket exists.
        raise _error(
            404,
            "not_found",
            f"no service request {service_request_id!r} (yet) in the warehouse",
            "service_request_id",
        )
    return [records[0][1]]
