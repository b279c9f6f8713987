"""A long-running `lianxi …` command as a real child process (the stream worker, the alerts
service): started in a session of its own with its output appended to a log, stopped with
SIGTERM as a supervisor stops it, or killed with SIGKILL as a crash would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[2]
LIANXI = str(Path(sys.executable).with_name("lianxi"))


def stop_process(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM, as a supervisor stops a service; SIGKILL if it has not exited after timeout
    seconds. The exit code (the process's own if it had already ended)."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


class LianxiProcess:
    """`lianxi <args>` with this process's environment plus `env`, run from the repository."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [LIANXI, *self.args],
                env={**os.environ, **self.env},
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown code runs."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM to a running process; its exit code (the caller asserts the clean exit)."""
        assert self.process is not None, "the process was not started"
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM if it still runs, SIGKILL if it has not exited after timeout seconds."""
        if self.process:
            stop_process(self.process, timeout)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def run_lianxi(
    env: dict[str, str],
    *args: str,
    check: bool = False,
    timeout: float | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """`lianxi <args>` to its end, as an operator types it (this process's environment plus
    `env`); its output captured as text. check: CalledProcessError on a non-zero exit."""
    return subprocess.run(
        [LIANXI, *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )
