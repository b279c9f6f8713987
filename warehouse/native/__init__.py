"""ClickHouse native TCP protocol for the embedded warehouse (port 9000 by default)."""

from warehouse.native.server import NativeServer

__all__ = ["NativeServer"]
