"""The loader's batch step (streams.loader.Pipeline.load) and its offset bookkeeping.

Rows land in the real ClickHouse engine (in-process chdb); consuming from the real broker with
commits, crashes and outages is covered by test_worker_*.py.
"""

import asyncio
import random

import pytest

from streams import deadletters
from streams.config import StreamsSettings
from streams.loader import DEAD_LETTERS, Lane, Pipeline, next_offsets
from streams.rows import Record
from tests.streams.chdb_sink import ChdbSink
from tests.streams.events import encode, ticket_lifecycle


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    settings = StreamsSettings(streams_raw_database="raw_loader")
    s = ChdbSink(settings, str(tmp_path_factory.mktemp("chdb_loader")))
    yield s
    s.close()


def _records(topic: str, values: list[bytes], partitions: int = 3) -> list[Record]:
    next_offset = [0] * partitions
    out = []
    for i, value in enumerate(values):
        p = i % partitions
        out.append(Record(topic, p, next_offset[p], b"k", value))
        next_offset[p] += 1
    return out


def test_duplicates_out_of_order_and_poison_give_exact_rows(sink):
    settings = StreamsSettings(streams_raw_database="raw_loader", kafka_topic_prefix="t1.")
    dead = []

    async def publish(letters):
        dead.extend(letters)

    pipeline = Pipeline(settings, sink, publish_dead_letters=publish)
    events = ticket_lifecycle(60)
    rng = random.Random(5)
    delivered = events + rng.sample(events, 50)  # re-deliveries of 50 events
    rng.shuffle(delivered)  # lifecycle events arrive out of order
    poison = [b"not json", b"{}", b"x" * (settings.streams_max_event_bytes + 1)]
    records = _records("t1.lianxi.ticket", [encode(e) for e in delivered] + poison)

    async def run():
        committed = {}
        for i in range(0, len(records), 40):
            batch = records[i : i + 40]
            committed.update(await pipeline.load("ticket", batch))
        return committed

    committed = asyncio.run(run())
    [[rows, distinct]] = sink.query(
        "SELECT count(), uniqExact(source, event_id) FROM raw_loader.ticket_events FINAL"
    )
    assert (rows, distinct) == (180, 180)
    assert sorted(d.rejection.error_code for d in dead) == [
        "invalid_envelope",
        "not_json",
        "oversized",
    ]
    [[opened, enriched]] = sink.query(
        "SELECT count(), countIf(street_id = concat('s-', substring(community_id, 3, 2))) "
        "FROM raw_loader.ticket_events FINAL WHERE type = 'lianxi.ticket.opened'"
    )
    assert opened == enriched == 60
    # every insert carried a topic:partition:first-last token
    assert all(tok.startswith("t1.lianxi.ticket:0:") for _, tok, _ in sink.inserts)
    # what the loader would commit: one past the last offset of every partition
    last = {}
    for r in records:
        last[r.partition] = max(last.get(r.partition, -1), r.offset)
    assert {tp.partition: off for tp, off in committed.items()} == {
        p: o + 1 for p, o in last.items()
    }


def test_a_retried_batch_lands_once(sink):
    settings = StreamsSettings(streams_raw_database="raw_loader", kafka_topic_prefix="t2.")
    pipeline = Pipeline(settings, sink, publish_dead_letters=None)
    records = _records("t2.lianxi.ticket", [encode(e) for e in ticket_lifecycle(30, "/retry")])

    async def twice():
        await pipeline.load("ticket", records)
        await pipeline.load("ticket", records)  # the commit was lost: Kafka redelivers

    asyncio.run(twice())
    [[rows]] = sink.query("SELECT count() FROM raw_loader.ticket_events WHERE source = '/retry'")
    assert rows == 90  # the second insert carried the same token: dropped, not merged later


def test_dead_letters_are_a_lane_loaded_once_per_origin(sink):
    """A domain batch's dead letters, as the dead-letter topic carries them, load through the
    DEAD_LETTERS lane of the same pipeline; a redelivered batch collapses on the dead letter's
    origin (raw.dead_letters is a ReplacingMergeTree on topic, partition, offset)."""
    settings = StreamsSettings(streams_raw_database="raw_loader", kafka_topic_prefix="t3.")
    dead = []

    async def publish(letters):
        dead.extend(letters)

    pipeline = Pipeline(settings, sink, publish_dead_letters=publish)
    poison = [b"not json", b"{}", b"[1]"]
    domain = _records("t3.lianxi.wish", [encode(e) for e in ticket_lifecycle(2)] + poison, 1)

    async def run():
        await pipeline.load("wish", domain)  # tickets on the wish topic: dead letters too
        messages = [deadletters.to_message(d) for d in dead]
        on_topic = [
            Record(settings.deadletter_topic, 0, i, k, v, h) for i, (k, v, h) in enumerate(messages)
        ]
        first = await pipeline.load(DEAD_LETTERS, on_topic)
        again = await pipeline.load(DEAD_LETTERS, on_topic)  # the commit was lost
        return on_topic, first, again

    on_topic, first, again = asyncio.run(run())
    assert len(dead) == len(domain)  # 6 ticket events on the wrong topic + 3 poisons
    assert first == again == next_offsets(on_topic)
    [[rows, origins]] = sink.query(
        "SELECT count(), uniqExact(topic, partition, offset) FROM raw_loader.dead_letters FINAL "
        "WHERE topic = 't3.lianxi.wish'"
    )
    assert rows == origins == len(domain)


def test_next_offsets_is_one_past_the_highest_per_partition():
    records = [
        Record("a", 0, 7, None, b""),
        Record("a", 0, 3, None, b""),
        Record("a", 2, 0, None, b""),
        Record("b", 0, 1, None, b""),
    ]
    assert {(tp.topic, tp.partition): o for tp, o in next_offsets(records).items()} == {
        ("a", 0): 8,
        ("a", 2): 1,
        ("b", 0): 2,
    }


def test_lane_takes_in_arrival_order_and_drops_what_it_buffers():
    async def run():
        lane = Lane("ticket")
        lane.add([Record("t", 0, i, None, b"") for i in range(5)])
        assert lane.arrived.is_set()
        assert [r.offset for r in lane.take(3)] == [0, 1, 2]
        assert [r.offset for r in lane.take(3)] == [3, 4]
        assert not lane.arrived.is_set()
        lane.add([Record("t", 0, 5, None, b"")])
        assert lane.drop() == 1 and not lane.records and not lane.arrived.is_set()

    asyncio.run(run())
