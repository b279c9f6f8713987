"""The seed scenario: its figures, recomputed from the events alone, equal seed.yaml and the article."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.contracts import aggregate_field, validate_event
from ingest.simulator import (
    expected_counts,
    expected_figures,
    expected_indicators,
    seed_events,
)
from ingest.simulator.config import SEED_FILE
from ingest.simulator.consistency import problems
from ingest.simulator.figures import FIGURE_PATHS, lookup, seed_year_window

REPO_ROOT = Path(__file__).resolve().parents[2]
# The article's figures, carried by the repository (a copy of the steering repo's seed/figures.yaml).
ARTICLE_FIGURES = REPO_ROOT / "ingest" / "simulator" / "article_figures.yaml"
OTHER_SEED = 7


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return seed_events()


@pytest.fixture(scope="module")
def other_events() -> list[dict[str, Any]]:
    return seed_events(OTHER_SEED)


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e["data"] for e in events if e["type"] == f"lianxi.{name}"]


def headline(events: list[dict[str, Any]]) -> dict[str, int]:
    """The headline indicators as the catalogue defines them, from nothing but the events."""
    latest_link: dict[str, dict[str, Any] | None] = {}
    ticket_state: dict[str, str] = {}
    for e in events:
        t, d = e["type"], e["data"]
        if t == "lianxi.org.unit_linked":
            latest_link[d["unit_id"]] = d
        elif t == "lianxi.org.unit_unlinked":
            latest_link[d["unit_id"]] = None
        elif t in ("lianxi.ticket.resolved", "lianxi.ticket.reopened"):
            ticket_state[d["ticket_id"]] = t
    linked = [d for d in latest_link.values() if d is not None]
    registered = of_type(events, "member.registered")
    park = {
        d["ticket_id"]
        for d in of_type(events, "ticket.opened")
        if d["project"] == "industrial_park"
    }
    return {
        "streets": len({d["street_id"] for d in of_type(events, "org.street_registered")}),
        "communities": len(
            {d["community_id"] for d in of_type(events, "org.community_registered")}
        ),
        "units_linked": len(linked),
        "party_members_linked": sum(d["party_members"] for d in linked),
        "building_party_groups": len(
            {d["group_id"] for d in of_type(events, "org.building_group_formed")}
        ),
        "in_service_members_registered": len(
            {d["member_id"] for d in registered if d["in_service"] and d["project"] is None}
        ),
        "micro_wishes_claimed": len({d["wish_id"] for d in of_type(events, "wish.claimed")}),
        "volunteer_posts_claimed": len(
            {(d["post_id"], d["member_id"]) for d in of_type(events, "volunteer.post_claimed")}
        ),
        "builders_home_members": len(
            {d["member_id"] for d in registered if d["project"] == "builders_home"}
        ),
        "industrial_park_problems_solved": sum(
            1 for t in park if ticket_state.get(t) == "lianxi.ticket.resolved"
        ),
    }


def test_figures_recomputed_from_events_equal_seed_yaml(events):
    assert headline(events) == expected_figures()


def test_figures_hold_for_another_seed(other_events):
    assert headline(other_events) == expected_figures()


def test_seed_yaml_agrees_with_the_article_figures():
    assert ARTICLE_FIGURES.is_file(), (
        f"the article's figures are missing: expected {ARTICLE_FIGURES} "
        "(ingest/simulator/article_figures.yaml)"
    )
    article = yaml.safe_load(ARTICLE_FIGURES.read_text(encoding="utf-8"))
    chosen = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))["figures"]
    for path in FIGURE_PATHS.values():
        ours, rule = lookup(chosen, path), lookup(article, path)
        if isinstance(rule, dict):
            assert ours >= rule["min"], (
                f"{path}: seed.yaml has {ours}, the article says more than {rule['min']}"
            )
        else:
            assert ours == rule, f"{path}: seed.yaml has {ours}, the article says exactly {rule}"


def test_every_numeric_article_figure_is_chosen_in_seed_yaml():
    article = yaml.safe_load(ARTICLE_FIGURES.read_text(encoding="utf-8"))
    wanted = set()

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and set(node) == {"min"}:
            wanted.add(path)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, int) and not isinstance(node, bool):
            wanted.add(path)

    for section in ("structure", "dual_registration", "projects"):
        walk(article[section], section)
    assert wanted == set(FIGURE_PATHS.values())


def test_every_event_validates_against_the_contracts(events):
    broken = [(e["type"], e["id"], validate_event(e)) for e in events if validate_event(e)]
    assert broken == []


def test_ids_are_unique_per_source_and_subject_is_the_aggregate(events):
    keys = Counter((e["source"], e["id"]) for e in events)
    assert max(keys.values()) == 1
    assert {e["source"] for e in events} == {"/simulator/seed"}
    assert all(e["subject"] == e["data"][aggregate_field(e["type"])] for e in events)


def test_expected_counts_match_the_events(events):
    assert expected_counts() == dict(Counter(e["type"] for e in events))
    assert 90_000 <= len(events) <= 150_000


def test_same_seed_same_events_other_seed_other_year(events, other_events):
    assert seed_events() == events
    assert other_events != events


def test_events_are_in_time_order_within_the_year(events):
    times = [e["time"] for e in events]
    assert times == sorted(times)
    first, after = (moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in seed_year_window())
    assert times[0] >= first and times[-1] < after
    assert all(t.endswith("Z") and len(t) == 20 for t in times)


def test_the_seed_year_has_ended_before_the_platform_reports_it(events):
    """The seed year lies in the past of the run: no seed event is stamped after the moment it is
    published (relative to the run's clock; true on any day once the seed year has ended)."""
    now = datetime.now(UTC)
    assert seed_year_window()[1] <= now
    assert max(e["time"] for e in events) < now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_wish_lifecycles(events):
    seen: dict[str, list[str]] = defaultdict(list)
    for e in events:
        if e["type"].startswith("lianxi.wish."):
            seen[e["subject"]].append(e["type"].rsplit(".", 1)[1])
    allowed = {
        ("posted",),
        ("posted", "cancelled"),
        ("posted", "claimed"),
        ("posted", "claimed", "fulfilled"),
        ("posted", "claimed", "cancelled"),
    }
    shapes = Counter(tuple(v) for v in seen.values())
    assert set(shapes) <= allowed
    assert all(shapes[s] > 0 for s in allowed), "every wish fate occurs"
    assert len(seen) > expected_figures()["micro_wishes_claimed"]
    claimer = {d["wish_id"]: d["member_id"] for d in of_type(events, "wish.claimed")}
    assert all(claimer[d["wish_id"]] == d["member_id"] for d in of_type(events, "wish.fulfilled"))


def test_lifecycles_and_references_are_consistent(events):
    assert problems(events) == []


def test_tickets_end_the_year_in_every_state_through_every_channel(events):
    state: dict[str, str] = {}
    for e in events:
        if e["type"].startswith("lianxi.ticket."):
            state[e["subject"]] = e["type"].rsplit(".", 1)[1]
    finals = Counter(state.values())
    assert (
        finals["closed"] > 0
        and finals["reopened"] > 0
        and finals["responded"] > 0
        and finals["rated"] > 0
    )
    channels = Counter(d["channel"] for d in of_type(events, "ticket.opened"))
    assert set(channels) == {
        "hotline",
        "grid_manager",
        "one_key_call",
        "enterprise",
        "joint_meeting",
        "walk_in",
    }


def test_secondary_indicators_follow_the_scenario_shape(events):
    shape = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))["scenario"]
    got = expected_indicators()
    assert got["wishes_posted"] == shape["wishes"]["posted"]
    assert got["wishes_fulfilled"] == shape["wishes"]["fulfilled"]
    assert (
        got["wishes_cancelled"]
        == shape["wishes"]["cancelled_after_claim"] + shape["wishes"]["cancelled_unclaimed"]
    )
    assert got["resource_matches"] == shape["resources"]["matches"]
    assert got["street_meetings_held"] == 36 - shape["meetings"]["missed_street"]
    assert got["community_meetings_held"] == 972 - shape["meetings"]["missed_community"]
    late = shape["meetings"]["late_street"] + shape["meetings"]["late_community"]
    assert got["meetings_held_late"] == late
    assert got["members_registered"] == (
        expected_figures()["in_service_members_registered"]
        + expected_figures()["builders_home_members"]
        + shape["members"]["not_in_service"]
    )
    assert got["volunteer_hours"] == round(
        sum(d["hours"] for d in of_type(events, "volunteer.hours_logged")), 1
    )


def test_industrial_park_tickets_are_not_all_solved(events):
    park = [
        d["ticket_id"]
        for d in of_type(events, "ticket.opened")
        if d["project"] == "industrial_park"
    ]
    assert len(park) > expected_figures()["industrial_park_problems_solved"]


def test_meetings_scheduled_then_held_with_a_few_missed_and_late(events):
    scheduled = {d["meeting_id"]: d for d in of_type(events, "meeting.scheduled")}
    held = {d["meeting_id"]: d for d in of_type(events, "meeting.held")}
    assert len(scheduled) == 9 * 4 + 81 * 12
    assert set(held) < set(scheduled)
    late = [m for m, d in held.items() if d["held_at"] > scheduled[m]["scheduled_for"]]
    assert 0 < len(late) < 30 and 0 < len(scheduled) - len(held) < 30
    assert all(d["chair_role"] == f"{d['level']}_secretary" for d in held.values())
    order = {e["id"]: i for i, e in enumerate(events)}
    first_held = {
        e["subject"]: order[e["id"]] for e in events if e["type"] == "lianxi.meeting.held"
    }
    for e in events:
        if e["type"] == "lianxi.meeting.resolution_recorded":
            assert order[e["id"]] > first_held[e["subject"]]
