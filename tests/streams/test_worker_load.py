"""The worker process against the real broker and the real warehouse server: exact rows with
duplicates and out-of-order lifecycles, poison messages to dead letters, dlq replay, metrics."""

import json
import random
import urllib.request

from support.process import run_lianxi
from support.wait import wait_until

from streams.config import DOMAINS, StreamsSettings
from streams.lag import consumer_lag
from tests.streams.events import encode, make_event, mixed_events, ticket_lifecycle
from tests.streams.harness import (
    publish,
    raw_totals,
    reset_raw,
    wait_for_rows,
)


def test_duplicates_and_out_of_order_lifecycles_load_exact_rows(
    topics, warehouse_server, make_worker
):
    reset_raw(warehouse_server)
    events = mixed_events(3000) + ticket_lifecycle(300)
    rng = random.Random(11)
    delivered = events + rng.sample(events, 600)  # producer retries / re-sent batches
    rng.shuffle(delivered)  # lifecycles arrive resolved-before-opened
    worker = make_worker(topics.bootstrap, topics.prefix).start()
    publish(topics.bootstrap, topics.prefix, delivered)
    wait_for_rows(warehouse_server, len(events))
    final, distinct, _ = raw_totals(warehouse_server)
    assert (final, distinct) == (len(events), len(events))

    # staging's way (LIMIT 1 BY source, event_id) agrees with FINAL
    wh = warehouse_server.native()
    by = wh.execute(
        "SELECT count() FROM (SELECT * FROM raw.ticket_events LIMIT 1 BY source, event_id)"
    )[0][0]
    expected_tickets = sum(1 for e in events if e["type"].startswith("lianxi.ticket."))
    assert by == expected_tickets
    # street_id filled from community_id where the producer sent only the community
    assert (
        wh.execute(
            "SELECT countIf(street_id = '') FROM raw.ticket_events FINAL "
            "WHERE type = 'lianxi.ticket.opened'"
        )[0][0]
        == 0
    )
    # per-domain exactness, and each row keeps its Kafka coordinates
    for d in DOMAINS:
        want = sum(1 for e in events if e["type"].split(".")[1] == d)
        got = wh.execute(f"SELECT count() FROM raw.{d}_events FINAL")[0][0]
        assert got == want, d
        assert (
            wh.execute(
                f"SELECT countIf(kafka_topic != '{topics.prefix}lianxi.{d}') FROM raw.{d}_events"
            )[0][0]
            == 0
        )

    metrics = (
        urllib.request.urlopen(
            f"http://127.0.0.1:{worker.env['LIANXI_STREAMS_METRICS_PORT']}/metrics", timeout=10
        )
        .read()
        .decode()
    )
    assert "lianxi_stream_events_total" in metrics
    assert "lianxi_stream_batch_insert_seconds_bucket" in metrics

    # `lianxi status` lag, from the broker: everything committed once it is loaded, and a
    # group that never committed owes every record of the topics.
    settings = StreamsSettings(
        kafka_bootstrap=topics.bootstrap,
        kafka_topic_prefix=topics.prefix,
        streams_group_id=worker.env["LIANXI_STREAMS_GROUP_ID"],
    )
    wait_until(lambda: consumer_lag(settings)["lag"] == 0, 60, "worker lag 0")
    fresh = consumer_lag(settings.model_copy(update={"streams_group_id": f"{topics.prefix}x"}))
    # the dead-letter topic is read by the same group, so it counts too (nothing on it here)
    assert fresh["lag"] == len(delivered) and fresh["partitions"] == 3 * (len(DOMAINS) + 1)
    assert worker.terminate() == 0  # SIGTERM drains and exits cleanly


def test_poison_messages_go_to_dead_letters_and_replay_after_a_fix(
    topics, warehouse_server, make_worker
):
    reset_raw(warehouse_server)
    good = mixed_events(500, seed=3)
    bad_enum = make_event("lianxi.wish.posted", None, "bad-enum-1")
    bad_enum["data"]["category"] = "gardening"  # not in the enum
    # valid, but larger than the worker is configured to accept: fixable by configuration
    long_ticket = make_event("lianxi.ticket.opened", None, "long-1")
    long_ticket["data"]["description"] = "路灯不亮" * 500  # 2000 characters, 6 kB of UTF-8
    poison = [
        ("ticket", b"\x00\x01 not json at all"),
        ("member", json.dumps({"id": "x", "type": "lianxi.member.registered"}).encode()),
        (
            "org",
            encode(
                {k: v for k, v in make_event("lianxi.org.unit_linked").items() if k != "dataschema"}
                | {"type": "lianxi.org.exploded"}
            ),
        ),
        ("ticket", encode(long_ticket)),
        ("wish", encode(bad_enum)),
    ]
    small = {"LIANXI_STREAMS_MAX_EVENT_BYTES": "4096"}
    worker = make_worker(topics.bootstrap, topics.prefix, **small).start()
    # poison in the middle of good traffic: the worker must keep going
    publish(topics.bootstrap, topics.prefix, good[:250], raw=poison)
    publish(topics.bootstrap, topics.prefix, good[250:])
    wait_for_rows(warehouse_server, len(good))
    wh = warehouse_server.native()

    def dead_letters():
        return wh.execute(
            "SELECT event_id, error_code, error FROM raw.dead_letters FINAL "
            "WHERE replayed_at IS NULL"
        )

    wait_until(lambda: len(dead_letters()) == 5, 120, "5 dead letters")
    codes = sorted(code for _, code, _ in dead_letters())
    assert codes == [
        "invalid_envelope",
        "not_json",
        "oversized",
        "schema_violation",
        "unknown_type",
    ]
    [errors] = [json.loads(err) for eid, _, err in dead_letters() if eid == "bad-enum-1"]
    assert {"field": "data.category", "rule": "enum"}.items() <= errors[0].items()
    assert raw_totals(warehouse_server)[1] == len(good)

    # Nothing is fixed yet: replay loads nothing and says why, per record.
    out = _lianxi(worker.env, "dlq", "replay")
    assert out["replayed"] == 0 and len(out["still_invalid"]) == 5

    # The fix: the size limit was too tight. Restart the worker with the default limit,
    # then replay: the long ticket loads, the four real poisons stay listed.
    assert worker.terminate() == 0
    worker = make_worker(topics.bootstrap, topics.prefix).start()
    out = _lianxi(worker.env, "dlq", "replay")
    assert out["replayed"] == 1 and len(out["still_invalid"]) == 4
    wait_for_rows(warehouse_server, len(good) + 1)
    assert wh.execute(
        "SELECT lengthUTF8(description) FROM raw.ticket_events FINAL WHERE event_id = 'long-1'"
    ) == [(2000,)]
    listed = _lianxi_lines(worker.env, "dlq", "list")
    assert len(listed) == 4 and all(row["replayed_at"] is None for row in listed)
    assert len(_lianxi_lines(worker.env, "dlq", "list", "--all")) == 5
    # replaying again changes nothing: the fixed one is marked replayed
    assert _lianxi(worker.env, "dlq", "replay")["replayed"] == 0
    assert raw_totals(warehouse_server)[1] == len(good) + 1


def _run(env, *args):
    return run_lianxi(env, *args, check=True).stdout


def _lianxi(env, *args):
    return json.loads(_run(env, *args))


def _lianxi_lines(env, *args):
    return [json.loads(line) for line in _run(env, *args).splitlines() if line.strip()]
