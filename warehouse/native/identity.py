"""ServerIdentity: what the Hello packet tells clients, shared by the server and its connections."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ServerIdentity:
    """What the Hello packet tells clients, read once from the engine."""

    engine: Any
    display_name: str
    name: str = "ClickHouse"
    version: tuple[int, int, int] = (0, 0, 0)
    timezone: str = "UTC"
    _setting_types: dict[str, str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def load(self) -> ServerIdentity:
        row = (
            self.engine.execute("SELECT version(), timezone()", fmt="TabSeparated")
            .data.decode()
            .strip()
        )
        version, self.timezone = row.split("\t")
        numbers = [int(x) for x in version.split(".")[:3] if x.isdigit()]
        self.version = (numbers + [0, 0, 0])[:3]  # type: ignore[assignment]
        return self

    def setting_types(self) -> dict[str, str]:
        """Setting name → type; old clients send settings typed, and only the type says how."""
        with self._lock:
            if self._setting_types is None:
                data = self.engine.execute(
                    "SELECT name, type FROM system.settings", fmt="TabSeparated"
                ).data
                pairs = (line.split("\t", 1) for line in data.decode().splitlines())
                self._setting_types = {name: type_ for name, type_ in pairs}
            return self._setting_types
