"""Upgrade of a running deployment: the worker used to load dead letters in a consumer group of
its own (`<streams_group_id>-deadletters`); now the loader's group reads them. A worker of this
version starts each dead-letter partition where that group stopped: dead letters loaded
before the upgrade are not loaded again (which would also undo `dlq replay`'s marks), those
that arrived after are loaded once."""

import asyncio
from datetime import UTC, datetime

from streams import deadletters, envelope
from streams.config import StreamsSettings
from streams.lag import consumer_lag
from streams.rows import DeadLetter, Record
from tests.streams.harness import reset_raw, wait_until

PARTITIONS = 3


def _dead_letter(topic: str, offset: int) -> DeadLetter:
    rejection = envelope.Rejection(envelope.NOT_JSON, [envelope.violation("", "json", "broken")])
    return DeadLetter(Record(topic, 0, offset, b"k", f"not json {offset}".encode()), rejection)


async def _send(bootstrap: str, topic: str, letters: list[DeadLetter]) -> list[Record]:
    """Publish as the worker does; returns the records as the dead-letter topic holds them."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        out = []
        for i, dl in enumerate(letters):
            key, value, headers = deadletters.to_message(dl)
            meta = await producer.send_and_wait(
                topic, value, key=key, headers=headers, partition=i % PARTITIONS
            )
            out.append(Record(topic, meta.partition, meta.offset, key, value, headers))
        return out
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = {TopicPartition(t, p): o for (t, p), o in offsets.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()


def _members(bootstrap: str, group: str) -> list[str]:
    """Client ids of the group's members, as the broker lists them."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def described():
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [response] = await admin.describe_consumer_groups([group])
        finally:
            await admin.close()
        [(_error, _group, _state, _type, _protocol, members)] = response.groups
        return [member[1] for member in members]

    return asyncio.run(described())


def test_dead_letters_continue_where_the_former_group_stopped(
    topics, warehouse_server, make_worker
):
    reset_raw(warehouse_server)
    bootstrap, prefix = topics.bootstrap, topics.prefix
    worker = make_worker(bootstrap, prefix)
    group = worker.env["LIANXI_STREAMS_GROUP_ID"]
    settings = StreamsSettings(
        kafka_bootstrap=bootstrap, kafka_topic_prefix=prefix, streams_group_id=group
    )
    dl_topic, origin = settings.deadletter_topic, settings.topic("ticket")

    # Before the upgrade: 6 dead letters, loaded by the former worker (rows, then its group's
    # commits), and one of them replayed by `lianxi dlq replay` (its row re-inserted, marked).
    before = asyncio.run(_send(bootstrap, dl_topic, [_dead_letter(origin, i) for i in range(6)]))
    client = warehouse_server.native()
    columns = ", ".join(f"`{c}`" for c in deadletters.COLUMNS)
    loaded = [deadletters.to_row(r) for r in before]
    client.execute(f"INSERT INTO raw.dead_letters ({columns}) VALUES", loaded)
    replayed = (*loaded[0][:11], datetime.now(UTC), loaded[0][12])
    client.execute(f"INSERT INTO raw.dead_letters ({columns}) VALUES", [replayed])
    stopped_at: dict[tuple[str, int], int] = {}
    for r in before:
        stopped_at[(r.topic, r.partition)] = max(
            stopped_at.get((r.topic, r.partition), 0), r.offset + 1
        )
    asyncio.run(_commit(bootstrap, settings.deadletter_group_id, stopped_at))

    # During the upgrade (no worker running) 4 more arrive; then this version starts.
    asyncio.run(_send(bootstrap, dl_topic, [_dead_letter(origin, i) for i in range(6, 10)]))
    worker.start()

    def stored() -> int:
        return client.execute("SELECT count() FROM raw.dead_letters FINAL")[0][0]

    wait_until(lambda: stored() == 10, 120, "10 dead letters")
    # Everything read and committed by the one group: nothing left to (re)load.
    wait_until(
        lambda: consumer_lag(settings)["lag_by_topic"].get(dl_topic) == 0,
        60,
        "dead-letter lag 0",
    )
    assert stored() == 10
    assert (
        client.execute("SELECT uniqExact(topic, partition, offset) FROM raw.dead_letters FINAL")[0][
            0
        ]
        == 10
    )
    # Not reloaded: the replay mark of the first one is still the row that counts.
    assert (
        client.execute(
            "SELECT countIf(replayed_at IS NOT NULL) FROM raw.dead_letters FINAL "
            f"WHERE topic = '{origin}' AND offset = 0"
        )[0][0]
        == 1
    )
    # The new loads are only the 4 that arrived after (the former worker's 6 + 1 mark before).
    assert client.execute("SELECT count() FROM raw.dead_letters")[0][0] <= 11
    # The worker is one member of one group: its loader (Faust's own consumer is not started).
    assert _members(bootstrap, group) == [f"{group}-loader"]
    assert _members(bootstrap, settings.deadletter_group_id) == []
    worker.wait_ready()
    assert worker.terminate() == 0
