"""Start, query and shut down the stack's supervisord through its unix socket (XML-RPC)."""

import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from infra.errors import StackError
from infra.supervision.render import Paths


class Supervisord:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def _proxy(self) -> Any:
        from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

        transport = SupervisorTransport(None, None, serverurl=f"unix://{self.paths.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def pid(self) -> int | None:
        try:
            pid = int(self.paths.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def running(self) -> bool:
        if not self.paths.socket.exists():
            return False
        try:
            return bool(self._proxy().getState()["statename"] == "RUNNING")
        except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
            return False

    def start(self, timeout: float = 30.0) -> None:
        """Launch supervisord (it daemonizes) and wait until its socket answers."""
        stale = self.pid()
        if stale is None:
            # A socket or pidfile left by a killed supervisord would make it refuse to start.
            self.paths.socket.unlink(missing_ok=True)
            self.paths.pidfile.unlink(missing_ok=True)
        supervisord = Path(sys.executable).parent / "supervisord"
        if not supervisord.exists():
            raise StackError("supervisord is not installed in the venv", fix="run `make setup`")
        result = subprocess.run(
            [str(supervisord), "-c", str(self.paths.config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                "supervisord did not start: " + (result.stdout + result.stderr).strip()[-1500:],
                fix=f"see {self.paths.log_dir / 'supervisord.log'}",
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                return
            time.sleep(0.2)
        raise StackError(
            f"supervisord did not answer on {self.paths.socket} within {timeout:.0f}s",
            fix=f"see {self.paths.log_dir / 'supervisord.log'}",
        )

    def reload(self) -> None:
        """Apply a changed config: add new programs, restart changed ones, drop removed ones."""
        proxy = self._proxy()
        [[added, changed, removed]] = proxy.reloadConfig()
        for name in removed + changed:
            try:
                proxy.stopProcessGroup(name, True)
            except xmlrpc.client.Fault:
                pass
            proxy.removeProcessGroup(name)
        for name in added + changed:
            proxy.addProcessGroup(name)

    def processes(self) -> dict[str, dict[str, Any]]:
        if not self.running():
            return {}
        return {info["name"]: info for info in self._proxy().getAllProcessInfo()}

    def start_process(self, name: str) -> None:
        try:
            self._proxy().startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            # ALREADY_STARTED is what a second `lianxi up` meets: harmless.
            if "ALREADY_STARTED" not in fault.faultString:
                raise

    def stop_process(self, name: str) -> None:
        try:
            self._proxy().stopProcess(name, True)
        except xmlrpc.client.Fault:
            pass

    def shutdown(self, timeout: float = 120.0) -> list[int]:
        """Stop every service and supervisord itself; returns pids that outlived the wait."""
        pids = [info["pid"] for info in self.processes().values() if info["pid"]]
        own = self.pid()
        if own is not None:
            pids.append(own)
        if self.running():
            proxy = self._proxy()
            # Stop in reverse start order so consumers go before the broker they read from.
            for info in reversed(proxy.getAllProcessInfo()):
                try:
                    proxy.stopProcess(info["name"], True)
                except xmlrpc.client.Fault:
                    pass
            try:
                proxy.shutdown()
            except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.2)
        survivors = [pid for pid in pids if _alive(pid)]
        if not survivors:
            self.paths.socket.unlink(missing_ok=True)
            self.paths.pidfile.unlink(missing_ok=True)
        return survivors


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; only its parent has yet to reap it.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
