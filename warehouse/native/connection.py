"""One client connection: handshake, then a loop of queries, pings and cancels.

Runs in its own thread. Every failure the client caused ends in an Exception packet;
failures that leave the byte stream unparseable also end the connection, because no
later packet boundary can be trusted. Nothing here may take the server down.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from warehouse import statement
from warehouse.errors import UNKNOWN_DATABASE, UNKNOWN_EXCEPTION, ProtocolError, QueryError
from warehouse.native import packets
from warehouse.native import protocol as p
from warehouse.native.blocks import Block, Column, encode_block, iter_native, read_block
from warehouse.native.frames import METHOD_LZ4, METHODS, compress, frame_source
from warehouse.native.identity import ServerIdentity
from warehouse.native.wire import Reader, string, varint

log = logging.getLogger(__name__)

RECV_BYTES = 1 << 18
CANCEL_POLL_SECONDS = 0.1
IOV_MAX = 1024  # Linux's limit on buffers per sendmsg
# Rows arriving for an INSERT are handed to the engine once this much is buffered (or
# max_request_bytes, if smaller: no engine INSERT is larger than an HTTP body may be), so a
# long stream of blocks neither waits for its end nor holds it all in memory.
INSERT_FLUSH_BYTES = 32 << 20
# An acknowledged INSERT must be readable at once, as on a real server's native port
# (chdb 26.9 defaults async_insert to on); a client's own setting still wins.
INSERT_SETTINGS = {"async_insert": "0"}
_PROFILE_EVENTS_HEADER = Block(
    0,
    [
        Column("host_name", "String", b""),
        Column("current_time", "DateTime", b""),
        Column("thread_id", "UInt64", b""),
        Column("type", "Int8", b""),
        Column("name", "String", b""),
        Column("value", "Int64", b""),
    ],
)


class ClientGone(Exception):
    """The peer closed the connection."""


class Connection:
    def __init__(
        self,
        sock: socket.socket,
        engine: Any,
        users: Any,
        identity: ServerIdentity,
        *,
        flush_bytes: int,
    ) -> None:
        self.sock = sock
        self.flush_bytes = flush_bytes
        self.engine = engine
        self.users = users
        self.identity = identity
        self.raw = Reader(fill=self._recv)
        self.compressed: Reader | None = None
        self.revision = 0
        self.user: Any = None
        self.database: str | None = None
        self.session_settings: dict[str, str] = {}
        self.compression_method = METHOD_LZ4

    # --- transport -----------------------------------------------------------------

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(RECV_BYTES)
        except (ConnectionError, TimeoutError):
            return b""

    def _send(self, *parts: bytes) -> None:
        self.sock.sendall(b"".join(parts))

    def _read_more(self) -> bool:
        """One recv into the buffer (blocking); False when the client has hung up."""
        chunk = self._recv()
        if chunk:
            self.raw.feed(chunk)
        return bool(chunk)

    def _at_eof(self) -> bool:
        return not self.raw.available() and not self._read_more()

    # --- main loop -----------------------------------------------------------------

    def run(self) -> None:
        try:
            self._handshake()
            while not self._at_eof():
                self.raw.compact()
                self._dispatch(self.raw.varint())
        except ClientGone:
            pass
        except QueryError as exc:
            self._send_exception_quietly(exc)
        except OSError as exc:
            log.debug("native connection dropped: %s", exc)
        except Exception:
            log.exception("native connection failed")
            self._send_exception_quietly(
                QueryError(UNKNOWN_EXCEPTION, "internal error in the native protocol server")
            )

    def _send_exception_quietly(self, exc: QueryError) -> None:
        try:
            self._send(packets.exception(exc.code, exc.name, exc.message))
        except OSError:
            pass

    def _handshake(self) -> None:
        if self._at_eof():
            raise ClientGone
        kind = self.raw.varint()
        if kind != p.ClientPacket.HELLO:
            raise ProtocolError(
                "UNEXPECTED_PACKET_FROM_CLIENT", f"expected Hello, got packet type {kind}"
            )
        hello = packets.read_hello(self.raw)
        self.revision = min(hello.revision, p.SERVER_REVISION)
        self.user = self.users.authenticate(hello.user, hello.password)
        self.database = hello.database or None
        ident = self.identity
        self._send(
            packets.hello(
                self.revision,
                name=ident.name,
                version=ident.version,
                timezone=ident.timezone,
                display_name=ident.display_name,
            )
        )
        if self.revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_ADDENDUM:
            self.raw.string()  # quota key: quotas are not enforced by this server
        if self.database:
            self._check_database(self.database)

    def _dispatch(self, kind: int) -> None:
        if kind == p.ClientPacket.PING:
            self._send(packets.pong())
        elif kind == p.ClientPacket.QUERY:
            self._query()
        elif kind == p.ClientPacket.CANCEL:
            pass  # nothing is running between queries
        elif kind == p.ClientPacket.DATA:
            raise ProtocolError("UNEXPECTED_PACKET_FROM_CLIENT", "Data packet outside of a query")
        elif kind in p.ClientPacket._value2member_map_:
            raise ProtocolError(
                "UNEXPECTED_PACKET_FROM_CLIENT",
                f"packet {p.ClientPacket(kind).name} is not supported",
            )
        else:
            raise ProtocolError(
                "UNKNOWN_PACKET_FROM_CLIENT", f"unknown packet type {kind} from client"
            )

    # --- queries -------------------------------------------------------------------

    def _query(self) -> None:
        query = packets.read_query(self.raw, self.revision, self.identity.setting_types())
        if query.compression and self.compressed is None:
            self.compressed = Reader(fill=frame_source(self.raw))
        external = self._read_external_tables(query.compression)
        query_id = query.query_id or str(uuid.uuid4())
        method = query.settings.get("network_compression_method", "lz4").lower()
        self.compression_method = METHODS.get(method, METHOD_LZ4)
        started = time.monotonic()
        try:
            if external:
                raise ProtocolError(
                    "NOT_IMPLEMENTED", f"external tables are not supported: {', '.join(external)}"
                )
            if query.stage != p.QUERY_STAGE_COMPLETE:
                raise ProtocolError(
                    "NOT_IMPLEMENTED", f"query processing stage {query.stage} is not supported"
                )
            target = statement.insert_target(query.text)
            if target is not None:
                self._insert(query, query_id, target, started)
                return
            if (database := statement.use_database(query.text)) is not None:
                self._check_database(database)
                self.database = database
                self._finish(packets.Progress(), started)
                return
            if (assignments := statement.set_assignments(query.text)) is not None:
                self._check_settings(assignments)
                self.session_settings.update(assignments)
                self._finish(packets.Progress(), started)
                return
            self._select(query, query_id, started)
        except QueryError as exc:
            self._send(packets.exception(exc.code, exc.name, exc.message))

    def _settings(
        self, query: packets.Query, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        merged = {**self.session_settings, **query.settings}
        # Transport-level settings are this server's business, not the engine's.
        merged.pop("network_compression_method", None)
        merged.pop("network_zstd_compression_level", None)
        if extra:
            for name, value in extra.items():
                merged.setdefault(name, value)
        return merged

    def _execute(self, text: str, *, query_id: str | None = None, **kwargs: Any) -> Any:
        # Always name the database: pooled engine connections remember the last one used.
        database = self.database or "default"
        return self.engine.execute(
            text, database=database, user=self.user, query_id=query_id, **kwargs
        )

    def _check_database(self, database: str) -> None:
        result = self.engine.execute(
            "SELECT count() FROM system.databases WHERE name = {db:String}",
            fmt="TabSeparated",
            params={"db": database},
            user=self.user,
        )
        if result.data.strip() != b"1":
            raise QueryError(UNKNOWN_DATABASE, f"Database {database} does not exist")

    def _check_settings(self, settings: Mapping[str, str]) -> None:
        # Validate now, as ClickHouse does, rather than failing every later query.
        self._execute("SELECT 1", fmt="TabSeparated", settings=settings)

    def _read_external_tables(self, compressed: bool) -> list[str]:
        """Consume the (normally empty) external-table blocks every query is followed by."""
        names: list[str] = []
        while True:
            kind = self.raw.varint()
            if kind != p.ClientPacket.DATA:
                raise ProtocolError(
                    "UNEXPECTED_PACKET_FROM_CLIENT",
                    f"expected Data after Query, got packet type {kind}",
                )
            name, block = self._read_data(compressed)
            if block.empty:
                return names
            names.append(name or "_data")

    def _read_data(self, compressed: bool) -> tuple[str, Block]:
        name = (
            self.raw.string() if self.revision >= p.DBMS_MIN_REVISION_WITH_TEMPORARY_TABLES else ""
        )
        reader = self.compressed if compressed and self.compressed is not None else self.raw
        block = read_block(reader, self.revision, wire=True)
        reader.compact()
        return name, block

    def _send_block(self, block: Block, compressed: bool, kind: int = p.ServerPacket.DATA) -> None:
        parts = encode_block(block, self.revision, wire=True)
        if compressed:
            parts = [compress(b"".join(parts), self.compression_method)]
        self._send_parts([varint(kind) + string(""), *parts])

    def _send_parts(self, parts: list[bytes | memoryview]) -> None:
        """Scatter-gather send: column data goes out without being joined into one copy."""
        views = [memoryview(part) for part in parts if len(part)]
        while views:
            sent = self.sock.sendmsg(views[:IOV_MAX])
            while sent:
                first = views[0]
                if sent >= len(first):
                    sent -= len(first)
                    views.pop(0)
                else:
                    views[0] = first[sent:]
                    sent = 0

    # --- SELECT and everything else that returns blocks ----------------------------

    def _select(self, query: packets.Query, query_id: str, started: float) -> None:
        text = statement.without_format(query.text)
        if self._take_cancel():  # cancelled before it started
            self._send(packets.end_of_stream())
            return
        done = threading.Event()
        # The watcher sleeps in select(); a byte on this pipe ends that sleep the moment the
        # query is done. Without it every query answered up to CANCEL_POLL_SECONDS late
        # (a native `SELECT 1` took 101 ms).
        wake_r, wake_w = os.pipe()
        watcher = threading.Thread(
            target=self._watch_for_cancel, args=(query_id, done, wake_r), daemon=True
        )
        watcher.start()
        try:
            result = self._execute(
                text,
                query_id=query_id,
                fmt="Native",
                settings=self._settings(query),
                params=query.params or None,
            )
        except QueryError:
            if self._take_cancel():
                self._send(packets.end_of_stream())
                return
            raise
        finally:
            done.set()
            os.write(wake_w, b"\0")
            watcher.join()
            os.close(wake_r)
            os.close(wake_w)
        if self._take_cancel():
            self._send(packets.end_of_stream())
            return
        blocks = 0
        rows = 0
        header_sent = False
        cancelled = False
        for block in iter_native(result.data):
            if not header_sent:
                self._send_block(block.header(), query.compression)
                header_sent = True
            self._send_block(block, query.compression)
            blocks += 1
            rows += block.rows
            if self._cancel_requested():
                cancelled = True
                break
        if not header_sent and statement.is_select_like(text):
            header = self._describe(text, query)
            if header is not None:
                self._send_block(header, query.compression)
        if cancelled:
            self._send(packets.end_of_stream())
            return
        progress = packets.Progress(
            rows=result.rows_read,
            bytes=result.bytes_read,
            written_rows=result.written_rows,
            written_bytes=result.written_bytes,
        )
        if header_sent:
            self._send(packets.profile_info(rows, blocks, len(result.data)))
        self._finish(progress, started)

    def _describe(self, text: str, query: packets.Query) -> Block | None:
        """Column names and types of a query that returned no rows (Native then writes nothing)."""
        try:
            result = self._execute(
                f"DESCRIBE TABLE ({text}) FORMAT JSONEachRow",
                settings=self._settings(query),
                params=query.params or None,
            )
        except QueryError:
            return None
        columns = []
        for line in result.data.decode("utf-8").splitlines():
            row = json.loads(line)
            columns.append(Column(row["name"], row["type"], b""))
        return Block(0, columns)

    def _watch_for_cancel(self, query_id: str, done: threading.Event, wake: int) -> None:
        """While the engine runs, peek (never read) for a Cancel or a hang-up and stop the
        query; returns as soon as `wake` is readable (the query is done)."""
        while not done.is_set():
            if self.raw.available():
                first = self.raw.buf[self.raw.pos]
            else:
                readable, _, _ = select.select([self.sock, wake], [], [], CANCEL_POLL_SECONDS)
                if done.is_set():
                    return
                if self.sock not in readable:
                    continue
                try:
                    peeked = self.sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    peeked = b""
                first = peeked[0] if peeked else p.ClientPacket.CANCEL
            if first != p.ClientPacket.CANCEL:
                return
            # Repeat: the query may not have reached the engine yet when the Cancel came.
            while not done.is_set():
                self.engine.cancel(query_id)
                done.wait(CANCEL_POLL_SECONDS)

    def _client_sent(self) -> bool:
        """Whether bytes from the client wait (buffered, or readable now), without blocking;
        ClientGone if it hung up."""
        if self.raw.available():
            return True
        readable, _, _ = select.select([self.sock], [], [], 0)
        if not readable:
            return False
        if not self._read_more():
            raise ClientGone
        return True

    def _take_cancel(self) -> bool:
        """Consume a Cancel the client sent while its query ran, if there is one."""
        if not self._client_sent():
            return False
        if self.raw.buf[self.raw.pos] != p.ClientPacket.CANCEL:
            return False
        self.raw.pos += 1
        return True

    def _cancel_requested(self) -> bool:
        """Between blocks, look for a Cancel (or a vanished client) without blocking."""
        if not self._client_sent():
            return False
        kind = self.raw.varint()
        if kind == p.ClientPacket.CANCEL:
            return True
        if kind == p.ClientPacket.PING:
            self._send(packets.pong())
            return False
        raise ProtocolError(
            "UNEXPECTED_PACKET_FROM_CLIENT", f"packet type {kind} while a query is running"
        )

    def _finish(self, progress: packets.Progress, started: float) -> None:
        progress.elapsed_ns = int((time.monotonic() - started) * 1e9)
        self._send(packets.progress(self.revision, progress), packets.end_of_stream())

    # --- INSERT with rows sent as blocks -------------------------------------------

    def _insert(
        self, query: packets.Query, query_id: str, target: statement.InsertTarget, started: float
    ) -> None:
        header = self._insert_header(target)
        self._send_block(header, query.compression)
        columns = ", ".join(statement.quote_identifier(c.name) for c in header.columns)
        sql = f"INSERT INTO {target.table} ({columns}) FORMAT Native"
        settings = self._settings(query, INSERT_SETTINGS)
        pending: list[bytes] = []
        pending_bytes = 0
        progress = packets.Progress()

        def flush() -> None:
            nonlocal pending_bytes
            if not pending:
                return
            data = b"".join(pending)
            pending.clear()
            pending_bytes = 0
            self._execute(sql, query_id=query_id, settings=settings, data=data)

        try:
            while True:
                kind = self.raw.varint()
                if kind == p.ClientPacket.CANCEL:
                    self._send(packets.end_of_stream())
                    return
                if kind != p.ClientPacket.DATA:
                    raise ProtocolError(
                        "UNEXPECTED_PACKET_FROM_CLIENT", f"expected Data during INSERT, got {kind}"
                    )
                _, block = self._read_data(query.compression)
                if not block.empty and block.rows:
                    _check_columns(block, header)
                    parts = encode_block(block, 0, wire=False)
                    size = sum(len(x) for x in parts)
                    pending.extend(parts)
                    pending_bytes += size
                    progress.written_rows += block.rows
                    progress.written_bytes += size
                    if pending_bytes >= self.flush_bytes:
                        flush()
                if block.empty:
                    flush()
                    self._send_profile_events()
                    break
                self._send_profile_events()
        except QueryError as exc:
            # The client may still be sending blocks we cannot frame reliably: say why, then hang up.
            self._send(packets.exception(exc.code, exc.name, exc.message))
            raise ClientGone from None
        if self.revision >= p.DBMS_MIN_REVISION_WITH_CLIENT_WRITE_INFO:
            self._finish(progress, started)
        else:
            # Clients older than write progress (e.g. clickhouse-client 18.16) reject a
            # Progress packet after an INSERT.
            self._send(packets.end_of_stream())

    def _insert_header(self, target: statement.InsertTarget) -> Block:
        result = self._execute(f"DESCRIBE TABLE {target.table} FORMAT JSONEachRow")
        insertable: dict[str, str] = {}
        for line in result.data.decode("utf-8").splitlines():
            row = json.loads(line)
            if row.get("default_type") not in ("MATERIALIZED", "ALIAS", "EPHEMERAL"):
                insertable[row["name"]] = row["type"]
        names = target.columns or tuple(insertable)
        missing = [n for n in names if n not in insertable]
        if missing:
            raise QueryError(
                16,
                f"No such column {missing[0]} in table {target.table}",
                "NO_SUCH_COLUMN_IN_TABLE",
            )
        return Block(0, [Column(n, insertable[n], b"") for n in names])

    def _send_profile_events(self) -> None:
        if self.revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_PROFILE_EVENTS_IN_INSERT:
            self._send_block(_PROFILE_EVENTS_HEADER, False, p.ServerPacket.PROFILE_EVENTS)


def _check_columns(block: Block, header: Block) -> None:
    expected = {c.name for c in header.columns}
    for column in block.columns:
        if column.name not in expected:
            raise ProtocolError(
                "INCORRECT_DATA", f"block column {column.name!r} is not in the INSERT header"
            )
