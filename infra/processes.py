"""Process trees and their memory, read from /proc (the stack's services fork: gunicorn, JVM)."""

import os
from pathlib import Path


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    return int(stat.rsplit(")", 1)[1].split()[1])


def tree(pid: int) -> list[int]:
    """pid and all its descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if Path(f"/proc/{current}").exists():
            found.append(current)
            pending.extend(children.get(current, []))
    return found


def _kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_kb(pid: int) -> dict[str, int]:
    """RSS (pages counted in every process that maps them) and PSS (shared pages split) of
    the whole tree under pid: RSS overstates forked servers, PSS is the fair share."""
    pids = tree(pid)
    return {
        "rss_kb": sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids),
        "pss_kb": sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids),
        "processes": len(pids),
    }
