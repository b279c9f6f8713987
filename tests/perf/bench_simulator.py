"""Benchmark: how fast the simulator makes events, against the cheapest possible event source.

`python -m tests.perf.bench_simulator`. Rows:
- baseline: a loop that builds envelopes with a constant payload and a formatted time, i.e.
  the floor any generator of CloudEvents dicts pays; ratios are against it.
- generate_load: the load generator (lifecycles, references, heap ordering).
- seed_events: the whole seed year (generation plus the final sort).
- encode: msgspec JSON encoding of the same load events, what the producer adds per event, so
  one can see whether generation or encoding would bound `lianxi simulate load`.
Best of 3 runs each (the machine is shared; the best run is the least disturbed one).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from ingest.simulator import generate_load, seed_events
from ingest.simulator.cloudevent import DATASCHEMA
from tests.perf.report import record

N = 200_000
RUNS = 3


def baseline(n: int) -> int:
    made = 0
    for i in range(n):
        event = {
            "id": f"t-{i}.opened.1",
            "source": "/bench",
            "type": "lianxi.ticket.responded",
            "specversion": "1.0",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_798_732_800 + i)),
            "subject": f"t-{i}",
            "dataschema": DATASCHEMA["lianxi.ticket.responded"],
            "datacontenttype": "application/json",
            "data": {"ticket_id": f"t-{i}"},
        }
        made += event is not None
    return made


def load(n: int) -> int:
    return sum(1 for _ in generate_load(n, seed=1))


def seed(_: int) -> int:
    return len(seed_events())


def best(fn: Callable[[int], int], n: int) -> tuple[int, float]:
    times = []
    made = 0
    for _ in range(RUNS):
        began = time.perf_counter()
        made = fn(n)
        times.append(time.perf_counter() - began)
    return made, min(times)


def main() -> None:
    rows = []
    base_made, base_s = best(baseline, N)
    base_rate = base_made / base_s
    rows.append(
        {
            "case": "baseline (constant envelopes)",
            "events": base_made,
            "seconds": base_s,
            "events_per_s": base_rate,
            "ratio_to_baseline": 1.0,
        }
    )
    for name, fn in (("generate_load", load), ("seed_events (whole year)", seed)):
        made, seconds = best(fn, N)
        rows.append(
            {
                "case": name,
                "events": made,
                "seconds": seconds,
                "events_per_s": made / seconds,
                "ratio_to_baseline": made / seconds / base_rate,
            }
        )
    events = list(generate_load(N, seed=1))
    encode = msgspec.json.Encoder().encode
    made, seconds = best(lambda _: sum(1 for e in events if encode(e)), N)
    rows.append(
        {
            "case": "encode (msgspec, producer's share)",
            "events": made,
            "seconds": seconds,
            "events_per_s": made / seconds,
            "ratio_to_baseline": made / seconds / base_rate,
        }
    )
    record("simulator", rows)


if __name__ == "__main__":
    main()
