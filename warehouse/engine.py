"""The one owner of the chdb data directory in this process; runs queries for every interface.

Facts about chdb 26.9 this relies on (probed on this machine):
- several `chdb.session.Session` objects on one path share one embedded server, keep separate
  settings / current database / temporary tables, and run queries in parallel with the GIL
  released; one Session runs one query at a time. So: a pool of connections for stateless
  queries, one connection per HTTP session.
- a failed query can leave its partial output in the connection's buffer, which then prefixes
  the next result; a failed connection is drained (sessions) or dropped (pool).
- `send_insert(query, fmt)` + `append(bytes)` + `finish()` feeds data in any input format; a
  bad block fails the whole insert and nothing of it is written.
"""

import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chdb import session as chdb_session

from warehouse.access import check as access
from warehouse.access.model import ACCESS_STATEMENT, access_statements, role_name
from warehouse.config import ROLES
from warehouse.errors import (
    ABORTED,
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
    QUOTA_EXCEEDED,
    SESSION_IS_LOCKED,
    TOO_MANY_SIMULTANEOUS_QUERIES,
    UNKNOWN_SETTING,
    QueryError,
)
from warehouse.statement import (
    leading_keyword,
    output_format,
    split_insert,
    with_infile,
)
from warehouse.users import User, admin_user

__all__ = ["Engine", "QueryError", "QueryResult"]

DEFAULT_FORMAT = "TabSeparated"

# ClickHouse 26 turns async_insert on: an acknowledged small insert would sit in a buffer,
# invisible to the next SELECT and lost on kill -9. Inserts here are synchronous, so an
# acknowledged insert is a written part. wait_for_async_insert stays 1 so that a client that
# asks for async_insert explicitly still gets its acknowledgement only after the flush.
BASE_SETTINGS: dict[str, str] = {"async_insert": "0", "wait_for_async_insert": "1"}
# Settings a client may not change: they are the server's durability and safety guarantees.
PINNED_SETTINGS = frozenset({"wait_for_async_insert", "readonly"})
_SETTING_NAME = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_STATEFUL_STATEMENTS = frozenset({"SET", "USE", "CREATE", "DROP"})
# What `lianxi warehouse migrate` sends to bind users to the model's roles (warehouse/users.py).
_USER_BINDING = re.compile(
    r"^(?:CREATE USER IF NOT EXISTS|ALTER USER) \w+ IDENTIFIED WITH sha256_hash BY '[0-9a-f]{64}'$"
    r"|^ALTER USER \w+ DEFAULT ROLE (\w+)$|^GRANT (\w+) TO \w+$"
)


@dataclass
class QueryResult:
    data: bytes
    rows_read: int
    bytes_read: int
    written_rows: int
    written_bytes: int
    elapsed: float
    format: str = DEFAULT_FORMAT  # the output format actually used
    query_id: str = ""


@dataclass
class _Connection:
    session: chdb_session.Session
    key: tuple[str, bool]  # (role, read-only request): the pool it returns to
    database: str | None = "default"  # None: unknown (after a USE), set before the next query
    applied: dict[str, str] = field(default_factory=dict)  # request settings now in effect
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    timeout: float = 60.0
    user: str = ""
    limits: dict[str, str] = field(default_factory=dict)  # the role's profile values
    spent: bool = False  # its state no longer matches a fresh connection: do not reuse


class Engine:
    """Thread-safe query runner over one chdb data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        max_concurrent_queries: int = 32,
        max_execution_time: float = 0.0,
        session_timeout: float = 60.0,
        max_session_timeout: float = 3600.0,
        spool_dir: Path | None = None,
        user_files_dir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        # INSERT bodies pass through a file (see _execute_on); memory-backed when possible.
        self.spool_dir = str(spool_dir or _default_spool_dir())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.max_concurrent_queries = max_concurrent_queries
        self.max_execution_time = max_execution_time
        self.session_timeout = session_timeout
        self.max_session_timeout = max_session_timeout
        self._path = str(self.data_dir)
        if user_files_dir is not None:
            # file() and the file engines resolve relative paths here: an empty directory.
            Path(user_files_dir).mkdir(parents=True, exist_ok=True)
            self._path += f"?user_files_path={Path(user_files_dir).resolve()}"
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrent_queries)
        self._pool: dict[tuple[str, bool], list[_Connection]] = {}
        self._per_user: dict[str, int] = {}  # running queries per user
        self._quota_used: dict[
            str, tuple[float, dict[str, float]]
        ] = {}  # user -> (window start, used)
        # What the admin may send of the access model: the embedded server built its rights
        # from these statements at start, so re-applying them is answered as done.
        self._model_statements = frozenset(access_statements())
        self._sessions: dict[tuple[str, str], _Connection] = {}
        self._running: dict[str, str] = {}  # client query_id -> marker in the query text
        self._closed = False
        # The first Session starts the embedded server; it also serves internal look-ups.
        self._control = self._open(("admin", False), {})
        row = (
            self._run(self._control, "SELECT version(), timezone()", "TabSeparated")
            .bytes()
            .decode()
            .split("\t")
        )
        self.version, self.timezone = row[0], row[1].strip()

    # -- connections -------------------------------------------------------------------

    def _open(self, key: tuple[str, bool], limits: Mapping[str, str]) -> _Connection:
        conn = _Connection(chdb_session.Session(self._path), key=key)
        conn.limits = dict(limits)
        base = dict(BASE_SETTINGS)
        if self.max_execution_time:
            base["max_execution_time"] = _number(self.max_execution_time)
        base.update(limits)
        self._run(conn, "SET " + ", ".join(f"{k} = {_literal(v)}" for k, v in base.items()))
        if key[1]:
            # readonly=2: data and DDL refused by ClickHouse itself, settings still allowed,
            # which every driver needs (clickhouse-connect sends a dozen per query).
            self._run(conn, "SET readonly = 2")
        return conn

    def _base_value(self, conn: _Connection, name: str) -> str | None:
        if name in conn.limits:
            return conn.limits[name]
        if name == "max_execution_time" and self.max_execution_time:
            return _number(self.max_execution_time)
        return BASE_SETTINGS.get(name)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if self._closed:
            raise QueryError(ABORTED, "Server is shutting down")
        if not self._slots.acquire(blocking=False):
            raise QueryError(
                TOO_MANY_SIMULTANEOUS_QUERIES,
                f"Too many simultaneous queries. Maximum: {self.max_concurrent_queries}",
            )
        try:
            yield
        finally:
            self._slots.release()

    @contextmanager
    def _user_slot(self, user: User) -> Iterator[None]:
        """The role's max_concurrent_queries_for_user, and its quota."""
        limit = int(float(user.role.limit("max_concurrent_queries_for_user") or 0))
        with self._lock:
            running = self._per_user.get(user.name, 0)
            if limit and running >= limit:
                raise QueryError(
                    TOO_MANY_SIMULTANEOUS_QUERIES,
                    f"Too many simultaneous queries for user {user.name}. Current: {running}, maximum: {limit}",
                )
            used = self._quota_check(user)
            self._per_user[user.name] = running + 1
        started = time.monotonic()
        failed = True
        try:
            yield
            failed = False
        finally:
            with self._lock:
                self._per_user[user.name] -= 1
                if used is not None:
                    used["queries"] = used.get("queries", 0) + 1
                    used["errors"] = used.get("errors", 0) + failed
                    used["execution_time"] = (
                        used.get("execution_time", 0) + time.monotonic() - started
                    )

    def _quota_check(self, user: User) -> dict[str, float] | None:
        quota = user.role.quota
        if quota is None:
            return None
        now = time.time()
        window = now - now % quota.interval  # intervals aligned to the epoch, as ClickHouse's
        start, used = self._quota_used.get(user.name, (window, {}))
        if start != window:
            start, used = window, {}
        self._quota_used[user.name] = (start, used)
        for name, limit in quota.limits.items():
            if used.get(name, 0) >= limit:
                raise QueryError(
                    QUOTA_EXCEEDED,
                    f"Quota for user '{user.name}' for {quota.interval:g} seconds has been exceeded: "
                    f"{name} = {used.get(name, 0):g}/{limit:g}. Interval will end at "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + quota.interval))} UTC. Name of quota template: '{quota.name}'",
                )
        return used

    @contextmanager
    def _pooled(self, user: User) -> Iterator[_Connection]:
        key = (user.role.name, user.readonly or user.role.readonly)
        with self._lock:
            idle = self._pool.setdefault(key, [])
            conn = idle.pop() if idle else None
        if conn is None:
            conn = self._open(key, _limits(user))
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            if healthy and not conn.spent and not self._closed:
                with self._lock:
                    self._pool.setdefault(key, []).append(conn)
            else:
                conn.session.close()

    @contextmanager
    def _session(self, user: User, session_id: str, timeout: float | None) -> Iterator[_Connection]:
        key = (user.name, session_id)
        now = time.monotonic()
        with self._lock:
            self._expire_sessions(now)
            conn = self._sessions.get(key)
            if conn is not None and not conn.lock.acquire(blocking=False):
                raise QueryError(
                    SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
                )
        if conn is None:
            conn = self._open((user.role.name, user.readonly or user.role.readonly), _limits(user))
            conn.lock.acquire()
            conn.user = user.name
            conn.timeout = self.session_timeout
            with self._lock:
                if key in self._sessions:  # lost a race with a concurrent first request
                    conn.session.close()
                    raise QueryError(
                        SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
                    )
                self._sessions[key] = conn
        if timeout is not None:
            conn.timeout = min(timeout, self.max_session_timeout)
        try:
            yield conn
        finally:
            conn.last_used = time.monotonic()
            conn.lock.release()

    def _expire_sessions(self, now: float) -> None:
        for key, conn in list(self._sessions.items()):
            if now - conn.last_used > conn.timeout and not conn.lock.locked():
                del self._sessions[key]
                conn.session.close()

    def has_session(self, user: User, session_id: str) -> bool:
        with self._lock:
            self._expire_sessions(time.monotonic())
            return (user.name, session_id) in self._sessions

    # -- queries -----------------------------------------------------------------------

    def execute(
        self,
        query: str,
        *,
        fmt: str | None = None,
        database: str | None = None,
        settings: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        user: User | None = None,
        query_id: str | None = None,
        session_id: str | None = None,
        session_timeout: float | None = None,
    ) -> QueryResult:
        """Run one statement; raises QueryError with ClickHouse's code on any failure."""
        user = user or admin_user("default")
        query_id = query_id or str(uuid.uuid4())
        settings = _checked_settings(settings or {}, self.max_execution_time)
        if not user.is_admin:
            access.check_settings(_caller(user), settings)
        elif ACCESS_STATEMENT.match(" ".join(query.split())):
            return self._access_statement(query, query_id)
        with self._slot(), self._user_slot(user), self._registered(query_id) as marker:
            # A session keeps its connection (and temporary tables) between requests; otherwise
            # any idle connection of the user's role serves.
            connection = (
                self._session(user, session_id, session_timeout)
                if session_id
                else self._pooled(user)
            )
            with connection as conn:
                return self._execute_on(
                    conn,
                    query,
                    fmt,
                    database,
                    settings,
                    params,
                    data,
                    user,
                    query_id,
                    marker,
                    stateful=bool(session_id),
                )

    def _access_statement(self, query: str, query_id: str) -> QueryResult:
        """The admin re-applying the access model (or binding users to its roles)."""
        text = " ".join(query.split()).rstrip(";")
        binding = _USER_BINDING.match(text)
        role = binding and (binding.group(1) or binding.group(2))
        if text in self._model_statements or (
            binding and (role is None or role in {role_name(r) for r in ROLES})
        ):
            return QueryResult(b"", 0, 0, 0, 0, 0.0, DEFAULT_FORMAT, query_id)
        raise QueryError(
            NOT_IMPLEMENTED,
            "The embedded server takes its access model from warehouse/migrations at start and its users "
            "from LIANXI_WAREHOUSE_*; add a migration and restart it instead",
        )

    @contextmanager
    def _registered(self, query_id: str) -> Iterator[str]:
        marker = uuid.uuid4().hex
        with self._lock:
            if query_id in self._running:
                raise QueryError(
                    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
                    f"Query with id = {query_id} is already running",
                )
            self._running[query_id] = marker
        try:
            yield marker
        finally:
            with self._lock:
                self._running.pop(query_id, None)

    def _execute_on(
        self,
        conn: _Connection,
        query: str,
        fmt: str | None,
        database: str | None,
        settings: dict[str, str],
        params: Mapping[str, str] | None,
        data: bytes | None,
        user: User,
        query_id: str,
        marker: str,
        *,
        stateful: bool,
    ) -> QueryResult:
        started = time.perf_counter()
        try:
            self._apply_settings(conn, settings, stateful=stateful)
            # A pooled connection must not carry the previous caller's database (it may be
            # dropped since); only an HTTP session keeps its own USE.
            if not database and not stateful:
                database = "default"
            if database and database != conn.database:
                self._run(conn, f"USE {_identifier(database)}")
                conn.database = database
            elif conn.database is None:
                self._run(conn, "USE default")
                conn.database = "default"
            current_db = conn.database or "default"
            # Server-side marker so cancel() can find the query in system.processes.
            header = split_insert(query.encode())
            # Inline INSERT data runs to the end of the text, so only other statements carry
            # the marker.
            tagged = query if header else f"{query.rstrip().rstrip(';')}{_tag(marker)}"
            if data is None:
                header = None
            checked = f"{header.query} FORMAT {header.fmt}" if header else query
            if ";" in checked:
                # chdb runs every statement of a text; ClickHouse's server runs one. Its own
                # formatter refuses a second statement (62, "Multi-statements are not allowed").
                formatted = self._format(conn, checked)
            else:
                formatted = None
            if not user.is_admin:
                ast = (
                    self._run(conn, "EXPLAIN AST " + checked, "TabSeparatedRaw", params)
                    .bytes()
                    .decode()
                )
                access.check(
                    _caller(user),
                    ast,
                    lambda: formatted or self._format(conn, checked),
                    current_db,
                    self._table_exists,
                )
            if header is not None:
                # Not chdb's send_insert: its finish() reports success when the table refuses
                # the rows (e.g. too many partitions for one block), so an acknowledged INSERT
                # could be lost. A spooled file read by the statement itself fails loudly.
                with tempfile.NamedTemporaryFile(
                    dir=self.spool_dir, prefix="insert-", suffix=".data"
                ) as spool:
                    spool.write(data or b"")
                    spool.flush()
                    result = self._run(
                        conn, with_infile(header.query, spool.name, header.fmt) + _tag(marker)
                    )
                return QueryResult(
                    b"",
                    0,
                    0,
                    _written_rows(result),
                    _written_bytes(result),
                    time.perf_counter() - started,
                    fmt or DEFAULT_FORMAT,
                    query_id,
                )
            out_fmt = output_format(query) or fmt or DEFAULT_FORMAT
            keyword = leading_keyword(query)
            result = self._run(conn, tagged, fmt or DEFAULT_FORMAT, params)
            if keyword in _STATEFUL_STATEMENTS and _leaves_state(query, keyword):
                if stateful:
                    conn.database = (
                        self._current_database(conn) if keyword == "USE" else conn.database
                    )
                else:
                    # SET / USE / temporary tables last only for the statement without a session.
                    conn.spent = True
            return QueryResult(
                result.bytes(),
                result.rows_read(),
                result.bytes_read(),
                _written_rows(result),
                _written_bytes(result),
                time.perf_counter() - started,
                out_fmt,
                query_id,
            )
        except QueryError as error:
            self._drain(conn)
            error.message = error.message.replace(_tag(marker), "")
            raise
        except RuntimeError as error:
            self._drain(conn)
            raise QueryError.from_engine(str(error).replace(_tag(marker), "")) from None

    def _apply_settings(self, conn: _Connection, wanted: dict[str, str], *, stateful: bool) -> None:
        changes: dict[str, str | None] = {}
        if not stateful:
            for name in conn.applied:
                if name not in wanted:
                    changes[name] = self._base_value(conn, name)
        for name, value in wanted.items():
            if conn.applied.get(name) != value:
                changes[name] = value
        if not changes:
            return
        assignments = ", ".join(
            f"{name} = {'DEFAULT' if value is None else _literal(value)}"
            for name, value in changes.items()
        )
        self._run(conn, f"SET {assignments}")
        for name, new in changes.items():
            if new is None or new == self._base_value(conn, name):
                conn.applied.pop(name, None)
            else:
                conn.applied[name] = new

    def _format(self, conn: _Connection, sql: str) -> str:
        return (
            self._run(conn, "SELECT formatQuery({q:String})", "TabSeparatedRaw", {"q": _param(sql)})
            .bytes()
            .decode()
        )

    def _run(
        self,
        conn: _Connection,
        sql: str,
        fmt: str = "TabSeparated",
        params: Mapping[str, str] | None = None,
    ):
        try:
            return conn.session.query(sql, fmt, params=dict(params) if params else None)
        except RuntimeError as error:
            raise QueryError.from_engine(str(error)) from None

    def _drain(self, conn: _Connection) -> None:
        # Flush whatever partial output a failed query left in the connection's buffer.
        try:
            conn.session.query("SELECT 1", "TabSeparated")
        except RuntimeError:
            pass

    def _current_database(self, conn: _Connection) -> str:
        return self._run(conn, "SELECT currentDatabase()").bytes().decode().strip()

    def _table_exists(self, database: str, table: str) -> bool:
        with self._lock_control():
            out = self._run(
                self._control,
                "SELECT count() FROM system.tables WHERE database = {d:String} AND name = {t:String}",
                "TabSeparated",
                {"d": database, "t": table},
            )
        return out.bytes().strip() != b"0"

    _control_lock = threading.Lock()

    @contextmanager
    def _lock_control(self) -> Iterator[None]:
        with self._control_lock:
            yield

    def cancel(self, query_id: str) -> None:
        """Best effort: ask ClickHouse to stop the query started with this id."""
        with self._lock:
            marker = self._running.get(query_id)
        if marker is None:
            return
        # The pattern is built at run time so this KILL statement does not match itself.
        with self._lock_control():
            try:
                self._run(
                    self._control,
                    "KILL QUERY WHERE query LIKE concat('%lianxi_query:', {m:String}, '%') ASYNC",
                    "TabSeparated",
                    {"m": marker},
                )
            except QueryError:
                pass

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def close(self, grace: float = 30.0) -> None:
        """Refuse new queries, let running ones finish (up to `grace` s), then close."""
        self._closed = True
        deadline = time.monotonic() + grace
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            conns = [c for idle in self._pool.values() for c in idle] + list(
                self._sessions.values()
            )
            self._pool = {}
            self._sessions.clear()
        for conn in conns:
            conn.session.close()
        self._control.session.close()


def _caller(user: User) -> access.Caller:
    return access.Caller(user.name, user.role, user.readonly)


def _limits(user: User) -> dict[str, str]:
    """The profile's values a connection of this role starts with."""
    return {
        name: constraint.value
        for name, constraint in user.role.profile.items()
        if name in ("max_execution_time", "max_memory_usage")
    }


def _param(text: str) -> str:
    """A String query parameter is read in TSV-escaped form: a raw newline would end it."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _tag(marker: str) -> str:
    return f"\n/* lianxi_query:{marker} */"


def _leaves_state(query: str, keyword: str) -> bool:
    if keyword in ("SET", "USE"):
        return True
    return "TEMPORARY" in query.upper()[:200]


def _checked_settings(settings: Mapping[str, str], cap: float) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in settings.items():
        if not name or not set(name) <= _SETTING_NAME:
            raise QueryError(UNKNOWN_SETTING, f"Unknown setting '{name}'")
        if name in PINNED_SETTINGS:
            continue
        value = str(value)
        if name == "max_execution_time" and cap:
            try:
                wanted = float(value)
            except ValueError:
                raise QueryError(
                    BAD_ARGUMENTS, f"Setting max_execution_time: cannot parse '{value}' as a number"
                ) from None
            # A client may shorten the server's limit, never lift it.
            value = _number(cap if wanted <= 0 or wanted > cap else wanted)
        checked[name] = value
    return checked


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _written_rows(result) -> int:
    return int(result.rows_written()) if hasattr(result, "rows_written") else 0


def _written_bytes(result) -> int:
    return int(result.bytes_written()) if hasattr(result, "bytes_written") else 0


def _default_spool_dir() -> str:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


def engine_runner(engine: Engine) -> Callable[[str], str]:
    """A migrate.Runner that runs statements in-process (the server migrating before it listens)."""
    admin = admin_user("migrate")
    return lambda sql: engine.execute(sql, user=admin).data.decode()
