"""`record(bench, rows)`: print a benchmark's rows as a table and keep them in var/bench/.

Each row is appended to var/bench/<bench>.jsonl with the time and commit of the run, so runs
can be compared later (`jq` or pandas over the file).
"""

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from infra.config import REPO_ROOT, InfraSettings


def _commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row_cells in cells:
        lines.append(
            "  ".join(
                c.rjust(w) if c[:1].isdigit() or c[:1] == "-" else c.ljust(w)
                for c, w in zip(row_cells, widths, strict=True)
            )
        )
    return "\n".join(lines)


def record(bench: str, rows: list[dict[str, Any]], var_dir: Path | None = None) -> Path:
    """Print rows and append them to <var_dir>/bench/<bench>.jsonl; returns that file."""
    target_dir = (var_dir or InfraSettings().var_dir) / "bench"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{bench}.jsonl"
    stamp = {
        "bench": bench,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _commit(),
    }
    with target.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({**stamp, **row}, ensure_ascii=False, default=str) + "\n")
    print(f"\n== {bench} ({stamp['at']}, {stamp['commit']}) ==")
    print(table(rows))
    print(f"(appended to {target})")
    return target
