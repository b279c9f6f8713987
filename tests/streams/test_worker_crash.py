"""kill -9 of the worker at random moments during a load: exact counts, no gaps, no duplicates.

The load size is a parameter: LIANXI_TEST_CRASH_EVENTS (default 200,000, issue #5's load;
about two minutes here, published over ~40 s so that the ten kills land mid-load).
"""

import asyncio
import os
import random
import threading
import time

from tests.streams.events import mixed_events
from tests.streams.harness import publish, raw_totals, reset_raw, wait_for_rows, wait_until

N_EVENTS = int(os.environ.get("LIANXI_TEST_CRASH_EVENTS", "200000"))
KILLS = 10


def _publish_paced(bootstrap, prefix, events, chunks, pause, done: threading.Event):
    size = -(-len(events) // chunks)
    for i in range(0, len(events), size):
        publish(bootstrap, prefix, events[i : i + size])
        time.sleep(pause)
    done.set()


def _kill_repeatedly(worker, warehouse_server, rng, kills: int, longest: float) -> list[int]:
    """Start the worker and SIGKILL it 4 to `longest` seconds later (mid-join, mid-batch,
    mid-insert, mid-commit), `kills` times; the distinct events loaded after each kill."""
    progress = []
    for _ in range(kills):
        worker.start()
        time.sleep(rng.uniform(4.0, longest))
        worker.kill()
        progress.append(raw_totals(warehouse_server)[1])
    return progress


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
    progress = _kill_repeatedly(worker, warehouse_server, rng, KILLS, longest=12.0)
    feeder.join()
    assert published.is_set()
    worker.start()
    wait_for_rows(warehouse_server, N_EVENTS)

    final, distinct, before_merge = raw_totals(warehouse_server)
    assert final == distinct == N_EVENTS  # no duplicates after dedup
    client = warehouse_server.native()
    union = " UNION ALL ".join(
        f"SELECT event_id FROM raw.{t.split('lianxi.')[1]}_events"
        for t in topics.names
        if not t.endswith("deadletter")
    )
    loaded = {r[0] for r in client.execute(f"SELECT DISTINCT event_id FROM ({union})")}
    assert loaded == {e["id"] for e in events}  # no gaps
    assert before_merge >= N_EVENTS
    # the kills really happened while loading, not before or after it
    assert any(0 < p < N_EVENTS for p in progress), progress
    worker.wait_ready()  # the rows may all be in before the last worker finished starting
    assert worker.terminate() == 0


def _groups(bootstrap) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    async def listed():
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return {group for group, _protocol in await admin.list_consumer_groups()}
        finally:
            await admin.close()

    return asyncio.run(listed())


def test_kill_9_with_dead_letters_in_flight_stores_each_event_and_dead_letter_once(
    topics, warehouse_server, make_worker
):
    """Domain events and poison records in one run, the worker killed mid-load: every event
    is in its raw table once and every poison record is in raw.dead_letters once, loaded by
    the worker's one consumer group."""
    reset_raw(warehouse_server)
    n_events, per_chunk, chunks = N_EVENTS // 4, 5, 10
    events = mixed_events(n_events, seed=15)
    size = -(-n_events // chunks)
    poison_values = []
    rng = random.Random(15)
    published = threading.Event()

    def feed():
        for c, i in enumerate(range(0, n_events, size)):
            poison = [
                (rng.choice(["ticket", "wish", "org"]), f"not json {c}-{k}".encode())
                for k in range(per_chunk)
            ]
            poison_values.extend(v for _, v in poison)
            publish(topics.bootstrap, topics.prefix, events[i : i + size], raw=poison)
            time.sleep(1.5)
        published.set()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    worker = make_worker(topics.bootstrap, topics.prefix)
    progress = _kill_repeatedly(worker, warehouse_server, rng, 4, longest=9.0)
    feeder.join()
    assert published.is_set()
    worker.start()
    wait_for_rows(warehouse_server, n_events)
    client = warehouse_server.native()

    def dead_letters():
        return client.execute(
            "SELECT count(), uniqExact(topic, partition, offset), "
            "groupArray(raw_value) FROM raw.dead_letters FINAL"
        )[0]

    expected = len(poison_values)
    wait_until(lambda: dead_letters()[0] >= expected, 120, f"{expected} dead letters")
    count, origins, values = dead_letters()
    assert count == origins == expected  # once each, however often the kills re-sent them
    assert sorted(v.encode() if isinstance(v, str) else v for v in values) == sorted(poison_values)
    assert (
        client.execute("SELECT countIf(error_code != 'not_json') FROM raw.dead_letters")[0][0] == 0
    )
    final, distinct, _ = raw_totals(warehouse_server)
    assert final == distinct == n_events
    assert any(0 < p < n_events for p in progress), progress
    # one consumer group loads both: none was made for dead letters
    groups = _groups(topics.bootstrap)
    assert worker.env["LIANXI_STREAMS_GROUP_ID"] in groups
    assert not any(g.startswith(worker.env["LIANXI_STREAMS_GROUP_ID"] + "-") for g in groups)
    worker.wait_ready()
    assert worker.terminate() == 0
