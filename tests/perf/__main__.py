"""`python -m tests.perf` (`make bench`): run every tests/perf/bench_*.py, one after another.

Each runs in its own process (`python -m tests.perf.bench_<name>`) so one benchmark's memory
and threads never colour the next one's numbers. Exits non-zero if any benchmark failed.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    benches = sorted(path.stem for path in HERE.glob("bench_*.py"))
    if selected:
        benches = [name for name in benches if name in selected or name[6:] in selected]
    if not benches:
        print("no benchmark selected", file=sys.stderr)
        return 2
    failed = []
    for name in benches:
        print(f"\n##### {name}", flush=True)
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", f"tests.perf.{name}"], cwd=HERE.parent.parent, check=False
        )
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"##### {name}: {status} in {time.monotonic() - began:.0f}s", flush=True)
        if result.returncode != 0:
            failed.append(name)
    print(f"\n{len(benches) - len(failed)} benchmarks ok, {len(failed)} failed {failed or ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
