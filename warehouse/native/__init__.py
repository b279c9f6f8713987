"""ClickHouse native TCP protocol for the embedded warehouse (port 9000 by default).

The server is `warehouse.native.server.NativeServer`; this package imports nothing, so that any
of its modules (the frame codec, the wire reader) can be imported alone, without a circle.
"""
