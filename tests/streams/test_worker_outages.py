"""The worker rides out a 30 s warehouse outage and a broker restart with exact counts."""

import time
import urllib.request

from support.wait import wait_until

from tests.streams.events import mixed_events
from tests.streams.harness import (
    create_topics,
    publish,
    raw_totals,
    reset_raw,
    wait_for_rows,
)

OUTAGE_SECONDS = 30


def test_warehouse_down_30_s_mid_load_pauses_then_catches_up_exactly(
    topics, warehouse_server, make_worker
):
    reset_raw(warehouse_server)
    events = mixed_events(6000, seed=21)
    worker = make_worker(topics.bootstrap, topics.prefix).start()
    publish(topics.bootstrap, topics.prefix, events[:3000])
    wait_until(lambda: raw_totals(warehouse_server)[1] > 0, 300, "first rows")

    warehouse_server.stop()
    publish(topics.bootstrap, topics.prefix, events[3000:])  # arrives while it is down
    time.sleep(OUTAGE_SECONDS)
    assert worker.alive()  # paused and retrying, not crashed
    warehouse_server.start(migrate=False, cli=True)

    wait_for_rows(warehouse_server, len(events))
    final, distinct, _ = raw_totals(warehouse_server)
    assert final == distinct == len(events)
    assert worker.alive()
    metrics = (
        urllib.request.urlopen(
            f"http://127.0.0.1:{worker.env['LIANXI_STREAMS_METRICS_PORT']}/metrics", timeout=10
        )
        .read()
        .decode()
    )
    retries = [
        line
        for line in metrics.splitlines()
        if line.startswith("lianxi_stream_insert_retries_total ")
    ]
    assert float(retries[0].split()[1]) > 0  # it did wait for the warehouse
    assert worker.terminate() == 0


def test_broker_restart_mid_load_gives_exact_counts(private_broker, warehouse_server, make_worker):
    reset_raw(warehouse_server)
    bootstrap = private_broker.bootstrap
    prefix = "restart."
    create_topics(bootstrap, prefix)
    events = mixed_events(6000, seed=33)
    worker = make_worker(bootstrap, prefix).start()
    publish(bootstrap, prefix, events[:3000])
    wait_until(lambda: raw_totals(warehouse_server)[1] > 0, 300, "first rows")

    private_broker.stop()  # controlled shutdown while the worker is loading
    time.sleep(5)
    private_broker.start()
    publish(bootstrap, prefix, events[3000:])

    wait_for_rows(warehouse_server, len(events))
    final, distinct, _ = raw_totals(warehouse_server)
    assert final == distinct == len(events)
    assert worker.alive()
    assert worker.terminate() == 0
