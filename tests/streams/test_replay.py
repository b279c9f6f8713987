"""`lianxi replay` rebuilds the raw tables from Kafka: from the beginning, or from a time."""

import json
import os
import subprocess
import time
from datetime import UTC, datetime

from tests.streams.events import mixed_events
from tests.streams.harness import LIANXI, ROOT, publish, raw_totals, worker_env


def _replay(env, *args):
    done = subprocess.run([LIANXI, "replay", *args], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return done


def test_replay_from_beginning_rebuilds_exact_tables(topics, warehouse_server, free_port):
    events = mixed_events(4000, seed=44)
    publish(topics.bootstrap, topics.prefix, events + events[:500])  # with re-deliveries
    env = worker_env(topics.bootstrap, topics.prefix, warehouse_server, free_port())
    client = warehouse_server.client()
    client.execute("INSERT INTO raw.wish_events (event_id, source, type, schema_version, "
                   "subject, time, wish_id, data, kafka_topic, kafka_partition, kafka_offset) "
                   "VALUES", [("stale", "/x", "lianxi.wish.posted", 1, "w", datetime.now(UTC),
                               "w", "{}", "t", 0, 0)])

    done = _replay(env, "--from-beginning")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["done"] == 4500 and summary["loaded"] == 4500
    assert summary["dead_letters"] == 0 and summary["events_per_second"] > 0
    assert "replay 4500/4500 events" in done.stderr  # progress
    final, distinct, _ = raw_totals(warehouse_server)
    assert final == distinct == 4000  # the stale row is gone, duplicates collapsed


def test_replay_from_a_time_loads_only_what_came_after(topics, warehouse_server, free_port):
    early, late = mixed_events(1000, seed=45), mixed_events(700, seed=46)
    publish(topics.bootstrap, topics.prefix, early)
    time.sleep(1.5)
    since = datetime.now(UTC)
    time.sleep(0.5)
    publish(topics.bootstrap, topics.prefix, late)
    env = worker_env(topics.bootstrap, topics.prefix, warehouse_server, free_port())
    assert _replay(env, "--from-beginning").returncode == 0
    client = warehouse_server.client()
    client.execute("TRUNCATE TABLE raw.ticket_events")  # lose one table

    done = _replay(env, "--from", since.isoformat())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done"] == 700
    late_tickets = {e["id"] for e in late if e["type"].startswith("lianxi.ticket.")}
    got = {r[0] for r in client.execute("SELECT event_id FROM raw.ticket_events FINAL")}
    assert got == late_tickets


def test_replay_usage_errors_are_machine_readable(topics, warehouse_server, free_port):
    env = worker_env(topics.bootstrap, topics.prefix, warehouse_server, free_port())
    for args, code in [((), "usage"), (("--from", "yesterday"), "invalid_time"),
                       (("--from", "2026-01-01T00:00:00"), "invalid_time")]:
        done = _replay(env, *args)
        assert done.returncode == 2
        assert json.loads(done.stderr.strip().splitlines()[-1])["error"] == code
