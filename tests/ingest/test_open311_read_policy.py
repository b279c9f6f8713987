"""Open311 GET read policy (issue #16): no anonymous listing unless the deployment opens public
read, and then only public fields; tokens see full records within their street/community
scope; status follows dbt's fct_tickets, with the raw events as the fallback.

Real app (uvicorn) on a private broker, a real warehouse (the stack's or a private one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from ingest_events import HOTLINE, insert_rows, raw_ticket_rows
from support.ingest_api import RunningApi
from support.warehouse import PrivateWarehouse

# What only a token may see: the resident's words, the handling unit, the resolution, ids.
PRIVATE = (
    "张三家门口",
    "u-9",
    "u-7",
    "已修复",
    "r-000777",
    "c-01-01",
    "c-01-02",
    "c-02-01",
)


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


def _rows(
    ticket: str,
    street: str,
    community: str,
    lifecycle: list[tuple[str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    return raw_ticket_rows(ticket, lifecycle, start, street, community)


@pytest.fixture
def tickets(open311_warehouse: PrivateWarehouse) -> Iterator[tuple[str, str]]:
    """(raw database, marts database) holding three tickets on two streets; the mart has two."""
    raw, marts = "raw", "marts"
    opened = {
        "channel": "hotline",
        "category": "road_traffic",
        "description": "路灯不亮，张三家门口",
        "reporter_id": "r-000777",
    }
    rows = _rows(
        "t-s1a",
        "s-01",
        "c-01-01",
        [
            ("opened", opened),
            ("assigned", {"assignee_unit_id": "u-9"}),
            ("resolved", {"resolution": "已修复"}),
        ],
    )
    # resolved, reopened, then rated: still open (the raw last event, rated, used to say closed)
    rows += _rows(
        "t-s1b",
        "s-01",
        "c-01-02",
        [
            ("opened", opened),
            ("resolved", {"resolution": "已修复"}),
            ("reopened", {"reason": "又坏了"}),
            ("rated", {"satisfaction": "dissatisfied"}),
        ],
    )
    rows += _rows(
        "t-s2a",
        "s-02",
        "c-02-01",
        [("opened", opened), ("assigned", {"assignee_unit_id": "u-7"})],
    )
    client = open311_warehouse.client()
    # The API reads as the analyst, who may read the platform's databases only: the private
    # server's own raw.ticket_events and marts.fct_tickets, emptied before and after.
    client.command("TRUNCATE TABLE raw.ticket_events")
    client.command("DROP TABLE IF EXISTS marts.fct_tickets")
    insert_rows(client, f"{raw}.ticket_events", rows)
    client.command(
        f"CREATE TABLE {marts}.fct_tickets (ticket_id String, status String, street_name Nullable(String), "
        "community_name Nullable(String), refreshed_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY ticket_id"
    )
    # t-s2a is not in the mart yet (dbt refreshes behind the raw events).
    client.command(
        f"INSERT INTO {marts}.fct_tickets VALUES ('t-s1a', 'resolved', '东关街道', '东一社区', now64(3)), "
        "('t-s1b', 'reopened', '东关街道', '东二社区', now64(3))"
    )
    try:
        yield raw, marts
    finally:
        client.command("TRUNCATE TABLE raw.ticket_events")
        client.command("DROP TABLE IF EXISTS marts.fct_tickets")
        client.close()


@pytest.fixture
def read_api(
    warehouse_api: Callable[..., RunningApi], tickets: tuple[str, str]
) -> Callable[..., RunningApi]:
    """Starts the API reading the tickets' databases (with the test's setting overrides)."""
    raw, marts = tickets
    return partial(warehouse_api, open311_raw_database=raw, open311_marts_database=marts)


def _token(api: RunningApi, types: list[str], areas: list[str] | None = None) -> str:
    from ingest.tokens import TokenStore

    store = TokenStore(api.settings.tokens_path)
    try:
        return store.create(HOTLINE, types, areas=areas)[0]
    finally:
        store.close()


def _ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return sorted(t["service_request_id"] for t in r.json())


def test_no_anonymous_read_by_default(read_api: Callable[..., RunningApi]) -> None:
    api = read_api()
    assert api.settings.open311_public_read is False
    with api.client() as client:
        listed = client.get("/open311/v2/requests.json")
        one = client.get("/open311/v2/requests/t-s1a.json")
        services = client.get("/open311/v2/services.json")
    for r in (listed, one):
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), r.text
        body = r.json()
        assert [(e["code"], e["field"], e["rule"]) for e in body] == [
            (401, "api_key", "token_required")
        ]
        assert "令牌" in body[0]["description"]
        assert not any(p in r.text for p in PRIVATE)
    assert services.status_code == 200  # the category list stays public


def test_public_read_shows_only_public_fields(
    read_api: Callable[..., RunningApi],
) -> None:
    api = read_api(open311_public_read=True)
    with api.client() as client:
        listed = client.get("/open311/v2/requests.json")
        one = client.get("/open311/v2/requests/t-s1a.json")
        wrong = client.get("/open311/v2/requests.json", params={"api_key": "lx_wrong"})
    assert _ids(listed) == ["t-s1a", "t-s1b", "t-s2a"]
    for r in (listed, one):
        assert not any(p in r.text for p in PRIVATE), r.text
    by_id = {t["service_request_id"]: t for t in listed.json()}
    a = by_id["t-s1a"]
    assert (a["service_code"], a["service_name"], a["status"], a["address"]) == (
        "road_traffic",
        "道路交通",
        "closed",
        "东关街道 东一社区",
    )
    assert a["requested_datetime"] and a["updated_datetime"]
    assert all(
        a[k] is None for k in ("description", "status_notes", "agency_responsible", "address_id")
    )
    assert one.json() == [a]
    # A wrong token is refused, not quietly served the public view.
    assert wrong.status_code == 401 and wrong.json()[0]["rule"] == "token_unknown"


def test_tokens_see_full_records_only_within_their_area(
    read_api: Callable[..., RunningApi],
) -> None:
    api = read_api(open311_public_read=True)
    street_1 = _token(api, ["lianxi.ticket.*"], ["s-01"])
    community_2 = _token(api, ["lianxi.ticket.opened"], ["c-02-01"])
    district = _token(api, ["lianxi.ticket.*"])
    wishes = _token(api, ["lianxi.wish.*"])
    with api.client() as client:
        s1 = client.get("/open311/v2/requests.json", params={"api_key": street_1})
        s1_asks_s2 = client.get(
            "/open311/v2/requests.json",
            params={"api_key": street_1, "service_request_id": "t-s2a"},
        )
        s1_one_s2 = client.get("/open311/v2/requests/t-s2a.json", params={"api_key": street_1})
        s1_one_s1 = client.get(
            "/open311/v2/requests/t-s1a.json",
            headers={"Authorization": f"Bearer {street_1}"},
        )
        c2 = client.get(
            "/open311/v2/requests.json",
            headers={"Authorization": f"Bearer {community_2}"},
        )
        everyone = client.get("/open311/v2/requests.json", params={"api_key": district})
        wish = client.get("/open311/v2/requests.json", params={"api_key": wishes})
    assert _ids(s1) == ["t-s1a", "t-s1b"]
    assert _ids(s1_asks_s2) == []
    assert s1_one_s2.status_code == 404 and s1_one_s2.json()[0]["rule"] == "not_found"
    assert "u-7" not in s1.text + s1_one_s2.text
    full = s1_one_s1.json()[0]
    assert (
        full["description"],
        full["agency_responsible"],
        full["status_notes"],
        full["address_id"],
    ) == ("路灯不亮，张三家门口", "u-9", "已修复", "c-01-01")
    assert _ids(c2) == ["t-s2a"] and c2.json()[0]["agency_responsible"] == "u-7"
    assert _ids(everyone) == ["t-s1a", "t-s1b", "t-s2a"]
    assert wish.status_code == 403 and wish.json()[0]["rule"] == "token_scope"


def test_status_follows_the_dbt_mart_and_falls_back_to_raw(
    read_api: Callable[..., RunningApi],
) -> None:
    with_mart = read_api()
    token = _token(with_mart, ["lianxi.ticket.*"])
    with with_mart.client() as client:
        r = client.get("/open311/v2/requests.json", params={"api_key": token})
        closed = client.get(
            "/open311/v2/requests.json", params={"api_key": token, "status": "closed"}
        )
    status = {t["service_request_id"]: t["status"] for t in r.json()}
    assert status == {"t-s1a": "closed", "t-s1b": "open", "t-s2a": "open"}
    assert _ids(closed) == ["t-s1a"]
    assert r.headers["x-lianxi-status-source"] == "fct_tickets+raw"  # t-s2a is not in the mart yet

    no_mart = read_api(open311_marts_database="no_such_marts")
    token = _token(no_mart, ["lianxi.ticket.*"])
    with no_mart.client() as client:
        r = client.get("/open311/v2/requests.json", params={"api_key": token})
    assert r.headers["x-lianxi-status-source"] == "raw"
    # Same lifecycle rule on the raw events: reopened after resolved stays open though rated last.
    assert {t["service_request_id"]: t["status"] for t in r.json()} == {
        "t-s1a": "closed",
        "t-s1b": "open",
        "t-s2a": "open",
    }
    assert all(t["address"] is None for t in r.json())  # area names live in the mart
