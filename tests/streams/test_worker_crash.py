"""kill -9 of the worker at random moments during a load: exact counts, no gaps, no duplicates.

The load size is a parameter: LIANXI_TEST_CRASH_EVENTS (default 200,000, issue #5's load;
about two minutes here, published over ~40 s so that the ten kills land mid-load).
"""

import os
import random
import threading
import time

from tests.streams.events import mixed_events
from tests.streams.harness import publish, raw_totals, reset_raw, wait_for_rows

N_EVENTS = int(os.environ.get("LIANXI_TEST_CRASH_EVENTS", "200000"))
KILLS = 10


def _publish_paced(bootstrap, prefix, events, chunks, pause, done: threading.Event):
    size = -(-len(events) // chunks)
    for i in range(0, len(events), size):
        publish(bootstrap, prefix, events[i:i + size])
        time.sleep(pause)
    done.set()


def test_kill_9_ten_times_during_a_load_loses_and_duplicates_nothing(
    topics, warehouse_server, make_worker
):
    reset_raw(warehouse_server)
    events = mixed_events(N_EVENTS, seed=9)
    rng = random.Random(2026)
    published = threading.Event()
    feeder = threading.Thread(
        target=_publish_paced,
        args=(topics.bootstrap, topics.prefix, events, 20, 2.0, published),
        daemon=True,
    )
    feeder.start()
    worker = make_worker(topics.bootstrap, topics.prefix)
    progress = []
    for _ in range(KILLS):
        worker.start()
        time.sleep(rng.uniform(4.0, 12.0))  # mid-join, mid-batch, mid-insert, mid-commit
        worker.kill()
        progress.append(raw_totals(warehouse_server)[1])
    feeder.join()
    assert published.is_set()
    worker.start()
    wait_for_rows(warehouse_server, N_EVENTS)

    final, distinct, before_merge = raw_totals(warehouse_server)
    assert final == distinct == N_EVENTS  # no duplicates after dedup
    client = warehouse_server.native()
    union = " UNION ALL ".join(f"SELECT event_id FROM raw.{t.split('lianxi.')[1]}_events"
                               for t in topics.names if not t.endswith("deadletter"))
    loaded = {r[0] for r in client.execute(f"SELECT DISTINCT event_id FROM ({union})")}
    assert loaded == {e["id"] for e in events}  # no gaps
    assert before_merge >= N_EVENTS
    # the kills really happened while loading, not before or after it
    assert any(0 < p < N_EVENTS for p in progress), progress
    worker.wait_ready()  # the rows may all be in before the last worker finished starting
    assert worker.terminate() == 0
