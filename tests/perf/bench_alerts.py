"""Alerts: a ticket passes its deadline → the alert is in the recipient's mailbox.

Real parts: a private warehouse, the stack's broker (own topics), the stream worker, the
alerts service as `lianxi alerts run`, an SMTP server. 40 tickets whose response deadlines
pass one every 0.5 s; latency = mail accepted by the SMTP server − deadline. Run at the
default detection interval (5 s) and at 1 s. Baseline of the same run: publish → row
queryable in raw for the tickets' own events (the pipeline's freshness floor); ratio =
alert p95 / that p95. Target p95 ≤ 60 s, goal ≤ 10 s.

    python -m tests.perf.bench_alerts
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from support.warehouse import PrivateWarehouse

from infra.config import InfraSettings
from tests.alerts.harness import (
    AlertsProcess,
    SmtpSink,
    free_port,
    ms,
    opened,
    set_rules,
)
from tests.perf.report import record
from tests.perf.timing import quantile
from tests.streams.harness import (
    Worker,
    own_topics,
    publish,
    wait_until,
    worker_env,
)

TICKETS = 40
SPACING = 0.5


def _raw_latency(
    wh: PrivateWarehouse, bootstrap: str, prefix: str, samples: int = 20
) -> list[float]:
    """publish → queryable in raw.ticket_events, one event at a time."""
    out = []
    for i in range(samples):
        tid = f"t-bench-raw-{uuid.uuid4().hex[:8]}-{i}"
        started = time.time()
        publish(bootstrap, prefix, [opened(tid, "c-09-01", datetime.now(UTC))])
        wait_until(
            lambda t=tid: (
                wh.native().execute(
                    "SELECT count() FROM raw.ticket_events WHERE subject = %(t)s", {"t": t}
                )[0][0]
                > 0
            ),
            60,
            "the event in raw",
        )
        out.append(time.time() - started)
    return out


def _run(
    wh: PrivateWarehouse, bootstrap: str, prefix: str, tmp: Path, interval: float
) -> list[float]:
    smtp = SmtpSink()
    tag = uuid.uuid4().hex[:6]
    now = ms(datetime.now(UTC))
    first_due = now + timedelta(seconds=8)
    dues = {
        f"t-bench-{tag}-{i:02d}": first_due + timedelta(seconds=SPACING * i) for i in range(TICKETS)
    }
    publish(
        bootstrap,
        prefix,
        [
            opened(t, f"c-08-{i % 9 + 1:02d}", due - timedelta(hours=1))
            for i, (t, due) in enumerate(dues.items())
        ],
    )
    (tmp / "recipients.yaml").write_text(
        'district: []\nunits: {}\ndefaults: {id: "secretary-{unit}", email: "{unit}@lianxi.local"}\n',
        encoding="utf-8",
    )
    process = AlertsProcess(
        {
            "LIANXI_ENV": "development",
            "LIANXI_VAR_DIR": str(tmp / f"var-{tag}"),
            "LIANXI_KAFKA_BOOTSTRAP": bootstrap,
            "LIANXI_KAFKA_TOPIC_PREFIX": prefix,
            "LIANXI_WAREHOUSE_HTTP_PORT": str(wh.http_port),
            "LIANXI_ALERTS_INTERVAL_SECONDS": str(interval),
            "LIANXI_ALERTS_SMTP_PORT": str(smtp.port),
            "LIANXI_ALERTS_RECIPIENTS_FILE": str(tmp / "recipients.yaml"),
            "LIANXI_ALERTS_HEALTH_PORT": str(free_port()),
            "LIANXI_ALERTS_MEETING_WARN_HOURS": "0",
        },
        tmp / f"alerts-{tag}.log",
    ).start()
    try:
        wait_until(
            lambda: sum(1 for m in smtp.all() if tag in m.body) >= TICKETS,
            300,
            "every alert",
        )
        latencies = []
        for mail in smtp.all():
            ticket = next((t for t in dues if t in mail.body), None)
            if ticket:
                latencies.append(mail.received_at - dues[ticket].timestamp())
        return latencies
    finally:
        process.stop()
        smtp.stop()


def main() -> None:
    bootstrap = InfraSettings().kafka_bootstrap
    with (
        tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmpdir,
        own_topics(bootstrap, "ba") as topics,
    ):
        tmp = Path(tmpdir)
        prefix = topics.prefix
        wh = PrivateWarehouse(tmp / "data").start(migrate=False)
        worker = Worker(worker_env(bootstrap, prefix, wh, free_port()), tmp / "worker.log")
        try:
            wh.migrate()
            set_rules(wh, [(1, "*", "*", date(2020, 1, 1), None, 1.0, 1000.0)])
            worker.start()
            worker.wait_ready()
            baseline = _raw_latency(wh, bootstrap, prefix)
            base_p95 = quantile(baseline, 0.95)
            rows = [
                {
                    "what": "publish → raw (baseline)",
                    "n": len(baseline),
                    "p50_s": statistics.median(baseline),
                    "p95_s": base_p95,
                    "ratio_p95": 1.0,
                }
            ]
            for interval in (5.0, 1.0):
                lat = _run(wh, bootstrap, prefix, tmp, interval)
                rows.append(
                    {
                        "what": f"deadline → mail (interval {interval:g} s)",
                        "n": len(lat),
                        "p50_s": statistics.median(lat),
                        "p95_s": quantile(lat, 0.95),
                        "ratio_p95": quantile(lat, 0.95) / base_p95,
                        "target_p95_s": 60,
                        "goal_p95_s": 10,
                    }
                )
            record("alerts", rows)
        finally:
            worker.kill()
            wh.stop()


if __name__ == "__main__":
    main()
