"""Acknowledging a feed alert through the real API: it belongs to no unit, so a token limited
to areas is refused (403 token_area) whatever its areas; its signed link, or a district-wide
token, acknowledges it once; the link's page names the publishing system."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts import events
from alerts.ids import feed_alert_id
from alerts.messages import ack_url
from alerts.model import Alert
from tests.alerts.conftest import ACK_SECRET
from tests.alerts.harness import count_types, wait_types
from tests.streams.harness import publish

ISSUE = "silent-" + "ab" * 16
RECIPIENT = "owner-systems-test-hotline"


def test_feed_alert_ack_needs_the_link_or_a_district_token(clean) -> None:
    stack = clean
    now = datetime.now(UTC)
    aid = feed_alert_id("feed_silent", ISSUE)
    feed = {"issue_id": ISSUE, "source": "/systems/test-hotline", "owner_contact": "a@b.local"}
    alert = Alert(aid, "feed_silent", "owner", "", "", ISSUE, now, 1, feed=feed)
    alert.recipients = [RECIPIENT]
    publish(stack.bootstrap, stack.prefix, [events.raised(alert, now)])
    wait_types(stack.wh, {"raised": 1})

    with stack.api() as api:
        for areas in (["s-01"], ["c-01-01"]):
            token = stack.token(["lianxi.alert.acknowledged"], areas)
            refused = api.post(
                f"/v1/alerts/{aid}/ack", headers={"Authorization": f"Bearer {token}"}
            )
            assert refused.status_code == 403
            assert refused.json()["errors"][0]["rule"] == "token_area"
        other = api.post(
            f"/v1/alerts/{aid}/ack", params={"recipient": "platform-team", "sig": "0" * 64}
        )
        assert other.status_code == 403 and other.json()["errors"][0]["rule"] == "link_signature"

        link = ack_url(stack.api_url, ACK_SECRET, aid, RECIPIENT)
        page = api.get(link)
        assert page.status_code == 200 and "数据源：/systems/test-hotline" in page.text
        assert api.post(link).status_code == 202
        district = stack.token(["lianxi.alert.acknowledged"], [])
        again = api.post(f"/v1/alerts/{aid}/ack", headers={"Authorization": f"Bearer {district}"})
        assert again.status_code == 202

    wait_types(stack.wh, {"acknowledged": 1})
    assert count_types(stack.wh, "type = 'lianxi.alert.acknowledged'") == {"acknowledged": 1}
