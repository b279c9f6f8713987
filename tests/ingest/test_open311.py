"""Open311 GeoReport v2: services, POST → lianxi.ticket.opened in Kafka, GET from the warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ingest_events import HOTLINE, insert_rows, raw_ticket_rows
from support.ingest_api import RunningApi
from support.kafka import read_events
from support.warehouse import PrivateWarehouse

from ingest.config import IngestSettings
from ingest.contracts import schema_for


def test_services_are_the_ticket_categories(api: RunningApi) -> None:
    with api.client() as client:
        services = client.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services] == schema_for("lianxi.ticket.opened")[
        "properties"
    ]["category"]["enum"]
    assert services[0] == {
        "service_code": "road_traffic",
        "service_name": "道路交通",
        "description": "道路交通 / road traffic",
        "metadata": False,
        "type": "realtime",
        "keywords": "road,traffic",
        "group": "接诉即办",
    }


def test_post_form_becomes_a_ticket_opened_event(api: RunningApi) -> None:
    token = api.token(HOTLINE, ["lianxi.ticket.*"])
    form = {
        "api_key": token,
        "service_code": "environment",
        "description": "垃圾未清运",
        "address_id": "c-03-02",
        "account_id": "r-000777",
        "attribute[grid_id]": "gr-03-02-01",
        "lat": "34.33",
        "long": "108.70",
    }
    with api.client() as client:
        r = client.post("/open311/v2/requests.json", data=form)
        r_json = client.post(
            "/open311/v2/requests.json",
            json={
                "service_code": "enterprise_service",
                "description": "用电增容",
                "attribute": {
                    "community_id": "c-05-01",
                    "channel": "enterprise",
                    "project": "industrial_park",
                },
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 201, r.text
    assert r_json.status_code == 201, r_json.text
    ticket_id = r.json()[0]["service_request_id"]
    stored = read_events(
        api.settings.kafka_bootstrap, f"{api.settings.kafka_topic_prefix}lianxi.ticket"
    )
    by_ticket = {e["subject"]: e for e in stored}
    ev = by_ticket[ticket_id]
    assert ev["type"] == "lianxi.ticket.opened" and ev["source"] == HOTLINE
    assert ev["data"] == {
        "ticket_id": ticket_id,
        "channel": "hotline",
        "category": "environment",
        "community_id": "c-03-02",
        "grid_id": "gr-03-02-01",
        "project": None,
        "reporter_id": "r-000777",
        "description": "垃圾未清运",
    }
    park = by_ticket[r_json.json()[0]["service_request_id"]]["data"]
    assert (park["channel"], park["project"], park["community_id"]) == (
        "enterprise",
        "industrial_park",
        "c-05-01",
    )


def test_post_rejections_explain_themselves(api: RunningApi) -> None:
    token = api.token(HOTLINE, ["lianxi.ticket.*"])
    wish_only = api.token(HOTLINE, ["lianxi.wish.*"])
    base = {
        "api_key": token,
        "service_code": "property",
        "description": "电梯故障",
        "address_id": "c-01-01",
    }
    with api.client() as client:
        cases = {
            "no_key": client.post("/open311/v2/requests.json", data={**base, "api_key": ""}),
            "scope": client.post("/open311/v2/requests.json", data={**base, "api_key": wish_only}),
            "phone": client.post(
                "/open311/v2/requests.json",
                data={**base, "phone": "13800000000", "first_name": "张"},
            ),
            "code": client.post(
                "/open311/v2/requests.json", data={**base, "service_code": "potholes"}
            ),
            "where": client.post(
                "/open311/v2/requests.json",
                data={k: v for k, v in base.items() if k != "address_id"},
            ),
            "xml": client.post(
                "/open311/v2/requests.json", content=b"<x/>", headers={"content-type": "text/xml"}
            ),
        }
    expect = {
        "no_key": (401, {("Authorization", "bearer_required")}),
        "scope": (403, {("api_key", "token_scope")}),
        "phone": (400, {("phone", "no_personal_data"), ("first_name", "no_personal_data")}),
        "code": (400, {("service_code", "enum")}),
        "where": (400, {("address_id", "required")}),
        "xml": (415, {("Content-Type", "media_type")}),
    }
    for name, (status, reasons) in expect.items():
        r = cases[name]
        assert r.status_code == status, (name, r.text)
        body = r.json()
        assert {(e["field"], e["rule"]) for e in body} == reasons, (name, body)
        assert all(e["code"] == status and e["description"] for e in body)


def test_get_answers_503_when_the_warehouse_is_unreachable(
    tmp_path: Path,
    ingest_settings: IngestSettings,
    start_api: Callable[[IngestSettings], RunningApi],
    free_port: Callable[[], int],
) -> None:
    settings = ingest_settings.model_copy(update={"warehouse_http_port": free_port()})
    api = start_api(settings)
    with api.client(api.token(HOTLINE, ["lianxi.ticket.*"])) as client:
        r = client.get("/open311/v2/requests.json")
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()[0]["rule"] == "warehouse_unavailable"


@pytest.fixture
def ticket_db(open311_warehouse: PrivateWarehouse) -> Iterator[str]:
    # The API reads as the analyst, who may read the platform's databases only: the test uses
    # the private server's own raw.ticket_events, emptied before and after.
    client = open311_warehouse.client()
    client.command("TRUNCATE TABLE raw.ticket_events")
    try:
        yield "raw"
    finally:
        client.command("TRUNCATE TABLE raw.ticket_events")
        client.close()


def test_get_reads_status_from_the_warehouse(
    warehouse_api: Callable[..., RunningApi],
    open311_warehouse: PrivateWarehouse,
    ticket_db: str,
) -> None:
    opened = {"channel": "hotline", "category": "road_traffic", "description": "路灯不亮"}
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    rows = raw_ticket_rows(
        "t-a",
        [
            ("opened", opened),
            ("assigned", {"assignee_unit_id": "u-9"}),
            ("resolved", {"resolution": "已修复"}),
        ],
        start,
    )
    rows += raw_ticket_rows(
        "t-b", [("opened", {**opened, "category": "property"}), ("responded", {})], start
    )
    rows += raw_ticket_rows(
        "t-c",
        [("opened", opened), ("resolved", {"resolution": "x"}), ("reopened", {"reason": "复发"})],
        start,
    )
    rows += raw_ticket_rows("t-old", [("opened", opened)], start - timedelta(days=200))
    rows += rows[:2]  # a re-delivered copy must not change anything
    client = open311_warehouse.client()
    insert_rows(client, f"{ticket_db}.ticket_events", rows)
    client.close()

    api = warehouse_api(open311_raw_database=ticket_db)
    # Reading needs a token unless public read is on (test_open311_read_policy.py).
    with api.client(api.token(HOTLINE, ["lianxi.ticket.*"])) as client:
        listed = client.get("/open311/v2/requests.json").json()
        one = client.get("/open311/v2/requests/t-a.json").json()
        closed = client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
        props = client.get("/open311/v2/requests.json", params={"service_code": "property"}).json()
        by_id = client.get(
            "/open311/v2/requests.json", params={"service_request_id": "t-old,t-b"}
        ).json()
        missing = client.get("/open311/v2/requests/t-nope.json")
        bad = client.get("/open311/v2/requests.json", params={"status": "pending"})
    assert sorted(r["service_request_id"] for r in listed) == ["t-a", "t-b", "t-c"]
    a = one[0]
    assert (
        a["status"],
        a["service_code"],
        a["service_name"],
        a["agency_responsible"],
        a["status_notes"],
    ) == ("closed", "road_traffic", "道路交通", "u-9", "已修复")
    assert a["requested_datetime"] == start.isoformat() and a["address_id"] == "c-01-01"
    assert a["updated_datetime"] == (start + timedelta(hours=2)).isoformat()
    assert [r["service_request_id"] for r in closed] == ["t-a"]
    assert [r["service_request_id"] for r in props] == ["t-b"]
    assert sorted(r["service_request_id"] for r in by_id) == ["t-b", "t-old"]
    assert missing.status_code == 404 and missing.json()[0]["rule"] == "not_found"
    assert bad.status_code == 400 and bad.json()[0]["field"] == "status"
