"""Deadlines, delivery failures and meetings against hand-derived expectations: a deadline
rule changing at a Shanghai midnight, a webhook that fails and is retried (every attempt
recorded), one that never answers, a meeting period about to end without its meeting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.messages import shanghai
from tests.alerts.harness import (
    alert_rows,
    count_types,
    iso,
    ms,
    opened,
    set_rules,
    wait_types,
)
from tests.streams.harness import publish, wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _later(seconds: float) -> None:
    until = datetime.now(UTC) + timedelta(seconds=seconds)
    wait_until(lambda: datetime.now(UTC) > until, seconds + 30, f"{seconds} s")


def test_deadline_rule_changing_at_shanghai_midnight(clean, smtp, start_alerts) -> None:
    """v1 of the environment rule runs to day D-1, v2 from day D (Shanghai dates). X opened
    2 s before the Shanghai midnight starting D takes v1, Y 2 s after it takes v2. Hours are
    chosen so X is due 5 s and Y 7 s from now: due = opened + hours, to the millisecond."""
    stack = clean
    now = ms(datetime.now(UTC))
    midnight = datetime.combine(now.astimezone(SHANGHAI).date(), datetime.min.time(), SHANGHAI)
    if (now - midnight).total_seconds() < 120:  # Y must lie in the past by a margin
        midnight -= timedelta(days=1)
    day = midnight.date()
    opened_x, opened_y = (
        midnight - timedelta(seconds=2),
        midnight + timedelta(seconds=2),
    )
    due_x, due_y = now + timedelta(seconds=5), now + timedelta(seconds=7)
    hours_x = (due_x - opened_x) / timedelta(milliseconds=1) / 3_600_000
    hours_y = (due_y - opened_y) / timedelta(milliseconds=1) / 3_600_000
    set_rules(
        stack.wh,
        [
            (1, "*", "*", date(2020, 1, 1), None, 10_000.0, 10_000.0),
            (
                1,
                "environment",
                "*",
                date(2020, 1, 1),
                day - timedelta(days=1),
                hours_x,
                10_000.0,
            ),
            (2, "environment", "*", day, None, hours_y, 10_000.0),
        ],
    )
    run = now.strftime("%H%M%S%f")
    x, y = f"t-mid-{run}-x", f"t-mid-{run}-y"
    publish(
        stack.bootstrap,
        stack.prefix,
        [
            opened(x, "c-06-01", opened_x, category="environment"),
            opened(y, "c-06-02", opened_y, category="environment"),
        ],
    )
    start_alerts(
        smtp,
        {
            "district": [],
            "units": {},
            "defaults": {"id": "secretary-{unit}", "email": "{unit}@lianxi.local"},
        },
    )
    wait_types(stack.wh, {"raised": 2, "delivered": 2})
    raised = {r[3]: r for r in alert_rows(stack.wh, "type = 'lianxi.alert.raised'")}
    assert (raised[x][9], iso(raised[x][10].replace(tzinfo=UTC))) == (1, iso(due_x))
    assert (raised[y][9], iso(raised[y][10].replace(tzinfo=UTC))) == (2, iso(due_y))
    [mail_x] = smtp.to("c-06-01@lianxi.local")
    [mail_y] = smtp.to("c-06-02@lianxi.local")
    assert shanghai(due_x) in mail_x.body and "第 1 版" in mail_x.body
    assert shanghai(due_y) in mail_y.body and "第 2 版" in mail_y.body


def test_failing_webhooks_are_retried_and_every_failure_recorded(
    clean, smtp, hooks, start_alerts
) -> None:
    stack = clean
    set_rules(stack.wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
    now = ms(datetime.now(UTC))
    run = now.strftime("%H%M%S%f")
    flaky_ticket, dead_ticket = f"t-hook-{run}-f", f"t-hook-{run}-d"
    crossing = now - timedelta(hours=1) + timedelta(seconds=3)
    publish(
        stack.bootstrap,
        stack.prefix,
        [
            opened(flaky_ticket, "c-03-01", crossing),
            opened(dead_ticket, "c-03-02", crossing),
        ],
    )
    hooks.fail.update({"/flaky": 2, "/dead": -1})
    start_alerts(
        smtp,
        {
            "district": [],
            "units": {
                "c-03-01": [
                    {
                        "id": "secretary-c-03-01",
                        "email": "c-03-01@lianxi.local",
                        "webhooks": [{"kind": "webhook", "url": hooks.url("/flaky")}],
                    }
                ],
                "c-03-02": [
                    {
                        "id": "secretary-c-03-02",
                        "webhooks": [{"kind": "wecom", "url": hooks.url("/dead")}],
                    }
                ],
            },
        },
        LIANXI_ALERTS_RETRY_ATTEMPTS="3",
    )
    wait_types(stack.wh, {"raised": 2, "delivered": 2, "failed": 5})
    _later(4)  # retries are over: nothing more may be attempted
    assert len(hooks.at("/flaky")) == 3 and len(hooks.at("/dead")) == 3
    failed = alert_rows(stack.wh, "type = 'lianxi.alert.failed'")
    attempts = sorted((r[5], r[6], r[7]) for r in failed)
    assert attempts == [
        ("webhook", 1, False),
        ("webhook", 2, False),
        ("wecom", 1, False),
        ("wecom", 2, False),
        ("wecom", 3, True),
    ]
    delivered = sorted(
        (r[5], r[6]) for r in alert_rows(stack.wh, "type = 'lianxi.alert.delivered'")
    )
    assert delivered == [("email", 1), ("webhook", 3)]
    assert len(smtp.all()) == 1
    assert count_types(stack.wh) == {"raised": 2, "delivered": 2, "failed": 5}


def test_meeting_period_ending_without_its_meeting(clean, smtp, start_alerts) -> None:
    """With a warning window longer than any period, the current month of community c-07-01
    and the current quarter of street s-07 both lack their meeting: one alert each, to the
    community and the street secretary; the community's meeting is then held: its alert ends."""
    stack = clean
    now = ms(datetime.now(UTC))
    set_rules(stack.wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
    registered = now - timedelta(days=400)
    org = [
        {
            "id": "org-s-07",
            "source": "/systems/test-org",
            "type": "lianxi.org.street_registered",
            "specversion": "1.0",
            "time": iso(registered),
            "subject": "s-07",
            "data": {"street_id": "s-07", "name_zh": "测试街道"},
        },
        {
            "id": "org-c-07-01",
            "source": "/systems/test-org",
            "type": "lianxi.org.community_registered",
            "specversion": "1.0",
            "time": iso(registered),
            "subject": "c-07-01",
            "data": {
                "community_id": "c-07-01",
                "street_id": "s-07",
                "name_zh": "测试社区",
            },
        },
    ]
    publish(stack.bootstrap, stack.prefix, org)
    start_alerts(
        smtp,
        {
            "district": [],
            "units": {},
            "defaults": {"id": "secretary-{unit}", "email": "{unit}@lianxi.local"},
        },
        LIANXI_ALERTS_MEETING_WARN_HOURS="3000",
    )
    wait_types(stack.wh, {"raised": 2, "delivered": 2})
    local = now.astimezone(SHANGHAI)
    month, quarter = f"{local:%Y-%m}", f"{local.year}Q{(local.month - 1) // 3 + 1}"
    [community_mail] = smtp.to("c-07-01@lianxi.local")
    [street_mail] = smtp.to("s-07@lianxi.local")
    assert month in community_mail.body and "联席会议" in community_mail.subject
    assert quarter in street_mail.body
    held = {
        "id": f"mt-{now:%H%M%S%f}",
        "source": "/systems/test-org",
        "type": "lianxi.meeting.held",
        "specversion": "1.0",
        "time": iso(now),
        "subject": f"mt-{now:%H%M%S%f}",
        "data": {
            "meeting_id": f"mt-{now:%H%M%S%f}",
            "level": "community",
            "street_id": "s-07",
            "community_id": "c-07-01",
            "chair_role": "community_secretary",
            "held_at": iso(now),
            "attending_unit_ids": ["u-1"],
            "agenda_items": 1,
        },
    }
    publish(stack.bootstrap, stack.prefix, [held])
    wait_types(stack.wh, {"resolved": 1})
    _later(3)
    resolved = alert_rows(stack.wh, "type = 'lianxi.alert.resolved'")
    assert [(r[2], r[8]) for r in resolved] == [("community", "meeting_held")]
    assert count_types(stack.wh) == {"raised": 2, "delivered": 2, "resolved": 1}
    assert len(smtp.all()) == 2
