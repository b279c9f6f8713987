"""Waiting for something a test started: a predicate, or an HTTP endpoint of a child process."""

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.2
) -> None:
    """Poll until predicate() is true; AssertionError naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """The URL answers 200 right now."""
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Until url answers 200; RuntimeError with the log's tail if the process exits or time runs out."""

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url}: the process exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        return http_ok(url, timeout=1)

    try:
        wait_until(answers, timeout, url)
    except AssertionError:
        raise RuntimeError(
            f"{url} did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        ) from None
