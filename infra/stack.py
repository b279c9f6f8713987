"""`lianxi up / down / status`: the local stack under one supervisord."""

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra import service_user
from infra.config import InfraSettings
from infra.errors import StackError, run_or_fail
from infra.health import port_free
from infra.kafka.broker import require_jars, require_java
from infra.ports import describe_holders
from infra.processes import memory_kb
from infra.services import Service, all_services, lianxi_executable, select
from infra.supervision import render
from infra.supervision.control import Supervisord
from infra.supervision.render import Paths

Echo = Callable[[str], None]

# Supervisor states after which waiting longer cannot help.
_GAVE_UP = {"FATAL", "EXITED", "STOPPED", "UNKNOWN"}


class Stack:
    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.paths = Paths(settings.var_dir)
        self.supervisord = Supervisord(self.paths)
        self.services = all_services(settings)

    # --- up -------------------------------------------------------------------------------

    def up(self, names: list[str], echo: Echo) -> None:
        wanted = select(self.services, names)
        self._preflight(wanted)
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        user = service_user.prepare(self.settings, service_user.resolve(self.settings))
        echo(user.reason)
        changed = render.write(self.settings, self.services, self.paths, user.name)
        started_supervisord = False
        if not self.supervisord.running():
            if self.supervisord.pid() is not None:
                raise StackError(
                    f"a supervisord (pid {self.supervisord.pid()}) owns {self.paths.pidfile} "
                    "but does not answer on its socket",
                    fix=f"stop that process, then run `lianxi up` again (logs: {self.paths.log_dir})",
                )
            echo(f"starting supervisord (config {self.paths.config})")
            self.supervisord.start()
            started_supervisord = True
        elif changed:
            echo("configuration changed: supervisord rereads it")
            self.supervisord.reload()
        try:
            for service in wanted:
                self._start(service, echo)
        except BaseException:
            if started_supervisord:
                echo("stopping what this run started, so nothing is left half-up")
                self.supervisord.shutdown()
            raise

    def _preflight(self, wanted: list[Service]) -> None:
        if any(service.name == "kafka" for service in wanted):
            require_java()
            assert self.settings.kafka_libs_dir is not None
            require_jars(self.settings.kafka_libs_dir)

    def _start(self, service: Service, echo: Echo) -> None:
        info = self.supervisord.processes().get(service.name, {})
        if info.get("statename") in {"RUNNING", "STARTING"} and self._healthy(service):
            echo(f"  {service.name:<12} already running  {service.url}")
            return
        if info.get("statename") not in {"RUNNING", "STARTING", "BACKOFF"}:
            self._check_ports(service)
        if service.prestart:
            self._prestart(service, echo)
        note = f" ({service.note})" if service.note else ""
        echo(f"  {service.name:<12} starting{note}")
        began = time.monotonic()
        self.supervisord.start_process(service.name)
        self._wait_healthy(service, began, echo)
        # Without a probe, RUNNING (alive past startsecs) is all supervisor can vouch for.
        outcome = "healthy" if service.health else "running"
        elapsed = time.monotonic() - began
        echo(f"  {service.name:<12} {outcome} after {elapsed:.1f}s  {service.url}".rstrip())

    def _prestart(self, service: Service, echo: Echo) -> None:
        command = [lianxi_executable(), *service.prestart]
        echo(f"  {service.name:<12} first: lianxi {' '.join(service.prestart)}")
        env = {**os.environ, **render.service_environment(self.settings)}
        run_or_fail(
            command,
            f"`lianxi {' '.join(service.prestart)}` (needed before {service.name}) failed",
            fix="fix the cause above, then `lianxi up` again",
            env=env,
        )

    def _check_ports(self, service: Service) -> None:
        for port, variable in zip(service.ports, service.port_variables, strict=True):
            if not port_free("127.0.0.1", port):
                raise StackError(
                    f"port {port} that {service.name} needs is already in use by "
                    f"{describe_holders(port)}",
                    fix=f"stop that process, or give {service.name} another port with {variable}",
                )

    def _healthy(self, service: Service) -> bool:
        if service.health is None:
            return self.supervisord.processes().get(service.name, {}).get("statename") == "RUNNING"
        return service.health()

    def _wait_healthy(self, service: Service, began: float, echo: Echo) -> None:
        deadline = began + service.start_timeout
        last_report = began
        while time.monotonic() < deadline:
            state = self.supervisord.processes().get(service.name, {}).get("statename", "UNKNOWN")
            if state in _GAVE_UP:
                self._fail(service, f"{service.name} exited ({state}) while starting")
            if state == "RUNNING" and self._healthy(service):
                return
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                # Long first starts (Superset's metadata) should not look like a hang.
                echo(f"  {service.name:<12} still starting ({time.monotonic() - began:.0f}s)")
            time.sleep(0.5)
        self._fail(service, f"{service.name} not healthy after {service.start_timeout:.0f}s")

    def _fail(self, service: Service, message: str) -> None:
        self.supervisord.stop_process(service.name)
        tail = tail_lines(self.paths.log_of(service.name), 20)
        raise StackError(
            f"{message}; last lines of {self.paths.log_of(service.name)}:\n{tail}",
            fix=f"read `lianxi logs {service.name}`, fix the cause, then `lianxi up` again",
        )

    # --- down -----------------------------------------------------------------------------

    def down(self, echo: Echo) -> list[str]:
        """Stop everything; returns problems (processes or ports still there), empty if clean."""
        if self.supervisord.running() or self.supervisord.pid() is not None:
            echo("stopping services and supervisord")
            survivors = self.supervisord.shutdown()
            for pid in survivors:
                # Only processes our own supervisord started reach this list.
                echo(f"  pid {pid} ignored SIGTERM: sending SIGKILL")
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        else:
            echo("the stack is not running")
        problems: list[str] = []
        for service in self.services:
            for port in service.ports:
                if not _wait_port_free(port, timeout=15.0):
                    problems.append(
                        f"port {port} ({service.name}) still held by {describe_holders(port)}"
                    )
        return problems

    # --- status ---------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        processes = self.supervisord.processes()
        rows = []
        for service in self.services:
            info = processes.get(service.name, {})
            state = info.get("statename", "STOPPED") if processes else "DOWN"
            rows.append(
                {
                    "service": service.name,
                    "url": service.url,
                    "state": state,
                    "healthy": bool(state == "RUNNING" and self._healthy(service)),
                    "pid": info.get("pid") or None,
                    "uptime_s": (info["now"] - info["start"]) if state == "RUNNING" else 0,
                    "rss_mb": round(memory_kb(info["pid"])["rss_kb"] / 1024, 1)
                    if info.get("pid")
                    else 0.0,
                    "log": str(self.paths.log_of(service.name)),
                }
            )
        return rows

    def pids(self) -> dict[str, int]:
        return {
            name: info["pid"]
            for name, info in self.supervisord.processes().items()
            if info.get("pid")
        }


def _wait_port_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not port_free("127.0.0.1", port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def tail_lines(path: Path, count: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return "(no log yet)"
    return "\n".join(lines[-count:])
