"""`lianxi replay` rebuilds the raw tables from Kafka: from the beginning, or from a time."""

import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.process import LIANXI, REPO, run_lianxi
from support.wait import wait_until

from streams import replay as replay_module
from streams.config import StreamsSettings
from streams.enrichment import OrgRegistry
from streams.envelope import parse_time
from streams.replay import _COUNTS, Slice, _Loader, _shares
from streams.rows import epoch_ms
from tests.streams.events import BASE_TIME, example_data, make_event, mixed_events
from tests.streams.harness import (
    publish,
    raw_totals,
    worker_env,
)


def _env(topics, warehouse_server, free_port, **extra):
    """The settings a replay of the test's topics into the private warehouse runs with."""
    return worker_env(topics.bootstrap, topics.prefix, warehouse_server, free_port(), **extra)


def _replay(env, *args):
    return run_lianxi(env, "replay", *args)


def test_shares_keep_topics_whole_and_balance_records():
    slices = [Slice("a", p, 0, 50) for p in range(2)] + [
        Slice("b", 0, 0, 40),
        Slice("c", 0, 0, 30),
        Slice("c", 1, 0, 10),
        Slice("d", 0, 10, 30),
    ]
    shares = _shares(slices, 2)
    assert sorted(sum(s.size for s in g) for g in shares) == [100, 100]
    for topic in "abcd":
        assert sum(any(s.topic == topic for s in g) for g in shares) == 1
    assert sorted(s for g in shares for s in g) == sorted(slices)  # nothing lost or doubled


def test_a_topic_bigger_than_a_share_is_split_by_partition():
    slices = [Slice("big", p, 0, 100) for p in range(3)] + [Slice("small", 0, 0, 30)]
    shares = _shares(slices, 2)
    assert sorted(sum(s.size for s in g) for g in shares) == [130, 200]
    assert _shares(slices, 1) == [sorted(slices, key=lambda s: -s.size)]
    assert _shares([], 4) == []


def test_loader_batches_per_domain_and_bounds_what_it_buffers(monkeypatch):
    inserted: list[tuple[str, int]] = []
    monkeypatch.setattr(
        _Loader,
        "_insert",
        lambda self, batch: inserted.append(
            (batch.table.domain, len(batch.rows) + len(batch.dead_letters))
        ),
    )
    counters = [0] * _COUNTS
    loader = _Loader(StreamsSettings(), OrgRegistry(), counters, 0, "run", batch_rows=100)

    def records(topic: str, n: int):
        return [
            SimpleNamespace(topic=topic, partition=0, offset=i, key=None, value=b"{}", headers=())
            for i in range(n)
        ]

    for _ in range(3):
        loader.add("ticket", records("lianxi.ticket", 50))  # a full batch goes at 100
    loader.add("wish", records("lianxi.wish", 90))
    loader.wait()  # inserts run in the loader's thread
    assert inserted == [("ticket", 100)]
    loader.add("member", records("lianxi.member", 80))  # 50 + 90 + 80 >= 2 batches buffered
    loader.wait()
    assert inserted == [("ticket", 100), ("wish", 90)]  # the fullest buffer went
    loader.finish()
    assert sorted(inserted[2:]) == [("member", 80), ("ticket", 50)]
    assert counters[0] == 320  # every record counted once (here as dead letters: not events)


def test_loader_never_runs_two_inserts_into_one_table_at_once(monkeypatch):
    # One clickhouse-driver client per table: two inserts of one domain at once would share
    # it (seen: "Bad file descriptor" and retries when the end's remainder of a domain went
    # while that domain's last full batch was still in flight).
    lock, busy, overlaps, inserted = threading.Lock(), set(), [], []

    def slow_insert(self, batch):
        domain = batch.table.domain
        with lock:
            if domain in busy:
                overlaps.append(domain)
            busy.add(domain)
        time.sleep(0.2)  # a slow warehouse: the in-flight window the next flush could hit
        with lock:
            busy.discard(domain)
            inserted.append((domain, batch.records))

    monkeypatch.setattr(_Loader, "_insert", slow_insert)
    loader = _Loader(StreamsSettings(), OrgRegistry(), [0] * _COUNTS, 0, "run", batch_rows=100)
    records = [
        SimpleNamespace(
            topic="lianxi.ticket", partition=0, offset=i, key=None, value=b"{}", headers=()
        )
        for i in range(130)
    ]
    loader.add("ticket", records[:100])  # a full batch: in flight, sleeping
    loader.add("ticket", records[100:])  # the remainder, sent by finish()
    loader.finish()
    assert overlaps == [] and inserted == [("ticket", 100), ("ticket", 30)]


@pytest.mark.parametrize("processes", ["1", "3"])
def test_replay_from_beginning_rebuilds_exact_tables(
    topics, warehouse_server, free_port, processes
):
    events = mixed_events(4000, seed=44)
    publish(topics.bootstrap, topics.prefix, events + events[:500])  # with re-deliveries
    env = _env(topics, warehouse_server, free_port, LIANXI_STREAMS_REPLAY_PROCESSES=processes)
    client = warehouse_server.native()
    client.execute(
        "INSERT INTO raw.wish_events (event_id, source, type, schema_version, "
        "subject, time, wish_id, data, kafka_topic, kafka_partition, kafka_offset) "
        "VALUES",
        [("stale", "/x", "lianxi.wish.posted", 1, "w", datetime.now(UTC), "w", "{}", "t", 0, 0)],
    )

    done = _replay(env, "--from-beginning")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["done"] == 4500 and summary["loaded"] == 4500
    assert summary["dead_letters"] == 0 and summary["events_per_second"] > 0
    assert summary["processes"] == int(processes)
    assert "replay 4500/4500 events" in done.stderr  # progress
    final, distinct, _ = raw_totals(warehouse_server)
    assert final == distinct == 4000  # the stale row is gone, duplicates collapsed
    # Times go over the wire as epoch milliseconds: every one lands as the event said.
    expected = {
        e["id"]: epoch_ms(parse_time(e["time"]))
        for e in events
        if e["type"].startswith("lianxi.wish.")
    }
    got = dict(
        client.execute("SELECT event_id, toUnixTimestamp64Milli(time) FROM raw.wish_events FINAL")
    )
    assert got == expected


def test_replay_from_a_time_loads_only_what_came_after(topics, warehouse_server, free_port):
    early, late = mixed_events(1000, seed=45), mixed_events(700, seed=46)
    publish(topics.bootstrap, topics.prefix, early)
    time.sleep(1.5)
    since = datetime.now(UTC)
    time.sleep(0.5)
    publish(topics.bootstrap, topics.prefix, late)
    env = _env(topics, warehouse_server, free_port)
    assert _replay(env, "--from-beginning").returncode == 0
    client = warehouse_server.native()
    client.execute("TRUNCATE TABLE raw.ticket_events")  # lose one table

    done = _replay(env, "--from", since.isoformat())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done"] == 700
    late_tickets = {e["id"] for e in late if e["type"].startswith("lianxi.ticket.")}
    got = {r[0] for r in client.execute("SELECT event_id FROM raw.ticket_events FINAL")}
    assert got == late_tickets


def test_replay_usage_errors_are_machine_readable(topics, warehouse_server, free_port):
    env = _env(topics, warehouse_server, free_port)
    for args, code in [
        ((), "usage"),
        (("--from", "yesterday"), "invalid_time"),
        (("--from", "2026-01-01T00:00:00"), "invalid_time"),
        (("--from-beginning", "--processes", "0"), "usage"),
    ]:
        done = _replay(env, *args)
        assert done.returncode == 2
        assert json.loads(done.stderr.strip().splitlines()[-1])["error"] == code


def test_replay_enriches_from_org_events_published_after_the_members(
    topics, warehouse_server, free_port
):
    # The org topic is scanned for the registry before anything loads, so a member (or a
    # building party group, an org event itself) published before its community was
    # registered still gets the registered street, not the id convention's (s-77).
    members = []
    for i in range(300):
        data = example_data("lianxi.member.registered") | {
            "member_id": f"m-{i:06d}",
            "community_id": "c-77-01",
        }
        data.pop("street_id")
        members.append(
            make_event(
                "lianxi.member.registered", data, f"m-{i}", time=BASE_TIME + timedelta(minutes=i)
            )
        )
    community = make_event(
        "lianxi.org.community_registered",
        {"community_id": "c-77-01", "street_id": "s-09", "name_zh": "测试社区"},
        "org-1",
        time=BASE_TIME + timedelta(days=1),
    )
    groups = []
    for i in range(40):
        data = example_data("lianxi.org.building_group_formed") | {
            "group_id": f"g-77-{i:04d}",
            "community_id": "c-77-01",
        }
        data.pop("street_id", None)
        groups.append(
            make_event(
                "lianxi.org.building_group_formed",
                data,
                f"g-{i}",
                time=BASE_TIME + timedelta(minutes=i),
            )
        )
    publish(
        topics.bootstrap,
        topics.prefix,
        [*members, *groups, community, *mixed_events(3000, seed=48)],
    )
    env = _env(topics, warehouse_server, free_port, LIANXI_STREAMS_REPLAY_PROCESSES="2")

    done = _replay(env, "--from-beginning")
    assert done.returncode == 0, done.stderr
    streets = warehouse_server.native().execute(
        "SELECT street_id, count() FROM raw.member_events FINAL "
        "WHERE community_id = 'c-77-01' GROUP BY street_id"
    )
    assert streets == [("s-09", 300)]
    org_streets = warehouse_server.native().execute(
        "SELECT street_id, count() FROM raw.org_events FINAL "
        "WHERE community_id = 'c-77-01' GROUP BY street_id ORDER BY street_id"
    )
    assert org_streets == [("s-09", 41)]  # the 40 groups and the registration itself


def test_replay_killed_with_sigkill_leaves_no_loader_behind_and_reruns_exactly(
    topics, warehouse_server, free_port
):
    events = mixed_events(60000, seed=47)
    publish(topics.bootstrap, topics.prefix, events)
    # Small batches: rows land all along, so there is a "mid-load" to kill it in.
    env = _env(
        topics,
        warehouse_server,
        free_port,
        LIANXI_STREAMS_REPLAY_PROCESSES="2",
        LIANXI_STREAMS_REPLAY_BATCH_SIZE="1000",
    )
    client = warehouse_server.native()

    def loaded() -> int:
        return sum(
            client.execute(f"SELECT count() FROM raw.{d}_events")[0][0]
            for d in ("member", "ticket", "wish", "volunteer", "meeting")
        )

    # Kill the parent only, mid-load, as the OOM killer would.
    proc = subprocess.Popen(
        [LIANXI, "replay", "--from-beginning"],
        env={**os.environ, **env},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def loaders() -> list[str]:
            return subprocess.run(
                ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
            ).stdout.split()

        # The loaders start after the tables were emptied: rows seen from then on are theirs.
        wait_until(lambda: loaders() or proc.poll() is not None, 300, "loader processes")
        children = loaders()
        wait_until(lambda: loaded() > 0 or proc.poll() is not None, 300, "replay loading")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "replay finished before it could be killed"
    assert children, "the replay had no loader processes"

    def orphans() -> list[str]:
        return [
            p
            for p in children
            if os.path.exists(f"/proc/{p}") and "lianxi" in open(f"/proc/{p}/cmdline").read()
        ]

    wait_until(lambda: not orphans(), 30, "loaders to die with their parent")

    done = _replay(env, "--from-beginning")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done"] == 60000
    final, distinct, before_merges = raw_totals(warehouse_server)
    assert final == distinct == before_merges == 60000


def _one_loader_fails_the_other_is_slow(settings, slices, slot, run_id, batch_rows, poll_records):
    """Stands in for replay's _load_share in the forked loaders (module level: pickled by
    name). Loader 1 fails once loader 2 is busy; loader 2 would take two minutes."""
    marks = Path(os.environ["LIANXI_TEST_MARKS"])
    if slot == 1:
        wait_until(lambda: (marks / "slow-started").exists(), 60, "the slow loader")
        raise RuntimeError("loader 1 lost Kafka")
    (marks / "slow-started").write_text(str(os.getpid()))
    time.sleep(120)
    (marks / "slow-finished").write_text("finished its share")


def test_a_failing_loader_stops_the_others_at_once(
    topics, warehouse_server, free_port, monkeypatch, tmp_path
):
    # Nothing is committed when a loader fails, so the others' work is void: the replay must
    # fail now, with the loader's error, not once every other share is done.
    publish(topics.bootstrap, topics.prefix, mixed_events(600, seed=49))
    for name, value in _env(
        topics, warehouse_server, free_port, LIANXI_STREAMS_REPLAY_PROCESSES="2"
    ).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIANXI_TEST_MARKS", str(tmp_path))
    monkeypatch.setattr(replay_module, "_load_share", _one_loader_fails_the_other_is_slow)

    with pytest.raises(RuntimeError, match="loader 1 lost Kafka"):
        replay_module.replay(StreamsSettings(), truncate=True)
    slow = int((tmp_path / "slow-started").read_text())
    assert not os.path.exists(f"/proc/{slow}"), "the slow loader outlived the failed replay"
    assert not (tmp_path / "slow-finished").exists()
