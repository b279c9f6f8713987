"""Tickets crossing their deadlines on the real stack: one alert per ticket and stage, to the
right recipients only (a real SMTP server and a real HTTP receiver), escalation after the
configured time unless acknowledged, acknowledgement through the API (bad credentials refused),
the end of the alert when the ticket resolves."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from alerts.messages import shanghai
from tests.alerts.harness import (
    alert_rows,
    count_types,
    dingtalk_sign_ok,
    ms,
    opened,
    set_rules,
    ticket_event,
    wait_types,
)
from tests.streams.harness import publish, wait_until

DINGTALK_SECRET = "SECtest-dingtalk-secret"


def test_overdue_tickets_alert_route_escalate_ack_and_resolve(
    clean, smtp, hooks, start_alerts, monkeypatch
) -> None:
    stack = clean
    set_rules(stack.wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
    run = datetime.now(UTC).strftime("%H%M%S%f")
    a, b, c, d, e = (f"t-flow-{run}-{x}" for x in "abcde")
    now = ms(datetime.now(UTC))
    crossing = now - timedelta(hours=1) + timedelta(seconds=4)  # response due 4 s from now
    publish(
        stack.bootstrap,
        stack.prefix,
        [
            opened(a, "c-01-01", crossing),
            opened(b, "c-01-02", crossing),
            opened(c, "c-02-01", crossing),
            opened(d, "c-01-01", crossing),
            ticket_event("responded", d, now),  # answered in time: no alert
            opened(e, "c-01-01", now),  # due in an hour
        ],
    )
    monkeypatch.setenv("TEST_DINGTALK_SECRET", DINGTALK_SECRET)
    recipients = {
        "district": [
            {
                "id": "district-leader",
                "email": "leader@lianxi.local",
                "webhooks": [{"kind": "webhook", "url": hooks.url("/generic/district")}],
            }
        ],
        "units": {
            "c-01-01": [
                {
                    "id": "secretary-c-01-01",
                    "email": "c-01-01@lianxi.local",
                    "webhooks": [{"kind": "wecom", "url": hooks.url("/wecom/c-01-01?key=k1")}],
                }
            ],
            "s-01": [
                {
                    "id": "secretary-s-01",
                    "email": "s-01@lianxi.local",
                    "webhooks": [
                        {
                            "kind": "dingtalk",
                            "url": hooks.url("/dingtalk/s-01?access_token=t1"),
                            "secret_env": "TEST_DINGTALK_SECRET",
                        }
                    ],
                }
            ],
        },
        "defaults": {"id": "secretary-{unit}", "email": "{unit}@lianxi.local"},
    }
    start_alerts(
        smtp,
        recipients,
        LIANXI_ALERTS_STREET_AFTER_SECONDS="25",
        LIANXI_ALERTS_DISTRICT_AFTER_SECONDS="4",
        TEST_DINGTALK_SECRET=DINGTALK_SECRET,
    )

    # stage 1: the community secretary of A is told
    wait_until(lambda: smtp.to("c-01-01@lianxi.local"), 120, "the mail to c-01-01")
    [mail_a] = smtp.to("c-01-01@lianxi.local")
    assert a in mail_a.body and "响应超期" in mail_a.subject
    assert shanghai(crossing + timedelta(hours=1)) in mail_a.body  # the deadline, Shanghai time
    assert "已超期" in mail_a.body
    link = re.search(r"(http://\S+/ack\?\S+)", mail_a.body)
    assert link, mail_a.body
    wait_types(stack.wh, {"raised": 3})  # the raised events reached raw: the API can look them up

    with stack.api() as api:
        # refused: no credentials, a forged link, a token of another street, a token without the type
        no_token = api.post(f"/v1/alerts/{mail_a.alert_id}/ack")
        assert (
            no_token.status_code == 401
            and no_token.json()["errors"][0]["rule"] == "bearer_required"
        )
        forged = api.post(
            f"/v1/alerts/{mail_a.alert_id}/ack",
            params={"recipient": "secretary-c-01-01", "sig": "0" * 64},
        )
        assert forged.status_code == 403 and forged.json()["errors"][0]["rule"] == "link_signature"
        odd = api.post(
            f"/v1/alerts/{mail_a.alert_id}/ack",
            params={"recipient": "secretary-c-01-01", "sig": "签名"},
        )
        assert odd.status_code == 403 and odd.json()["errors"][0]["rule"] == "link_signature"
        other_street = stack.token(["lianxi.alert.acknowledged"], ["s-02"])
        wrong = api.post(
            f"/v1/alerts/{mail_a.alert_id}/ack",
            headers={"Authorization": f"Bearer {other_street}"},
        )
        assert wrong.status_code == 403 and wrong.json()["errors"][0] == {
            "index": None,
            "field": "alert_id",
            "rule": "token_area",
            "message": "the token covers only s-02",
        }
        tickets_only = stack.token(["lianxi.ticket.*"], ["s-01"])
        scope = api.post(
            f"/v1/alerts/{mail_a.alert_id}/ack",
            headers={"Authorization": f"Bearer {tickets_only}"},
        )
        assert scope.status_code == 403 and scope.json()["errors"][0]["rule"] == "token_scope"
        district = stack.token(["lianxi.alert.acknowledged"], [])
        unknown = api.post(
            "/v1/alerts/al-" + "0" * 32 + "/ack",
            headers={"Authorization": f"Bearer {district}"},
        )
        assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
        garbage = api.post("/v1/alerts/../ack", headers={"Authorization": f"Bearer {district}"})
        assert garbage.status_code == 404
        # the link works for its recipient: GET shows a page and changes nothing, POST acknowledges
        page = api.get(link.group(1))
        assert page.status_code == 200 and "确认收到" in page.text
        assert count_types(stack.wh).get("acknowledged", 0) == 0
        ok = api.post(link.group(1))
        assert ok.status_code == 202 and ok.json()["via"] == "link"

    # B and C are not acknowledged: street after 25 s, district 4 s later
    wait_until(lambda: len(smtp.to("leader@lianxi.local")) >= 2, 240, "both district mails")
    publish(
        stack.bootstrap,
        stack.prefix,
        [ticket_event("resolved", b, datetime.now(UTC), resolution="已处理")],
    )
    wait_types(stack.wh, {"resolved": 3, "delivered": 11, "acknowledged": 1})
    # a few more passes: nothing else may arrive
    time_after = datetime.now(UTC) + timedelta(seconds=5)
    wait_until(lambda: datetime.now(UTC) > time_after, 30, "five more seconds of passes")

    mails = smtp.all()
    per_address = {
        addr: len(smtp.to(addr))
        for addr in (
            "c-01-01@lianxi.local",
            "c-01-02@lianxi.local",
            "c-02-01@lianxi.local",
            "s-01@lianxi.local",
            "s-02@lianxi.local",
            "leader@lianxi.local",
        )
    }
    assert per_address == {
        "c-01-01@lianxi.local": 1,
        "c-01-02@lianxi.local": 1,
        "c-02-01@lianxi.local": 1,
        "s-01@lianxi.local": 1,
        "s-02@lianxi.local": 1,
        "leader@lianxi.local": 2,
    }
    assert len(mails) == 7
    # a recipient never sees another unit's ticket
    expected_ticket = {
        "c-01-01@lianxi.local": a,
        "c-01-02@lianxi.local": b,
        "c-02-01@lianxi.local": c,
        "s-01@lianxi.local": b,
        "s-02@lianxi.local": c,
    }
    for address, ticket in expected_ticket.items():
        [mail] = smtp.to(address)
        assert ticket in mail.body and all(
            t not in mail.body for t in (a, b, c, d, e) if t != ticket
        )
    assert len({m.message_id for m in mails}) == 7

    [wecom] = hooks.at("/wecom/c-01-01")
    assert wecom.body["msgtype"] == "markdown" and a in wecom.body["markdown"]["content"]
    [ding] = hooks.at("/dingtalk/s-01")
    assert ding.body["msgtype"] == "markdown" and b in ding.body["markdown"]["text"]
    assert dingtalk_sign_ok(ding, DINGTALK_SECRET)
    generic = hooks.at("/generic/district")
    assert sorted(h.body["ticket_id"] for h in generic) == sorted([b, c])
    assert all(h.body["stage"] == "district" and "/ack?" in h.body["ack_url"] for h in generic)

    assert count_types(stack.wh) == {
        "raised": 7,
        "delivered": 11,
        "acknowledged": 1,
        "resolved": 3,
    }
    raised = alert_rows(stack.wh, "type = 'lianxi.alert.raised'")
    by_ticket: dict[str, list[str]] = {}
    for row in raised:
        by_ticket.setdefault(row[3], []).append(row[2])
    assert {t: sorted(s) for t, s in by_ticket.items()} == {
        a: ["community"],
        b: ["community", "district", "street"],
        c: ["community", "district", "street"],
    }
    resolved = alert_rows(stack.wh, "type = 'lianxi.alert.resolved'")
    assert {r[8] for r in resolved} == {"ticket_resolved"}

    # the audit as dbt builds it: fct_alerts holds the same alerts with time to acknowledge
    from dbt_project.config import DbtSettings
    from dbt_project.runner import run_dbt

    settings = DbtSettings(
        env="development",
        warehouse_host="127.0.0.1",
        warehouse_http_port=stack.wh.http_port,
        warehouse_native_port=stack.wh.native_port,
    )
    work = stack.api_settings.var_dir.parent
    built = run_dbt(
        [
            "build",
            "--select",
            "+fct_alerts",
            "--exclude",
            "ticket_deadlines",
            "--indirect-selection",
            "cautious",
        ],
        settings,
        capture=True,
        extra_env={
            "DBT_TARGET_PATH": str(work / "dbt-target"),
            "DBT_LOG_PATH": str(work / "dbt-logs"),
        },
    )
    assert built.returncode == 0, built.stdout[-4000:]
    facts = {
        r[0]: r[1:]
        for r in stack.wh.native().execute(
            "SELECT ticket_id || '/' || stage, status, deliveries, hours_to_acknowledge >= 0, acknowledged_via "
            "FROM marts.fct_alerts"
        )
    }
    assert facts == {
        f"{a}/community": ("acknowledged", 2, True, "link"),
        f"{b}/community": ("resolved", 1, None, None),
        f"{b}/street": ("resolved", 2, None, None),
        f"{b}/district": ("resolved", 2, None, None),
        f"{c}/community": ("open", 1, None, None),
        f"{c}/street": ("open", 1, None, None),
        f"{c}/district": ("open", 2, None, None),
    }
