"""Load generator: exact size, deterministic, valid, consistent at any cut-off point."""

from __future__ import annotations

import time
from collections import Counter
from itertools import islice

import pytest

from ingest.contracts import publisher_event_types, validate_event
from ingest.simulator import generate_load
from ingest.simulator.consistency import problems
from ingest.simulator.publishing import paced

N = 30_000


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return list(generate_load(N, seed=5))


def test_exactly_n_events(events):
    assert len(events) == N
    assert list(generate_load(0, seed=5)) == []


def test_every_event_validates(events):
    assert [(e["id"], validate_event(e)) for e in events if validate_event(e)] == []


def test_same_seed_same_events_and_any_prefix_is_the_same_stream(events):
    assert list(generate_load(N, seed=5)) == events
    assert list(generate_load(1234, seed=5)) == events[:1234]


STRUCTURE = {"lianxi.org.street_registered", "lianxi.org.community_registered"}


def test_other_seeds_share_only_the_district_structure(events):
    """Two load runs add up downstream; both describe the same 9 streets and 81 communities."""
    other = list(generate_load(5000, seed=6))
    ids = {(e["source"], e["id"]) for e in events if e["type"] not in STRUCTURE}
    assert not ids & {(e["source"], e["id"]) for e in other if e["type"] not in STRUCTURE}
    structure = [e for e in events if e["type"] in STRUCTURE]
    assert len(structure) == 90
    assert structure == [e for e in other if e["type"] in STRUCTURE]
    assert max(Counter((e["source"], e["id"]) for e in events).values()) == 1


def test_time_ordered_and_consistent(events):
    times = [e["time"] for e in events]
    assert times == sorted(times)
    assert problems(events) == []


def test_consistent_when_cut_anywhere():
    stream = generate_load(20_000, seed=9)
    assert problems(islice(stream, 7_777)) == []


def test_covers_every_event_type_at_scale():
    # Every type a publishing system sends; the platform's own (alert, quality) it never does.
    seen = {e["type"] for e in generate_load(60_000, seed=2)}
    assert seen == set(publisher_event_types())


def test_checker_catches_a_broken_lifecycle(events):
    opened = next(e for e in events if e["type"] == "lianxi.ticket.opened")
    premature = {
        **opened,
        "id": "x",
        "type": "lianxi.ticket.resolved",
        "data": {"ticket_id": opened["subject"], "resolution": "done"},
    }
    assert problems([premature]) == [
        "lianxi.ticket.resolved x: None -> resolved is not a lifecycle step"
    ]
    claim = next(e for e in events if e["type"] == "lianxi.wish.claimed")
    assert any("member not registered" in p for p in problems([claim]))


def test_negative_size_is_refused():
    with pytest.raises(ValueError, match="n_events"):
        list(generate_load(-1))


def test_pacing_never_runs_ahead_of_the_rate():
    began = time.monotonic()
    handed = list(paced(range(600), rate=2000))
    assert handed == list(range(600))
    # The 600th item leaves 599/2000 s after the first at the earliest, less the 5 ms the pacer
    # lets itself run ahead rather than sleep for every event.
    assert time.monotonic() - began >= 599 / 2000 - 0.005
