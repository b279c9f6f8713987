"""Who holds a TCP port: read from /proc so a clash message can name the process."""

import os
from pathlib import Path

_LISTEN = "0A"


def listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def holders(port: int) -> list[tuple[int, str]]:
    """(pid, command line) of each process listening on port, as far as /proc lets us see."""
    inodes = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    if not inodes:
        return []
    found: list[tuple[int, str]] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry.name}/fd")
            if any(os.readlink(f"/proc/{entry.name}/fd/{fd}") in inodes for fd in fds):
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                found.append((int(entry.name), cmdline.replace(b"\0", b" ").decode().strip()))
        except OSError:
            continue
    return found


def describe_holders(port: int) -> str:
    found = holders(port)
    if not found:
        return "another process"
    return ", ".join(f"pid {pid} ({cmd[:80]})" for pid, cmd in found)
