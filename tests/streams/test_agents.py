"""The Faust agents under test_context(): batching, acks after insert, dead letters, dedup.

Rows land in the real ClickHouse engine (in-process chdb); the whole worker against the real
broker and warehouse server is covered by test_worker_*.py.
"""

import asyncio
import random

import pytest

from streams.app import Pipeline, create_app
from streams.config import StreamsSettings
from tests.streams.chdb_sink import ChdbSink
from tests.streams.events import encode, ticket_lifecycle


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    settings = StreamsSettings(streams_raw_database="raw_agents")
    s = ChdbSink(settings, str(tmp_path_factory.mktemp("chdb_agents")))
    yield s
    s.close()


def _agent(app, name):
    return next(a for a in app.agents.values() if a.name.endswith(name))


async def _until(predicate, timeout=30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def test_duplicates_out_of_order_and_poison_give_exact_rows(sink):
    settings = StreamsSettings(streams_raw_database="raw_agents", streams_batch_size=40,
                               streams_batch_seconds=0.1, streams_topic_prefix="t1.")
    dead = []

    async def publish(letters):
        dead.extend(letters)

    pipeline = Pipeline(settings, sink, publish_dead_letters=publish)
    app = create_app(settings, pipeline)
    events = ticket_lifecycle(60)
    rng = random.Random(5)
    delivered = events + rng.sample(events, 50)  # re-deliveries of 50 events
    rng.shuffle(delivered)  # lifecycle events arrive out of order
    poison = [b"not json", b"{}", b"x" * (settings.streams_max_event_bytes + 1)]
    values = [encode(e) for e in delivered] + poison

    async def run():
        agent = _agent(app, "load_ticket")
        async with agent.test_context() as ag:
            for value in values:
                await ag.put(value, key=b"k", wait=False)
            await _until(lambda: sum(n for _, _, n in sink.inserts) + len(dead) >= len(values))

    asyncio.run(run())
    [[rows, distinct]] = sink.query(
        "SELECT count(), uniqExact(source, event_id) FROM raw_agents.ticket_events FINAL")
    assert (rows, distinct) == (180, 180)
    assert sorted(d.rejection.error_code for d in dead) == [
        "invalid_envelope", "not_json", "oversized"]
    [[opened, enriched]] = sink.query(
        "SELECT count(), countIf(street_id = concat('s-', substring(community_id, 3, 2))) "
        "FROM raw_agents.ticket_events FINAL WHERE type = 'lianxi.ticket.opened'")
    assert opened == enriched == 60
    # every insert carried a topic:partition:first-last token
    assert all(tok.startswith("t1.lianxi.ticket:0:") for _, tok, _ in sink.inserts)
