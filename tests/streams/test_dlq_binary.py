"""Issue #17: a binary-mode event that was dead-lettered is replayed as binary mode, with its
CloudEvents headers, and lands exactly once (private broker, private warehouse)."""

import json

from support.process import run_lianxi
from support.wait import wait_until

from tests.streams.events import make_event
from tests.streams.harness import create_topics


def _lianxi(env, *args):
    done = run_lianxi(env, *args, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _publish_binary(bootstrap, topic, event):
    from kafka import KafkaProducer

    headers = [
        (f"ce_{k}", str(v).encode())
        for k, v in event.items()
        if k not in ("data", "datacontenttype")
    ] + [("content-type", b"application/json")]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        producer.send(
            topic,
            key=event["subject"].encode(),
            headers=headers,
            value=json.dumps(event["data"], ensure_ascii=False).encode(),
        )
        producer.flush(60)
    finally:
        producer.close()
    return {k: v.decode() for k, v in headers}


def test_a_binary_mode_dead_letter_replays_once_with_its_headers(
    private_broker, warehouse_server, make_worker
):
    bootstrap, prefix = private_broker.bootstrap, "binary."
    create_topics(bootstrap, prefix)
    wh = warehouse_server.native()
    wh.execute("TRUNCATE TABLE raw.ticket_events")
    wh.execute("TRUNCATE TABLE raw.dead_letters")
    event = make_event("lianxi.ticket.opened", None, "bin-long-1")
    # 6 kB of UTF-8: over the 4 kB limit below.
    event["data"]["description"] = "路灯不亮" * 500
    # Larger than the worker is configured to accept: fixable by configuration, as in
    # test_worker_load's structured case.
    worker = make_worker(bootstrap, prefix, LIANXI_STREAMS_MAX_EVENT_BYTES="4096").start()
    sent = _publish_binary(bootstrap, f"{prefix}lianxi.ticket", event)

    def dead_letters():
        return wh.execute(
            "SELECT event_id, error_code, headers FROM raw.dead_letters FINAL "
            "WHERE replayed_at IS NULL"
        )

    wait_until(lambda: len(dead_letters()) == 1, 120, "the dead letter")
    [(_event_id, code, headers)] = dead_letters()  # oversized: never parsed, so no id
    assert code == "oversized"
    assert headers == sent  # ce_* and content-type, as the producer sent them

    # The fix: the default size limit. Replay re-checks it as the binary-mode event it is.
    assert worker.terminate() == 0
    worker = make_worker(bootstrap, prefix).start()
    [out] = _lianxi(worker.env, "dlq", "replay")
    assert out["replayed"] == 1 and out["still_invalid"] == []

    def loaded():
        return wh.execute(
            "SELECT count(), any(lengthUTF8(description)), any(source) "
            "FROM raw.ticket_events WHERE event_id = 'bin-long-1'"
        )[0]

    wait_until(lambda: loaded()[0] >= 1, 120, "the replayed event in raw")
    # A second replay finds nothing to do: the event is in raw exactly once.
    assert _lianxi(worker.env, "dlq", "replay")[0]["replayed"] == 0
    # SIGTERM drains: everything it would load has landed before counting.
    assert worker.terminate() == 0
    assert loaded() == (1, 2000, event["source"])
    assert wh.execute("SELECT count() FROM raw.dead_letters FINAL WHERE replayed_at IS NULL") == [
        (0,)
    ]
