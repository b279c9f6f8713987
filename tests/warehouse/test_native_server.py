"""The native TCP protocol against real clients: clickhouse-driver, clickhouse-client, dbt.

The server is the real `python -m warehouse.server` process (HTTP and native listeners over
one engine) that tests/warehouse/conftest.py starts on free ports over a temporary data
directory; each test works in its own database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException
from support.warehouse import PrivateWarehouse

from warehouse.native.wire import Reader, string, varint

ADMIN_USER, ADMIN_PASSWORD = "lianxi_admin", "dev-admin"


class NativeEndpoint:
    """The native listener of the shared `python -m warehouse.server` process (conftest `wh`)."""

    def __init__(self, wh: PrivateWarehouse) -> None:
        self.wh = wh
        self.port = wh.native_port

    def client(self, **kwargs: object) -> Client:
        kwargs.setdefault("user", ADMIN_USER)
        kwargs.setdefault("password", ADMIN_PASSWORD)
        return Client("127.0.0.1", port=self.port, **kwargs)

    def alive(self) -> bool:
        return self.wh.process is not None and self.wh.process.poll() is None


@pytest.fixture(scope="module")
def server(wh: PrivateWarehouse) -> NativeEndpoint:
    return NativeEndpoint(wh)


@pytest.fixture
def db(server: NativeEndpoint) -> Iterator[str]:
    name = f"native_{uuid.uuid4().hex[:8]}"
    server.client().execute(f"CREATE DATABASE {name}")
    yield name
    server.client().execute(f"DROP DATABASE IF EXISTS {name}")


ALL_TYPES = """
    u8 UInt8, u64 UInt64, i32 Int32, i64 Int64, f32 Float32, f64 Float64,
    dec Decimal(18, 4), s String, lc LowCardinality(String), ns Nullable(String),
    ni Nullable(Int64), d Date, ts DateTime64(3, 'UTC'), id UUID,
    tags Array(String), scores Array(Nullable(Float64)), attrs Map(String, UInt32),
    flag Bool, state Enum8('open' = 1, 'closed' = 2), lc_arr Array(LowCardinality(String))
"""


def all_types_rows(n: int) -> list[tuple]:
    rows = []
    for i in range(n):
        rows.append(
            (
                i % 256,
                2**63 + i,
                -i,
                -(2**40) - i,
                0.5,
                i / 3,
                Decimal(f"{i}.1234"),
                f"事件{i}",
                ("street", "community")[i % 2],
                None if i % 3 == 0 else f"n{i}",
                None if i % 2 else i,
                date(2026, 1, 1 + i % 28),
                datetime(2026, 11, 25, 9, 0, i % 60, 123000, tzinfo=UTC),
                uuid.UUID(int=i + 1),
                [f"t{j}" for j in range(i % 4)],
                [None, 1.5][: i % 3],
                {f"k{j}": j for j in range(i % 3)},
                bool(i % 2),
                ("open", "closed")[i % 2],
                ["a", "b"][: i % 3],
            )
        )
    return rows


def test_select_and_insert_every_warehouse_type(server: NativeEndpoint, db: str) -> None:
    client = server.client()
    client.execute(f"CREATE TABLE {db}.t ({ALL_TYPES}) ENGINE = MergeTree ORDER BY u64")
    rows = all_types_rows(200)
    assert client.execute(f"INSERT INTO {db}.t VALUES", rows) == 200
    got, types = client.execute(f"SELECT * FROM {db}.t ORDER BY u64", with_column_types=True)
    assert got == rows
    assert dict(types)["lc"] == "LowCardinality(String)"
    assert dict(types)["ts"] == "DateTime64(3, 'UTC')"


def test_insert_with_column_list_and_columnar(server: NativeEndpoint, db: str) -> None:
    client = server.client()
    client.execute(
        f"CREATE TABLE {db}.t (a UInt32, b String DEFAULT 'd', c UInt32 MATERIALIZED a * 2) "
        "ENGINE = MergeTree ORDER BY a"
    )
    client.execute(f"INSERT INTO {db}.t (a) VALUES", [(1,), (2,)])
    client.execute(f"INSERT INTO {db}.t (b, a) VALUES", [["x", "y"], [3, 4]], columnar=True)
    assert client.execute(f"SELECT a, b, c FROM {db}.t ORDER BY a") == [
        (1, "d", 2),
        (2, "d", 4),
        (3, "x", 6),
        (4, "y", 8),
    ]


def test_long_insert_is_written_in_several_engine_statements(private_wh) -> None:
    # A 64 KiB request limit makes the server hand rows to the engine every 64 KiB.
    wh = private_wh(LIANXI_WAREHOUSE_MAX_REQUEST_BYTES=str(64 * 1024)).start(migrate=False)
    client = NativeEndpoint(wh).client()
    client.execute("CREATE TABLE default.big (n UInt32, s String) ENGINE = MergeTree ORDER BY n")
    client.execute("SYSTEM STOP MERGES default.big")  # so every engine INSERT stays one part
    rows = [(i, f"row-{i:08d}") for i in range(60_000)]
    assert (
        client.execute("INSERT INTO default.big VALUES", rows, settings={"insert_block_size": 1000})
        == 60_000
    )
    assert client.execute("SELECT count(), sum(n), uniqExact(s) FROM default.big") == [
        (60_000, sum(range(60_000)), 60_000)
    ]
    ((parts,),) = client.execute(
        "SELECT count() FROM system.parts WHERE database = 'default' AND table = 'big' AND active"
    )
    # 60 blocks of ~17 KB: one engine INSERT per ~4 blocks, neither one for all nor one per block.
    assert 1 < parts < 60
    wh.stop()


def test_insert_into_unknown_column_is_an_error(server: NativeEndpoint, db: str) -> None:
    client = server.client()
    client.execute(f"CREATE TABLE {db}.t (a UInt32) ENGINE = Memory")
    with pytest.raises(ServerException) as info:
        client.execute(f"INSERT INTO {db}.t (nope) VALUES", [(1,)])
    assert info.value.code == 16


def test_insert_the_table_refuses_is_an_error_not_a_silent_loss(
    server: NativeEndpoint, db: str
) -> None:
    # chdb's streaming inserter reported success for rows the table refused at write time
    # (here: one block over more than max_partitions_per_insert_block months); an
    # acknowledged INSERT must be in the table, a refused one must say why.
    client = server.client(compression="lz4")
    client.execute(
        f"CREATE TABLE {db}.t (d Date, x UInt32) ENGINE = MergeTree "
        "PARTITION BY toYYYYMM(d) ORDER BY x"
    )
    rows = [(date(2020 + i // 12, i % 12 + 1, 1), i) for i in range(101)]
    with pytest.raises(ServerException) as info:
        client.execute(f"INSERT INTO {db}.t (d, x) VALUES", rows)
    assert info.value.code == 252  # TOO_MANY_PARTS
    assert client.execute(f"SELECT count() FROM {db}.t") == [(0,)]
    client.execute(
        f"INSERT INTO {db}.t (d, x) VALUES", rows, settings={"max_partitions_per_insert_block": 0}
    )
    assert client.execute(f"SELECT count() FROM {db}.t") == [(101,)]
    # The HTTP path shares the engine's INSERT: the same refusal, as an HTTP error.
    body = "".join(f"{d.isoformat()},{x}\n" for d, x in rows)
    reply = httpx.post(
        f"{server.wh.url}/",
        params={"query": f"INSERT INTO {db}.t (d, x) FORMAT CSV"},
        content=body.encode(),
        auth=(ADMIN_USER, ADMIN_PASSWORD),
        timeout=60,
    )
    assert reply.status_code >= 400 and "TOO_MANY_PARTS" in reply.text
    assert client.execute(f"SELECT count() FROM {db}.t") == [(101,)]
    # SETTINGS inside the INSERT text still apply (they go after the spooled FROM INFILE).
    reply = httpx.post(
        f"{server.wh.url}/",
        params={
            "query": f"INSERT INTO {db}.t (d, x) SETTINGS max_partitions_per_insert_block = 0 FORMAT CSV"
        },
        content=body.encode(),
        auth=(ADMIN_USER, ADMIN_PASSWORD),
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    assert client.execute(f"SELECT count() FROM {db}.t") == [(202,)]


def test_empty_result_still_has_column_types(server: NativeEndpoint) -> None:
    rows, types = server.client().execute("SELECT 1 AS a, 'x' AS b WHERE 0", with_column_types=True)
    assert rows == [] and types == [("a", "UInt8"), ("b", "String")]


def test_settings_are_applied(server: NativeEndpoint) -> None:
    client = server.client(settings={"max_threads": 3})
    assert client.execute("SELECT getSetting('max_threads')") == [(3,)]
    assert client.execute(
        "SELECT getSetting('max_block_size')", settings={"max_block_size": 1234}
    ) == [(1234,)]
    client.execute("SET max_block_size = 777")
    assert client.execute("SELECT getSetting('max_block_size')") == [(777,)]
    # Like ClickHouse: unknown settings are ignored unless the client marks them important.
    assert client.execute("SELECT 1", settings={"no_such_setting_xyz": 1}) == [(1,)]
    strict = server.client(settings_is_important=True)
    with pytest.raises(ServerException) as info:
        strict.execute("SELECT 1", settings={"no_such_setting_xyz": 1})
    assert info.value.code == 115


def test_use_switches_database(server: NativeEndpoint, db: str) -> None:
    client = server.client()
    client.execute(f"CREATE TABLE {db}.t (a UInt8) ENGINE = Memory")
    client.execute(f"USE {db}")
    client.execute("INSERT INTO t VALUES", [(5,)])
    assert client.execute("SELECT currentDatabase(), sum(a) FROM t") == [(db, 5)]
    assert server.client(database=db).execute("SELECT count() FROM t") == [(1,)]
    with pytest.raises(ServerException) as info:
        client.execute("USE no_such_database_xyz")
    assert info.value.code == 81


@pytest.mark.parametrize(
    ("query", "code"),
    [("SELECT * FROM no_such_table_xyz", 60), ("SELEKT 1", 62), ("SELECT throwIf(1)", 395)],
)
def test_server_exceptions_carry_codes_and_keep_the_connection(
    server: NativeEndpoint, query: str, code: int
) -> None:
    client = server.client()
    with pytest.raises(ServerException) as info:
        client.execute(query)
    assert info.value.code == code
    # The driver hangs up after any error; the server itself keeps the connection usable.
    conn = client.connection
    conn.connect()
    for text, expected in ((query, 2), ("SELECT 42", 1)):  # Exception, then Data
        conn.send_query(text)
        conn.send_external_tables(None)
        kinds = []
        while (packet := conn.receive_packet()).type not in (2, 5):
            kinds.append(packet.type)
        kinds.append(packet.type)
        assert expected in kinds
    assert client.execute("SELECT 42") == [(42,)]


@pytest.mark.parametrize("method", ["lz4", "zstd"])
def test_compression(server: NativeEndpoint, db: str, method: str) -> None:
    client = server.client(compression=method)
    client.execute(f"CREATE TABLE {db}.t ({ALL_TYPES}) ENGINE = MergeTree ORDER BY u64")
    rows = all_types_rows(3000)
    client.execute(f"INSERT INTO {db}.t VALUES", rows)
    assert client.execute(f"SELECT * FROM {db}.t ORDER BY u64") == rows
    big = client.execute("SELECT number, toString(number) FROM numbers(300000)")
    assert len(big) == 300_000 and big[-1] == (299_999, "299999")


def test_execute_iter_streams_a_million_rows_in_blocks(server: NativeEndpoint) -> None:
    client = server.client()
    total = 0
    count = 0
    for (number,) in client.execute_iter(
        "SELECT number FROM numbers(1000000)", settings={"max_block_size": 65536}
    ):
        total += number
        count += 1
    assert count == 1_000_000 and total == 999_999 * 1_000_000 // 2

    # At packet level: many Data packets, not one.
    conn = client.connection
    conn.send_query("SELECT number FROM numbers(1000000) SETTINGS max_block_size = 65536")
    conn.send_external_tables(None)
    data_packets = 0
    while (packet := conn.receive_packet()).type != 5:  # EndOfStream
        data_packets += packet.type == 1
    assert data_packets >= 1_000_000 // 65536


@pytest.mark.parametrize("server_side", [True, False])
def test_query_parameters(server: NativeEndpoint, server_side: bool) -> None:
    client = server.client(settings={"server_side_params": server_side})
    if server_side:
        query = "SELECT {n:UInt32} + 1, {s:String}, {d:Date}"
    else:
        query = "SELECT %(n)s + 1, %(s)s, %(d)s"
    got = client.execute(query, {"n": 41, "s": "it's 联席\\", "d": date(2026, 11, 25)})
    assert got[0][0] == 42 and got[0][1] == "it's 联席\\"
    assert str(got[0][2]) == "2026-11-25"


def test_cancel_stops_a_running_query(server: NativeEndpoint) -> None:
    client = server.client()
    # About 1000 s if nothing stopped it: one row per block, one second per row.
    client.execute_with_progress(
        "SELECT sleepEachRow(1) FROM numbers(1000) SETTINGS max_block_size = 1"
    )
    client.cancel()
    assert client.execute("SELECT 8") == [(8,)]


def test_ping_and_cancel(server: NativeEndpoint) -> None:
    client = server.client()
    client.connection.connect()
    assert client.connection.ping()
    rows = client.execute_iter(
        "SELECT number FROM numbers(5000000)", settings={"max_block_size": 1000}
    )
    next(iter(rows))
    client.cancel()
    assert client.execute("SELECT 7") == [(7,)]


def test_authentication_and_rights(server: NativeEndpoint, db: str) -> None:
    with pytest.raises(ServerException) as info:
        Client("127.0.0.1", port=server.port, user="lianxi_reader", password="wrong").execute(
            "SELECT 1"
        )
    assert info.value.code == 516
    table = f"raw.{db}_t"  # the analyst reads the platform's databases, not a test's own
    server.client().execute(f"CREATE TABLE {table} (a UInt8) ENGINE = Memory")
    reader = Client("127.0.0.1", port=server.port, user="lianxi_analyst", password="dev-analyst")
    assert reader.execute(f"SELECT count() FROM {table}") == [(0,)]
    with pytest.raises(ServerException) as info:
        reader.execute(f"INSERT INTO {table} VALUES", [(1,)])
    assert info.value.code == 164
    with pytest.raises(ServerException) as info:
        reader.execute(f"SELECT count() FROM {db}.t")
    assert info.value.code in (497, 60)
    assert server.client().execute(f"SELECT count() FROM {table}") == [(0,)]


def test_sixteen_concurrent_clients_mix_reads_and_writes(server: NativeEndpoint, db: str) -> None:
    server.client().execute(
        f"CREATE TABLE {db}.t (worker UInt8, n UInt32, s String) ENGINE = MergeTree ORDER BY (worker, n)"
    )
    errors: list[BaseException] = []
    rounds = 10

    def work(worker: int) -> None:
        try:
            client = server.client(compression="lz4" if worker % 2 else False)
            for r in range(rounds):
                client.execute(
                    f"INSERT INTO {db}.t VALUES",
                    [(worker, r * 100 + i, f"w{worker}") for i in range(100)],
                )
                (count,) = client.execute(f"SELECT count() FROM {db}.t WHERE worker = {worker}")[0]
                assert count == (r + 1) * 100
                assert len(client.execute("SELECT number FROM numbers(20000)")) == 20000
            client.disconnect()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert server.client().execute(f"SELECT count(), uniqExact(worker) FROM {db}.t") == [
        (16 * rounds * 100, 16)
    ]


# --- bad input ----------------------------------------------------------------------


def _raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


def _hello(user: str = ADMIN_USER, password: str = ADMIN_PASSWORD, revision: int = 54468) -> bytes:
    return (
        varint(0)
        + string("probe")
        + varint(1)
        + varint(0)
        + varint(revision)
        + string("")
        + string(user)
        + string(password)
    )


def _exception_code(reply: bytes) -> int:
    """Skip the server Hello if present and return the Exception packet's code."""
    reader = Reader(reply)
    kind = reader.varint()
    if kind == 0:  # Hello: name, major, minor, revision, tz, display name, patch, rules, nonce
        reader.string()
        reader.varint()
        reader.varint()
        revision = reader.varint()
        reader.string()
        reader.string()
        reader.varint()
        if revision >= 54461:
            reader.varint()
        if revision >= 54462:
            reader.u64()
        kind = reader.varint()
    assert kind == 2, reply
    return reader.i32()


ADDENDUM = string("")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 101),  # UNEXPECTED_PACKET_FROM_CLIENT ('G' = 71)
        (b"\x00\x05pro", 32),  # truncated Hello
        (_hello() + ADDENDUM + varint(99), 99),  # UNKNOWN_PACKET_FROM_CLIENT
        (_hello() + ADDENDUM + varint(2) + string("") + b"\xff" * 20, 117),  # Data outside a query
        (
            _hello() + ADDENDUM + varint(1) + string("q") + b"\x01" + string("x") * 3,
            32,
        ),  # truncated Query
        (_hello(password="x"), 516),
    ],
    ids=[
        "http",
        "truncated-hello",
        "unknown-packet",
        "data-outside-query",
        "truncated-query",
        "bad-password",
    ],
)
def test_bad_input_gets_an_exception_and_spares_the_server(
    server: NativeEndpoint, payload: bytes, code: int
) -> None:
    reply = _raw_exchange(server.port, payload)
    got = _exception_code(reply)
    assert got == code or (code == 117 and got == 101)
    assert server.client().execute("SELECT 1") == [(1,)]


def test_garbage_compressed_frame_and_huge_claims(server: NativeEndpoint) -> None:
    query = (
        varint(1)
        + string("")
        + b"\x00"  # query id, client info: NO_QUERY
        + string("")
        + string("")  # settings end, interserver secret
        + varint(2)
        + varint(1)
        + string("SELECT 1")  # stage, compression on, text
        + string("")  # parameters end
    )
    bad_frame = (
        varint(2)
        + string("")
        + b"\x00" * 16
        + b"\x82"
        + (25).to_bytes(4, "little")
        + (9).to_bytes(4, "little")
        + b"x" * 16
    )
    reply = _raw_exchange(server.port, _hello() + ADDENDUM + query + bad_frame)
    assert _exception_code(reply) == 40  # CHECKSUM_DOESNT_MATCH
    huge_string = varint(1) + b"\xff\xff\xff\xff\x0f"
    reply = _raw_exchange(server.port, _hello() + ADDENDUM + huge_string)
    assert _exception_code(reply) in (131, 32)
    assert server.client().execute("SELECT 1") == [(1,)]


def test_random_garbage_never_takes_the_server_down(server: NativeEndpoint) -> None:
    import random

    rng = random.Random(7)
    for _ in range(40):
        payload = (
            _hello() + ADDENDUM + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        )
        _raw_exchange(server.port, payload)
    assert server.client().execute("SELECT 1") == [(1,)]
    assert server.alive()


# --- other real clients -------------------------------------------------------------


def test_clickhouse_client_18_16(server: NativeEndpoint, db: str) -> None:
    binary = shutil.which("clickhouse-client")
    assert binary, "install it: apt-get install -y clickhouse-client"
    server.client().execute(
        f"CREATE TABLE {db}.t (a UInt32, s LowCardinality(String), d Date) ENGINE = MergeTree ORDER BY a"
    )

    def run(query: str, stdin: str | None = None, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                binary,
                "--host",
                "127.0.0.1",
                "--port",
                str(server.port),
                "--user",
                ADMIN_USER,
                "--password",
                ADMIN_PASSWORD,
                *extra,
                "--query",
                query,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )

    done = run(f"INSERT INTO {db}.t FORMAT TSV", "1\t社区\t2026-11-25\n2\tstreet\t2026-11-26\n")
    assert done.returncode == 0, done.stderr
    done = run(f"SELECT a, s, d FROM {db}.t ORDER BY a FORMAT TSV")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1\t社区\t2026-11-25\n2\tstreet\t2026-11-26\n"
    done = run("SELECT getSetting('max_threads')", None, "--max_threads", "3")
    assert done.stdout.strip() == "3", done.stderr
    done = run("SELECT * FROM no_such_table_xyz")
    assert done.returncode == 60 and "UNKNOWN_TABLE" in done.stderr


def test_dbt_build_over_native(server: NativeEndpoint, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "models").mkdir(parents=True)
    schema = f"dbt_native_{uuid.uuid4().hex[:8]}"
    (project / "dbt_project.yml").write_text(
        textwrap.dedent("""
        name: native_probe
        version: "1.0"
        profile: native_probe
        model-paths: [models]
    """)
    )
    (tmp_path / "profiles.yml").write_text(
        textwrap.dedent(f"""
        native_probe:
          target: dev
          outputs:
            dev:
              type: clickhouse
              driver: native
              host: 127.0.0.1
              port: {server.port}
              user: {ADMIN_USER}
              password: "{ADMIN_PASSWORD}"
              schema: {schema}
              threads: 1
    """)
    )
    (project / "models" / "events.sql").write_text(
        textwrap.dedent("""
        {{ config(materialized='table', order_by='id', engine='MergeTree()') }}
        select number as id, toString(number % 3) as kind, toDateTime64('2026-11-25 00:00:00', 3, 'UTC') as ts
        from numbers(10)
    """)
    )
    (project / "models" / "kinds.sql").write_text(
        textwrap.dedent("""
        {{ config(materialized='incremental', order_by='kind', unique_key='kind', engine='MergeTree()') }}
        select kind, count() as n from {{ ref('events') }} group by kind
    """)
    )
    (project / "models" / "schema.yml").write_text(
        textwrap.dedent("""
        version: 2
        models:
          - name: events
            columns:
              - name: id
                tests: [unique, not_null]
          - name: kinds
            columns:
              - name: kind
                tests: [unique, not_null]
    """)
    )
    dbt = str(Path(sys.executable).with_name("dbt"))
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for _ in range(2):  # the second run takes the incremental path
        done = subprocess.run(
            [dbt, "build", "--project-dir", str(project), "--profiles-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    client = server.client()
    assert client.execute(f"SELECT sum(n) FROM {schema}.kinds") == [(10,)]
    client.execute(f"DROP DATABASE {schema}")


@pytest.mark.slow  # starts a server of its own with a hook
def test_a_query_is_answered_when_done_not_at_the_next_cancel_poll(tmp_path: Path) -> None:
    # While a query runs, a watcher polls the socket for a Cancel; the query's end must wake
    # it at once (a native `SELECT 1` used to take the whole 100 ms poll). With the poll at an
    # hour, a server that still waited for it would not answer before the client gives up.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import warehouse.native.connection as connection\nconnection.CANCEL_POLL_SECONDS = 3600\n"
    )
    repo = Path(__file__).resolve().parents[2]
    wh = PrivateWarehouse(tmp_path / "data", PYTHONPATH=f"{hooks}{os.pathsep}{repo}")
    wh.start(migrate=False)
    try:
        client = Client(
            "127.0.0.1",
            port=wh.native_port,
            user=ADMIN_USER,
            password=ADMIN_PASSWORD,
            send_receive_timeout=30,
        )
        assert [client.execute(f"SELECT {i}") for i in range(3)] == [[(0,)], [(1,)], [(2,)]]
        client.execute("CREATE DATABASE poll_check")
        client.execute("CREATE TABLE poll_check.t (n UInt8) ENGINE = MergeTree ORDER BY n")
        client.execute("TRUNCATE TABLE poll_check.t")
        assert client.execute("SELECT count() FROM poll_check.t") == [(0,)]
    finally:
        wh.stop()
