"""Delivery guarantee under kill -9: tickets crossing their deadlines while the alerts service
is killed three times mid-delivery (a slow SMTP relay keeps sends in flight), then restarted
without its ledger (rebuilt from raw) and after a Kafka replay of raw: every alert arrives,
raw holds exactly one raised and one delivered event per alert, and the only repeats are the
ones the guarantee allows (alerts/README.md "Delivery guarantee"): a kill that lands between
the relay's acceptance and the ledger's commit sends that message again, with the same
Message-ID, so at most one repeat per kill and per send in flight. Restarting without the
ledger and replaying raw repeat nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from support.process import run_lianxi

from tests.alerts.harness import (
    SmtpSink,
    count_types,
    ms,
    opened,
    set_rules,
    wait_types,
)
from tests.streams.harness import publish, wait_until, worker_env

TICKETS = 24


def _ticks(process) -> int:
    port = process.env["LIANXI_ALERTS_HEALTH_PORT"]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return int(json.loads(response.read())["ticks"])
    except OSError as exc:
        if hasattr(exc, "read"):
            return int(json.loads(exc.read())["ticks"])
        return -1


def _passes(process, count: int) -> None:
    """Until the service has made `count` full passes since it (re)started."""
    wait_until(lambda: _ticks(process) >= count, 180, f"{count} passes of the alerts service")


def test_kill_9_repeats_only_cut_short_sends_and_lost_ledger_or_replay_nothing(
    clean, start_alerts, tmp_path: Path
) -> None:

    stack = clean
    set_rules(stack.wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
    smtp = SmtpSink(delay=0.8)
    try:
        run = datetime.now(UTC).strftime("%H%M%S%f")
        now = ms(datetime.now(UTC))
        # deadlines every 0.4 s from 3 s on: alerts keep being raised while the kills happen
        events = [
            opened(
                f"t-crash-{run}-{i:02d}",
                f"c-04-{i % 6 + 1:02d}",
                now - timedelta(hours=1) + timedelta(seconds=3 + 0.4 * i),
            )
            for i in range(TICKETS)
        ]
        publish(stack.bootstrap, stack.prefix, events)
        recipients = {
            "district": [{"id": "district-leader", "email": "leader@lianxi.local"}],
            "units": {},
            "defaults": {"id": "secretary-{unit}", "email": "{unit}@lianxi.local"},
        }
        process = start_alerts(smtp, recipients)
        ledger = Path(process.env["LIANXI_VAR_DIR"]) / "alerts" / "ledger.sqlite3"
        cut_short = 0  # deliveries a kill left recorded but not done: the case under test
        for _ in range(3):
            # kill -9 after some progress, at a moment a message is in the relay's hands (sent,
            # not yet accepted): the ledger holds that delivery as pending
            have = len(smtp.all())
            wait_until(
                lambda have=have: len(smtp.all()) > have and smtp.in_flight > 0,
                180,
                "a send in flight",
            )
            process.kill()
            with sqlite3.connect(ledger) as db:
                cut_short += db.execute(
                    "SELECT count(*) FROM deliveries WHERE state = 'pending'"
                ).fetchone()[0]
            process.start()
        assert cut_short > 0
        wait_until(
            lambda: len({m.message_id for m in smtp.all()}) >= TICKETS, 300, f"{TICKETS} mails"
        )
        wait_types(stack.wh, {"raised": TICKETS, "delivered": TICKETS})
        _passes(process, 3)
        after_kills = len(smtp.all())
        # a repeat is a message the relay accepted just before a kill: same Message-ID, and
        # no more of them than sends that can be in flight at a kill (4 threads, 3 kills)
        assert after_kills - TICKETS <= 3 * 4

        # the ledger lost (a new machine): rebuilt from raw, nothing is sent again
        process.stop()
        shutil.rmtree(Path(process.env["LIANXI_VAR_DIR"]) / "alerts")
        process.start()
        _passes(process, 3)
        process.stop()

        # raw rebuilt from Kafka (lianxi replay --from-beginning), ledger lost again
        run_lianxi(
            worker_env(stack.bootstrap, stack.prefix, stack.wh, 0),
            *("replay", "--from-beginning", "--processes", "1"),
            check=True,
            timeout=300,
        )
        wait_types(stack.wh, {"raised": TICKETS, "delivered": TICKETS})
        shutil.rmtree(Path(process.env["LIANXI_VAR_DIR"]) / "alerts")
        process.start()
        _passes(process, 3)
        time.sleep(2)  # a send started by the last pass would land within its 0.8 s

        mails = smtp.all()
        assert len(mails) == after_kills  # neither the rebuilt ledger nor the replay resent
        tickets = sorted(e["subject"] for e in events)
        by_id: dict[str, set[str]] = {}
        for m in mails:
            by_id.setdefault(m.message_id, set()).update(t for t in tickets if t in m.body)
        assert len(by_id) == TICKETS  # one Message-ID per alert, repeats included
        assert sorted(t for found in by_id.values() for t in found) == tickets
        assert count_types(stack.wh) == {"raised": TICKETS, "delivered": TICKETS}
        rows = stack.wh.native().execute(
            "SELECT count(), uniqExact(alert_id) FROM raw.alert_events FINAL WHERE type = 'lianxi.alert.raised'"
        )
        assert rows == [(TICKETS, TICKETS)]
    finally:
        smtp.stop()
