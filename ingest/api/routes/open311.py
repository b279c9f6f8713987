"""Open311 GeoReport v2 (JSON only) for service tickets.

POST requests.json becomes one lianxi.ticket.opened event; GET reads ticket status back from
the warehouse (raw.ticket_events), so it shows what the pipeline has loaded.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ingest.api.auth import authenticate, store_of
from ingest.api.body import parse_json, read_body
from ingest.api.errors import ApiError, item
from ingest.config import IngestSettings
from ingest.contracts import dataschema_for, schema_for, validate_event

router = APIRouter(prefix="/open311/v2", tags=["open311"])

TICKET_OPENED = "lianxi.ticket.opened"
CLOSED_TYPES = frozenset({"lianxi.ticket.resolved", "lianxi.ticket.rated", "lianxi.ticket.closed"})
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
_QUERY = (Path(__file__).resolve().parents[2] / "sql" / "open311_requests.sql").read_text(encoding="utf-8")


def _category_schema() -> dict[str, Any]:
    prop: dict[str, Any] = schema_for(TICKET_OPENED)["properties"]["category"]
    return prop


def _error(status: int, rule: str, message: str, field: str = "") -> ApiError:
    return ApiError(status, rule, message, [item(None, field, rule, message)], open311=True)


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
            raise _error(400, "utf8", "表单及其 %XX 转义须为 UTF-8 / the form body and its %XX escapes must be UTF-8", "body") from None
    raise _error(415, "media_type", "send application/x-www-form-urlencoded or application/json", "Content-Type")


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
    data = {k: v for k, v in data.items() if v is not None or k in ("grid_id", "project", "reporter_id")}
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
        "service_code": {"type": "string", "enum": category["enum"], "description": "工单类别 / ticket category"},
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
            "content": {"application/x-www-form-urlencoded": {"schema": schema}, "application/json": {"schema": schema}},
        }
    }


@router.post(
    "/requests.json", status_code=201, summary="受理工单 / create a service request", openapi_extra=_request_form()
)
async def create_request(request: Request) -> JSONResponse:
    """GeoReport v2 'POST Service Request'. Form or JSON fields: api_key (a publisher token
    covering lianxi.ticket.opened), service_code (category), description, address_id or
    attribute[community_id], optional attribute[street_id|grid_id|channel|project] and
    account_id (pseudonymous r-/m- id). Names, phones and e-mails are refused."""
    fields = await _fields(request, 64 * 1024)
    header = request.headers.get("authorization", "")
    secret = fields.get("api_key") or (header[7:].strip() if header.lower().startswith("bearer ") else None)
    try:
        token = authenticate(store_of(request), secret if isinstance(secret, str) else None)
    except ApiError as exc:
        exc.open311 = True
        raise
    if not token.allows(TICKET_OPENED):
        raise ApiError(
            403, "forbidden", "token does not cover lianxi.ticket.opened",
            [item(None, "api_key", "token_scope", f"this token covers only {', '.join(token.types)}")], open311=True,
        )
    personal = [
        item(None, name, "no_personal_data", f"{name} is personal data; use a pseudonymous account_id (r-… or m-…)")
        for name in PERSONAL_FIELDS
        if fields.get(name)
    ]
    if personal:
        raise ApiError(400, "no_personal_data", "personal data is not accepted", personal, open311=True)
    event = ticket_event(fields, token.source)
    violations = validate_event(event)
    if violations:
        raise ApiError(
            400, "invalid_request", "the request does not make a valid ticket",
            [item(None, FIELD_NAMES.get(v.field, v.field), v.rule, v.message) for v in violations], open311=True,
        )
    try:
        await request.app.state.gate.publish([event])
    except ApiError as exc:
        exc.open311 = True
        raise
    request.app.state.metrics.events.labels("accepted").inc()
    ticket_id = event["data"]["ticket_id"]
    notice = "已受理，办理进度可通过 GET requests/{id}.json 查询 / accepted; follow it with GET requests/{id}.json"
    return JSONResponse([{"service_request_id": ticket_id, "service_notice": notice, "account_id": None}], status_code=201)


class WarehouseReader:
    """Reads ticket status with clickhouse-connect; one client, rebuilt after a failure."""

    def __init__(self, settings: IngestSettings) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", settings.open311_raw_database):
            raise ValueError("LIANXI_OPEN311_RAW_DATABASE must be a plain identifier")
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        import clickhouse_connect

        s = self.settings
        return clickhouse_connect.get_client(
            host=s.warehouse_host,
            port=s.warehouse_http_port,
            username=s.warehouse_analyst_user,
            password=s.warehouse_analyst_password,
            connect_timeout=3,
            send_receive_timeout=15,
        )

    def tickets(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        sql = _QUERY.replace("{database}", self.settings.open311_raw_database)
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                result = self._client.query(sql, parameters=params)
            except Exception as exc:  # noqa: BLE001 - any failure to read means "unavailable"
                self._client = None
                raise ApiError(
                    503, "warehouse_unavailable", f"the warehouse cannot be read right now ({type(exc).__name__})",
                    headers={"Retry-After": "10"}, open311=True,
                ) from None
        return list(result.named_results())

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _status(row: dict[str, Any]) -> str:
    return "closed" if row["last_type"] in CLOSED_TYPES else "open"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat(timespec="seconds")
    return str(value)


def _as_open311(row: dict[str, Any]) -> dict[str, Any]:
    labels = _category_schema().get("x-enum-labels", {})
    return {
        "service_request_id": row["ticket_id"],
        "status": _status(row),
        "status_notes": row["resolution"],
        "service_name": labels.get(row["category"], row["category"]),
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["assignee_unit_id"],
        "service_notice": None,
        "requested_datetime": _iso(row["requested_at"]),
        "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": None,
        "address": None,
        "address_id": row["community_id"],
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


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
        raise _error(400, "format", f"{name} 须为 W3C/RFC3339 时间 / {name} must be a W3C/RFC3339 date-time", name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        in_range = EARLIEST <= parsed <= LATEST  # compares in UTC; can itself overflow near year 1 or 9999
    except OverflowError:
        in_range = False
    if not in_range:
        raise _error(
            400, "range", f"{name} 须在 1970-01-01 与 2200-01-01 (UTC) 之间 / {name} must lie between 1970-01-01 and 2200-01-01 UTC", name
        )
    return parsed


def _ch_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@router.get("/requests.json", summary="查询工单 / list service requests")
async def list_requests(
    request: Request,
    service_request_id: Annotated[str | None, Query(description="逗号分隔 / comma-separated ids")] = None,
    service_code: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query()] = None,
    end_date: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="open, closed or both (comma-separated)")] = None,
) -> list[dict[str, Any]]:
    """Without ids: tickets requested in [start_date, end_date), default the last 90 days,
    at most 1000 (GeoReport v2 defaults)."""
    from starlette.concurrency import run_in_threadpool

    ids = [i.strip() for i in (service_request_id or "").split(",") if i.strip()]
    end = _parse_date(end_date, "end_date") or datetime.now(UTC) + timedelta(days=1)
    start = _parse_date(start_date, "start_date") or (end - timedelta(days=90) if not ids else datetime(1970, 1, 1, tzinfo=UTC))
    wanted = {s.strip() for s in (status or "").split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise _error(400, "enum", "status must be open, closed or both", "status")
    if service_code and service_code not in _category_schema()["enum"]:
        raise _error(400, "enum", f"unknown service_code {service_code!r}; see services.json", "service_code")
    params = {"ids": ids, "service_code": service_code or "", "start": _ch_time(start), "end": _ch_time(end), "limit": 1000}
    rows = await run_in_threadpool(request.app.state.warehouse.tickets, params)
    return [_as_open311(r) for r in rows if not wanted or _status(r) in wanted]


@router.get("/requests/{service_request_id}.json", summary="查询单个工单 / one service request")
async def get_request(request: Request, service_request_id: str) -> list[dict[str, Any]]:
    from starlette.concurrency import run_in_threadpool

    params = {"ids": [service_request_id], "service_code": "", "start": "1970-01-01 00:00:00.000", "end": "2200-01-01 00:00:00.000", "limit": 1}
    rows = await run_in_threadpool(request.app.state.warehouse.tickets, params)
    if not rows:
        raise _error(404, "not_found", f"no service request {service_request_id!r} (yet) in the warehouse", "service_request_id")
    return [_as_open311(rows[0])]
