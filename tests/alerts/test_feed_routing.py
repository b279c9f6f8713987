"""Who hears of a publishing system's problem (recipients.yaml `feeds`), and what they read:
the owner of that system only, never a secretary; a system nobody registered goes to the
platform team; the shipped file routes every seeded system to its contact."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.config import REPO_ROOT
from alerts.ids import alert_id, feed_alert_id
from alerts.messages import render
from alerts.model import Alert
from alerts.routing import Routing, RoutingError

FEED = {
    "issue_id": "silent-0123456789abcdef0123456789abcdef",
    "source": "/systems/hotline-12345",
    "source_zh": "12345热线",
    "kind_zh": "数据源静默",
    "detail_text": "已 60 分钟未送数（约定每 15 分钟）",
    "opened_text": "2026-12-05 10:00",
    "owner_name": "区12345热线中心",
    "owner_contact": "hotline-ops@qindu.local",
}


def _routing(tmp_path: Path, text: str) -> Routing:
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    return Routing.load(path)


def _addresses(routing: Routing, feed: dict[str, str]) -> list[tuple[str, str]]:
    return [(r.id, t.address) for r in routing.recipients("owner", "", "", feed) for t in r.targets]


def test_feed_owner_from_the_seed_contact_override_and_unregistered(tmp_path: Path) -> None:
    routing = _routing(
        tmp_path,
        "defaults: {id: 'secretary-{unit}', email: '{unit}@x.local'}\n"
        "feeds:\n"
        "  owners:\n"
        "    /systems/grid:\n"
        "      - {id: grid-duty, email: duty@grid.local}\n"
        "  defaults: {id: 'owner-{source}', email: '{owner_contact}'}\n"
        "  unregistered: [{id: platform-team, email: platform@x.local}]\n",
    )
    assert _addresses(routing, FEED) == [("owner-systems-hotline-12345", "hotline-ops@qindu.local")]
    grid = FEED | {"source": "/systems/grid", "owner_contact": "grid-ops@qindu.local"}
    assert _addresses(routing, grid) == [("grid-duty", "duty@grid.local")]
    nobody = FEED | {"source": "/systems/new", "owner_contact": ""}
    assert _addresses(routing, nobody) == [("platform-team", "platform@x.local")]
    # a feed alert never reaches a unit's secretary, whatever the unit defaults say
    assert all("x.local" not in a or a == "platform@x.local" for _, a in _addresses(routing, FEED))


def test_without_a_feeds_section_nobody_is_told(tmp_path: Path) -> None:
    routing = _routing(tmp_path, "defaults: {id: 'secretary-{unit}', email: '{unit}@x.local'}\n")
    assert routing.recipients("owner", "", "", FEED) == ()


def test_a_bad_feeds_entry_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="feeds.owners./systems/grid"):
        _routing(tmp_path, "feeds:\n  owners:\n    /systems/grid: [{id: 'a b', email: x@y}]\n")


def test_the_shipped_file_reaches_every_seeded_system() -> None:
    routing = Routing.load(REPO_ROOT / "alerts" / "recipients.yaml")
    seed = REPO_ROOT / "dbt_project" / "seeds" / "source_cadences.csv"
    with seed.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        feed = FEED | {"source": row["source"], "owner_contact": row["owner_contact"]}
        assert [a for _, a in _addresses(routing, feed)] == [row["owner_contact"]]


def test_the_message_names_the_system_the_problem_and_the_issue() -> None:
    due = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    aid = alert_id("feed_silent", FEED["issue_id"], "owner", 1)
    alert = Alert(aid, "feed_silent", "owner", "", "", FEED["issue_id"], due, 1, feed=FEED)
    message = render(alert, "owner-systems-hotline-12345", due, "http://127.0.0.1:8000", "k" * 32)
    assert message.subject == "【联席预警】数据源静默：12345热线"
    for part in (FEED["detail_text"], FEED["owner_name"], FEED["issue_id"], "数据源负责人"):
        assert part in message.text and part in message.markdown
    assert "上级督办" not in message.text  # an owner's alert does not escalate


def test_a_feed_alert_id_names_the_issue_not_the_seed_version() -> None:
    first = feed_alert_id("feed_silent", FEED["issue_id"])
    assert first == feed_alert_id("feed_silent", FEED["issue_id"])
    assert first != feed_alert_id("feed_silent", FEED["issue_id"].replace("0123", "4567"))
    assert first != feed_alert_id("feed_new_error_code", FEED["issue_id"])
