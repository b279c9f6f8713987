"""What `lianxi status` says about a service beyond "healthy": later stages provide it.

The stack knows processes and ports, not what they do; a stage registers a function that
summarises its service (the worker: consumer lag) when its commands are registered, so the
foundation never imports the stages built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Detail = Callable[[], dict[str, Any]]

_DETAILS: dict[str, Detail] = {}


def provide(service: str, detail: Detail) -> None:
    _DETAILS[service] = detail


def detail_of(service: str) -> dict[str, Any] | None:
    """The service's summary, or {"error": ...} when it cannot be had right now."""
    fn = _DETAILS.get(service)
    if fn is None:
        return None
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - status must print whatever is down
        return {"error": f"{type(exc).__name__}: {exc}"}
