"""`lianxi alerts demo` (run by make demo): its tickets are catalogue events whose response
deadline, by the versioned seed's rule, passes `lead` seconds after the moment given — on any
day, including a Shanghai midnight and a rule that changed."""

from datetime import UTC, datetime, timedelta

import pytest

from alerts import demo
from ingest import contracts


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 5, 3, 0, tzinfo=UTC),
        datetime(2027, 6, 30, 15, 59, 50, tzinfo=UTC),  # 23:59:50 in Shanghai
    ],
)
def test_demo_tickets_pass_their_deadline_after_the_lead(now: datetime) -> None:
    events = demo.demo_tickets(now, lead=30)
    assert [e["data"]["community_id"] for e in events] == list(demo.COMMUNITIES)
    hours = demo.response_hours(demo.CATEGORY, "hotline", (now + timedelta(hours=8)).date())
    for event in events:
        assert contracts.validate_event(event) == []
        opened = datetime.fromisoformat(event["time"])
        assert opened < now  # never in the future
        assert opened + timedelta(hours=hours) == now + timedelta(seconds=30)
    assert len({e["id"] for e in events}) == len(events)


def test_the_seed_rule_is_the_most_specific_then_latest() -> None:
    # public_safety has its own row (2 h in version 1); an unknown category falls back to `*`.
    assert demo.response_hours("public_safety", "hotline", datetime(2026, 1, 1).date()) == 2.0
    assert demo.response_hours("other", "hotline", datetime(2026, 1, 1).date()) == 24.0
