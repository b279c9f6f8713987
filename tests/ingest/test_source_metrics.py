"""The API's /metrics counts every event per publishing source, event type, outcome and rule
(issue #17), on the real app against a private broker; an unknown type never becomes a label."""

from __future__ import annotations

import re

import pytest
from ingest_events import HOTLINE, tickets
from support.ingest_api import RunningApi

TICKET_SCOPE = ["lianxi.ticket.*"]
OTHER = "/systems/grid-app"


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


def _counter(text: str, **labels: str) -> float:
    """The value of lianxi_ingest_source_events_total with exactly these labels (0 if absent)."""
    for line in text.splitlines():
        if not line.startswith("lianxi_ingest_source_events_total{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_events_are_counted_per_source_type_outcome_and_rule(api: RunningApi) -> None:
    hotline, grid = api.token(HOTLINE, TICKET_SCOPE), api.token(OTHER, TICKET_SCOPE)
    with api.client(hotline) as client:
        assert client.post("/v1/events", json=tickets(3)).status_code == 202
        bad = tickets(2)
        bad[0]["data"]["channel"] = "fax"  # enum
        assert client.post("/v1/events", json=bad).status_code == 422
        alien = tickets(1)
        alien[0]["type"] = "lianxi.ticket.invented_" + "x" * 40
        assert client.post("/v1/events", json=alien).status_code in (403, 422)
    with api.client(grid) as client:
        assert client.post("/v1/events", json=tickets(1, source=OTHER)).status_code == 202
        stolen = tickets(1)  # claims the hotline's source
        assert client.post("/v1/events", json=stolen).status_code == 403
        text = client.get("/metrics").text
    opened = "lianxi.ticket.opened"
    assert _counter(text, source=HOTLINE, type=opened, outcome="accepted", rule="") == 3
    assert _counter(text, source=HOTLINE, type=opened, outcome="rejected", rule="enum") == 1
    # All or nothing: the valid event of the refused request is counted as rejected too.
    assert _counter(text, source=HOTLINE, type=opened, outcome="rejected", rule="request") == 1
    assert _counter(text, source=OTHER, type=opened, outcome="accepted", rule="") == 1
    assert _counter(text, source=OTHER, type=opened, outcome="rejected", rule="token_source") == 1
    # A type outside the catalogue is counted, but never becomes a label of its own.
    assert "invented_" not in text
    assert (
        sum(
            _counter(text, source=HOTLINE, type="unknown", outcome="rejected", rule=r)
            for r in ("token_type", "known_type", "type", "enum", "request")
        )
        >= 1
    )


def test_a_type_of_any_json_shape_is_counted_not_a_crash(api: RunningApi) -> None:
    """Found by the schema fuzzer: a list in "type" must be a 422, counted as unknown."""
    with api.client(api.token(HOTLINE, ["lianxi.*"])) as client:
        odd = tickets(1)
        odd[0]["type"] = ["lianxi.ticket.opened"]
        r = client.post("/v1/events", json=odd)
        assert r.status_code in (403, 422), r.text
        assert 'type="unknown"' in client.get("/metrics").text
