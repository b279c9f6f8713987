"""The local mailbox is the real Mailpit the stack runs: an alert sent by the alerts service
arrives in it, readable through its REST API, and its web UI is whole (its JavaScript built)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import httpx

from infra import mailbox
from infra.config import InfraSettings
from tests.alerts.harness import free_port, ms, opened, set_rules, wait_types
from tests.streams.harness import publish, wait_until


def test_alerts_arrive_in_the_local_mailbox(clean, start_alerts, tmp_path) -> None:
    stack = clean
    mailbox.fetch(InfraSettings())  # what `make setup` does; instant once built
    settings = InfraSettings(
        var_dir=tmp_path, mailpit_smtp_port=free_port(), mailpit_http_port=free_port()
    )
    (tmp_path / "mailpit").mkdir()
    process = subprocess.Popen(
        mailbox.command(settings, mailbox.binary(InfraSettings())),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{settings.mailpit_http_port}"
    try:
        wait_until(lambda: _ok(f"{url}/livez"), 60, "Mailpit")
        set_rules(stack.wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
        ticket = f"t-mailbox-{datetime.now(UTC):%H%M%S%f}"
        publish(
            stack.bootstrap,
            stack.prefix,
            [
                opened(
                    ticket,
                    "c-05-01",
                    ms(datetime.now(UTC)) - timedelta(hours=1) + timedelta(seconds=2),
                )
            ],
        )
        start_alerts(
            SimpleNamespace(port=settings.mailpit_smtp_port),
            {
                "district": [],
                "units": {},
                "defaults": {"id": "secretary-{unit}", "email": "{unit}@lianxi.local"},
            },
        )
        wait_types(stack.wh, {"delivered": 1})
        messages = httpx.get(f"{url}/api/v1/messages", timeout=10).json()["messages"]
        assert [
            (m["To"][0]["Address"], ticket in m["Snippet"] or ticket in m["Subject"])
            for m in messages
        ] == [("c-05-01@lianxi.local", True)]
        assert messages[0]["Subject"].startswith("【联席预警】工单响应超期")
        assert (
            httpx.get(f"{url}/dist/app.js", timeout=10).status_code == 200
        )  # the UI is built, not an empty page
    finally:
        process.terminate()
        process.wait(30)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
