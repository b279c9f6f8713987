"""dbt at scale: full `dbt build` over N generated events, then `dbt run` (incremental) after
100 k more — as a tick of the refresh loop's long-lived process (`lianxi dbt refresh --loop`:
dbt loaded and the project parsed already, `runner.WarmDbt`) and, after another 100 k, as a
fresh `dbt` process — then the freshness of the live headline tile, on a private warehouse
server.
Targets (DESIGN.md): build at 10 M events ≤ 60 s, incremental after 100 k ≤ 10 s, live
headline tile p95 ≤ 5 s after publishing.

Events are generated inside the warehouse (INSERT … SELECT FROM numbers()) with the mix of a
district year — tickets with their whole lifecycle, wishes, volunteer posts, registrations
and check-ins, joint meetings — so the measurement is dbt's, not Python's. The baseline,
measured in the same run, is the floor any correct transformation pays: one deduplicating
scan of every raw table (`LIMIT 1 BY source, event_id`); ratios are dbt / baseline.

The N base events are stamped as loaded before the build (`ingested_at`), one per second per
domain, the last one an hour before, as on a running platform where the stream worker loaded
them over the past days and the refresh loop already saw them; only the 100 k new events
(and the base events of the last LIANXI_DBT_LOOKBACK_SECONDS before the watermark) fall after
the incremental watermark. The watermark is the newest load stamp the target holds, minus
the look-back: with all N base events under one stamp, all N would sit inside the look-back
and the "incremental" run would recompute everything (it did, before this was spread out).

Per dbt run the rows break the wall time down: `startup_s` (process start, imports, project
parse: wall minus dbt's own elapsed time; for a loop tick only what dbt does before its
first node), the seconds dbt spent per node kind (summed over its threads) and the load
average; `loop_start_s` is the loop process's first tick (parse and a run over the
look-back). Live tile: one `lianxi.ticket.opened` event at a time goes through the streams
stage's row mapping into raw (what the worker's sink does), then
`marts.live_headline_today` is polled until `tickets_opened` moves; the seconds from the
event's publish stamp to the tile showing it. Kafka and the worker's batching come on top;
bench_streams measures publish -> queryable raw row.

    python -m tests.perf.bench_dbt                 # 1 M events
    python -m tests.perf.bench_dbt 1000000 10000000
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dbt_project.runner import WarmDbt
from tests.dbt import scenario
from tests.dbt.private_warehouse import DbtWarehouse, failure_summary
from tests.dbt.raw_loader import load_events
from tests.perf.report import record

INCREMENT = 100_000
AS_OF = "2027-01-01T00:00:00Z"
SPAN_SECONDS = 365 * 86400
BASE = "toDateTime64('2026-01-01 00:00:00', 3, 'UTC')"
# Share of the events per domain and events per aggregate in that domain.
MIX = {
    "ticket": (0.45, 5),
    "wish": (0.15, 3),
    "volunteer": (0.15, 5),
    "member": (0.20, 4),
    "meeting": (0.05, 2),
}
DOMAINS = ("org", "member", "meeting", "wish", "volunteer", "resources", "ticket", "assessment")
# The base events were loaded this long before the build (see the module docstring).
LOADED_BEFORE = "now64(3) - toIntervalHour(1)"
# ... one per second per domain: `{last}` is the domain's last base event number, `n` the event's.
BASE_LOADED_AT = LOADED_BEFORE + " - toIntervalSecond({last} - n)"
LIVE_PROBES = 40

# One community per aggregate, round-robin over 9 streets x 9 communities.
SCOPE = """
    concat('s-0', toString(intDiv(agg % 81, 9) + 1)) as street_id,
    concat('c-0', toString(intDiv(agg % 81, 9) + 1), '-0', toString(agg % 9 + 1)) as community_id
"""


def _frame(first: int, count: int, per: int, aggregates: int) -> str:
    # n: event number within the domain, agg: aggregate number, stage: its lifecycle step
    return (
        f"select number + {first} as n, intDiv(n, {per}) as agg, n % {per} as stage, "
        f"{BASE} + toIntervalSecond(intDiv(agg * {SPAN_SECONDS}, {max(aggregates, 1)})) "
        f"+ toIntervalMinute(stage * (17 + agg % 300)) as at, {SCOPE} from numbers({count})"
    )


def _generate(domain: str, first: int, count: int, aggregates: int, loaded_at: str) -> str:
    per = MIX[domain][1]
    frame = _frame(first, count, per, aggregates)
    head = "concat('{d}-', toString(n)) as event_id, '/bench/dbt' as source, {t} as type, 1 as schema_version"
    if domain == "ticket":
        t = "['lianxi.ticket.opened','lianxi.ticket.assigned','lianxi.ticket.responded','lianxi.ticket.resolved','lianxi.ticket.rated'][stage + 1]"
        cols = (
            "event_id, source, type, schema_version, subject, time, street_id, community_id, ticket_id, channel, "
            "category, project, assignee_unit_id, resolution, satisfaction"
        )
        select = (
            f"{head.format(d='t', t=t)}, concat('t', toString(agg)) as subject, at, "
            "if(stage = 0, street_id, '') , if(stage = 0, community_id, ''), subject, "
            "if(stage = 0, ['hotline','grid_manager','one_key_call','enterprise','joint_meeting','walk_in'][agg % 6 + 1], NULL), "
            "if(stage = 0, ['road_traffic','environment','property','public_safety','utilities','enterprise_service','social_service','other'][agg % 8 + 1], NULL), "
            "if(stage = 0 and agg % 50 = 0, 'industrial_park', NULL), if(stage = 1, 'u-1', NULL), "
            "if(stage = 3, 'done', NULL), if(stage = 4, ['satisfied','basically_satisfied','unsatisfied'][agg % 3 + 1], NULL)"
        )
    elif domain == "wish":
        t = "['lianxi.wish.posted','lianxi.wish.claimed','lianxi.wish.fulfilled'][stage + 1]"
        cols = "event_id, source, type, schema_version, subject, time, street_id, community_id, wish_id, category, resident_id, member_id"
        select = (
            f"{head.format(d='w', t=t)}, concat('w', toString(agg)) as subject, at, "
            "if(stage = 0, street_id, ''), if(stage = 0, community_id, ''), subject, "
            "if(stage = 0, ['daily_help','elderly_care','child_care','education','health','environment','other'][agg % 7 + 1], NULL), "
            "if(stage = 0, concat('r-', toString(agg)), NULL), if(stage > 0, concat('m-', toString(agg % 5000)), NULL)"
        )
    elif domain == "volunteer":
        t = "['lianxi.volunteer.post_published','lianxi.volunteer.post_claimed','lianxi.volunteer.post_claimed','lianxi.volunteer.hours_logged','lianxi.volunteer.hours_logged'][stage + 1]"
        cols = "event_id, source, type, schema_version, subject, time, street_id, community_id, post_id, category, slots, member_id, hours"
        select = (
            f"{head.format(d='v', t=t)}, concat('p', toString(agg)) as subject, at, "
            "if(stage = 0, street_id, ''), if(stage = 0, community_id, ''), subject, "
            "if(stage = 0, ['elderly_care','environment','safety','culture','education','health','other'][agg % 7 + 1], NULL), "
            "if(stage = 0, 3, NULL), if(stage > 0, concat('m-', toString((agg + stage % 2) % 5000)), NULL), "
            "if(stage > 2, 1.5, NULL)"
        )
    elif domain == "member":
        t = "if(stage = 0, 'lianxi.member.registered', 'lianxi.member.checked_in')"
        cols = "event_id, source, type, schema_version, subject, time, street_id, community_id, member_id, in_service, project, activity_id"
        select = (
            f"{head.format(d='m', t=t)}, concat('m-', toString(agg)) as subject, at, street_id, community_id, subject, "
            "if(stage = 0, agg % 4 != 0, NULL), NULL, if(stage > 0, concat('a-', toString(agg % 100)), NULL)"
        )
    else:  # meeting: community meetings, scheduled then held
        t = "if(stage = 0, 'lianxi.meeting.scheduled', 'lianxi.meeting.held')"
        cols = (
            "event_id, source, type, schema_version, subject, time, street_id, community_id, meeting_id, level, "
            "scheduled_for, chair_role, held_at, attending_unit_ids, agenda_items"
        )
        select = (
            f"{head.format(d='mt', t=t)}, concat('mt', toString(agg)) as subject, at, street_id, community_id, subject, "
            "'community', if(stage = 0, at, NULL), if(stage = 1, 'community_secretary', NULL), "
            "if(stage = 1, at, NULL), if(stage = 1, ['u-1'], []), if(stage = 1, 2, NULL)"
        )
    return f"insert into raw.{domain}_events ({cols}, ingested_at) select {select}, {loaded_at} from ({frame})"


def _structure() -> list[str]:
    return [
        (
            "insert into raw.org_events (event_id, source, type, schema_version, subject, time, street_id, community_id, name_zh, ingested_at) "
            f"select concat('st-', toString(number)), '/bench/dbt', 'lianxi.org.street_registered', 1, "
            f"concat('s-0', toString(number + 1)), {BASE}, concat('s-0', toString(number + 1)), '', "
            f"concat('街道', toString(number + 1)), {LOADED_BEFORE} from numbers(9)"
        ),
        (
            "insert into raw.org_events (event_id, source, type, schema_version, subject, time, street_id, community_id, name_zh, ingested_at) "
            f"select concat('co-', toString(number)), '/bench/dbt', 'lianxi.org.community_registered', 1, "
            f"concat('c-0', toString(intDiv(number, 9) + 1), '-0', toString(number % 9 + 1)), {BASE}, "
            f"concat('s-0', toString(intDiv(number, 9) + 1)), concat('c-0', toString(intDiv(number, 9) + 1), '-0', toString(number % 9 + 1)), "
            f"concat('社区', toString(number)), {LOADED_BEFORE} from numbers(81)"
        ),
        (
            "insert into raw.org_events (event_id, source, type, schema_version, subject, time, street_id, community_id, "
            "unit_id, name_zh, unit_type, level, party_members, ingested_at) "
            f"select concat('un-', toString(number)), '/bench/dbt', 'lianxi.org.unit_linked', 1, concat('u-', toString(number)), "
            f"{BASE}, concat('s-0', toString(number % 9 + 1)), '', concat('u-', toString(number)), '单位', 'other', 'street', 40, "
            f"{LOADED_BEFORE} from numbers(1155)"
        ),
    ]


def load(
    server: DbtWarehouse, total: int, already: dict[str, int], loaded_at: str = "now64(3)"
) -> float:
    """Generate `total` events split per MIX (continuing the numbering in `already`), stamped
    `ingested_at = loaded_at` (an expression of the event number `n` and `{last}`); seconds taken."""
    admin = server.client()
    began = time.perf_counter()
    for domain, (share, per) in MIX.items():
        count = int(total * share) // per * per
        first = already.get(domain, 0)
        aggregates = (first + count) // per
        stamp = loaded_at.format(last=first + count - 1)
        admin.command(
            _generate(domain, first, count, aggregates, stamp), settings={"async_insert": 0}
        )
        already[domain] = first + count
    return time.perf_counter() - began


def baseline_scan(server: DbtWarehouse) -> float:
    admin = server.client()
    began = time.perf_counter()
    for domain in DOMAINS:
        admin.query(
            f"select count() from (select source, event_id from raw.{domain}_events limit 1 by source, event_id)"
        )
    return time.perf_counter() - began


def _where_it_went(server: DbtWarehouse, seconds: float) -> dict:
    results = json.loads(
        (Path(server.dbt_env()["DBT_TARGET_PATH"]) / "run_results.json").read_text()
    )
    kinds: dict[str, float] = {}
    for node in results["results"]:
        kind = node["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0.0) + node["execution_time"]
    models = [r for r in results["results"] if r["unique_id"].startswith("model.")]
    slowest = sorted(models, key=lambda r: -r["execution_time"])[:3]
    return {
        "seconds": seconds,
        "dbt_elapsed_s": float(results["elapsed_time"]),
        "startup_s": seconds - float(results["elapsed_time"]),
        "models_s": kinds.get("model", 0.0),
        "tests_s": kinds.get("test", 0.0) + kinds.get("unit_test", 0.0),
        "slowest_models": " ".join(
            f"{r['unique_id'].split('.')[-1]}={r['execution_time']:.1f}s" for r in slowest
        ),
        "load_avg_1m": os.getloadavg()[0],
    }


def timed_dbt(server: DbtWarehouse, *args: str) -> dict:
    """Wall seconds of a fresh dbt process and where they went (see the module docstring)."""
    began = time.perf_counter()
    result = server.dbt(*args, as_of=AS_OF)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{failure_summary(result)}")
    return _where_it_went(server, elapsed)


def timed_warm(server: DbtWarehouse, dbt: WarmDbt, *args: str) -> dict:
    """The same for a run of the refresh loop's in-process dbt (project already parsed)."""
    began = time.perf_counter()
    result = dbt.invoke([*args, "--quiet"])
    elapsed = time.perf_counter() - began
    if not result.success:
        raise SystemExit(
            f"dbt {' '.join(args)} failed in process: {result.exception or result.result}"
        )
    return _where_it_went(server, elapsed)


def live_tile(server: DbtWarehouse, probes: int = LIVE_PROBES) -> dict:
    """Publish stamp -> `marts.live_headline_today` counting the event, one event at a time."""
    client, writer = server.client(), server.writer()

    def opened() -> int:
        return int(
            client.query("select tickets_opened from marts.live_headline_today").result_rows[0][0]
        )

    query_s: list[float] = []
    latencies: list[float] = []
    for _ in range(probes):
        ticket = f"t-live-{uuid.uuid4().hex[:12]}"
        before = opened()
        published = time.perf_counter()
        event = scenario.event(
            "lianxi.ticket.opened",
            ticket,
            datetime.now(UTC),
            {
                "ticket_id": ticket,
                "channel": "walk_in",
                "category": "other",
                "community_id": "c-01-01",
                "street_id": "s-01",
                "grid_id": None,
                "project": None,
                "reporter_id": None,
                "description": "bench",
            },
        )
        load_events(writer, [event])
        while True:
            asked = time.perf_counter()
            now_open = opened()
            query_s.append(time.perf_counter() - asked)
            if now_open > before:
                break
            if time.perf_counter() - published > 60:
                raise SystemExit("live tile did not move within 60 s")
        latencies.append(time.perf_counter() - published)
    latencies.sort()
    return {
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))],
        "max_s": latencies[-1],
        "tile_query_p50_s": statistics.median(query_s),
    }


def run(total: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as workdir:
        server = DbtWarehouse(Path(workdir)).start()
        try:
            admin = server.client()
            for sql in _structure():
                admin.command(sql, settings={"async_insert": 0})
            counts: dict[str, int] = {}
            load_s = load(server, total, counts, BASE_LOADED_AT)
            events = admin.query("select count() from merge('raw', '_events$')").result_rows[0][0]
            base_s = baseline_scan(server)
            build = timed_dbt(server, "build")
            # The refresh loop's process: its first tick parses the project (and catches up).
            began = time.perf_counter()
            warm = WarmDbt(server.settings(AS_OF), server.dbt_env())
            timed_warm(server, warm, "run")
            loop_start_s = time.perf_counter() - began
            load(server, INCREMENT, counts)
            base_inc_s = baseline_scan(server)
            inc = timed_warm(server, warm, "run")
            load(server, INCREMENT, counts)
            cold = timed_dbt(server, "run")
            tickets = admin.query("select count() from marts.fct_tickets").result_rows[0][0]
            live = live_tile(server)
        finally:
            server.stop()
    return [
        {
            "step": "full dbt build",
            "events": events,
            **build,
            "baseline_s": base_s,
            "ratio": build["seconds"] / base_s,
            "events_per_s": events / build["seconds"],
            "target_s": 60.0 * events / 10_000_000,
            "load_s": load_s,
        },
        {
            "step": f"incremental dbt run (+{INCREMENT:,}), refresh loop tick",
            "events": events + INCREMENT,
            **inc,
            "baseline_s": base_inc_s,
            "ratio": inc["seconds"] / base_inc_s,
            "events_per_s": INCREMENT / inc["seconds"],
            "target_s": 10.0,
            "loop_start_s": loop_start_s,
        },
        {
            "step": f"incremental dbt run (+{INCREMENT:,}), fresh dbt process",
            "events": events + 2 * INCREMENT,
            **cold,
            "events_per_s": INCREMENT / cold["seconds"],
            "target_s": 10.0,
            "fct_tickets": tickets,
        },
        {
            "step": f"live tile, insert -> visible ({LIVE_PROBES} events)",
            "events": events + 2 * INCREMENT,
            "seconds": live["p95_s"],
            **live,
            "target_s": 5.0,
            "load_avg_1m": os.getloadavg()[0],
        },
    ]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1_000_000]
    rows: list[dict] = []
    for total in sizes:
        rows += run(total)
    record("dbt", rows)


if __name__ == "__main__":
    main(sys.argv[1:])
