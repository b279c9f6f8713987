"""NativeServer: accepts TCP clients and runs one Connection per client thread."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from typing import Any

from warehouse.native.connection import INSERT_FLUSH_BYTES, Connection
from warehouse.native.identity import ServerIdentity

log = logging.getLogger(__name__)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


class NativeServer:
    """ClickHouse native TCP protocol in front of `engine`; see warehouse/README.md."""

    def __init__(self, engine: Any, users: Any, settings: Any) -> None:
        self.engine = engine
        self.users = users
        self.identity = ServerIdentity(
            engine, getattr(settings, "display_name", "lianxi-warehouse")
        ).load()
        self.flush_bytes = min(
            INSERT_FLUSH_BYTES, int(getattr(settings, "max_request_bytes", INSERT_FLUSH_BYTES))
        )
        self._clients: set[socket.socket] = set()
        self._clients_lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve_client(self.request)

        self._tcp = _TCPServer((settings.warehouse_host, settings.warehouse_native_port), Handler)

    @property
    def port(self) -> int:
        return int(self._tcp.server_address[1])

    def serve_forever(self) -> None:
        self._tcp.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop accepting, close every client connection; call from another thread than serve_forever."""
        self._tcp.shutdown()
        self._tcp.server_close()
        with self._clients_lock:
            clients = list(self._clients)
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve_client(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._clients_lock:
            self._clients.add(sock)
        try:
            Connection(
                sock, self.engine, self.users, self.identity, flush_bytes=self.flush_bytes
            ).run()
        finally:
            with self._clients_lock:
                self._clients.discard(sock)
