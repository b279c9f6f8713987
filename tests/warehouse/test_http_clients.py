"""Real drivers over the HTTP interface: clickhouse-connect (every compression it offers),
httpx keep-alive, and dbt-clickhouse with `driver: http` building a throwaway project."""

import datetime as dt
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from support.warehouse import PrivateWarehouse

ROWS = [
    (
        i,
        f"街道{i % 7}",
        dt.datetime(2026, 1, 1, 8, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
        ["a", "b"][: i % 3],
        None if i % 2 else 1.5,
        Decimal("12.34"),
        "hotline",
    )
    for i in range(2000)
]
COLUMNS = ["id", "street", "ts", "tags", "score", "amount", "channel"]
DDL = (
    "CREATE TABLE {t} (id UInt64, street String, ts DateTime64(3, 'UTC'), tags Array(String), "
    "score Nullable(Float64), amount Decimal(10, 2), channel LowCardinality(String)) "
    "ENGINE = MergeTree ORDER BY id"
)


@pytest.mark.parametrize("compress", [False, True, "lz4", "zstd", "gzip", "br"])
def test_clickhouse_connect_insert_query_and_parameters(
    wh: PrivateWarehouse, db: str, compress: bool | str
) -> None:
    client = wh.client(compress=compress)
    table = f"{db}.events"
    client.command(DDL.format(t=table))
    summary = client.insert(table, ROWS, column_names=COLUMNS)
    assert summary.written_rows == len(ROWS)

    result = client.query(f"SELECT * FROM {table} ORDER BY id")
    assert result.column_names == tuple(COLUMNS)
    got = result.result_rows
    assert len(got) == len(ROWS)
    assert got[3][:2] == (3, "街道3")
    assert got[3][2].replace(tzinfo=dt.UTC) == ROWS[3][2]
    assert got[3][3:] == (["a", "b"][:0], None, Decimal("12.34"), "hotline")

    count = client.query(
        f"SELECT count() FROM {table} WHERE street = {{street:String}} AND id < {{limit:UInt64}}",
        parameters={"street": "街道1", "limit": 100},
    ).result_rows
    assert count == [(sum(1 for r in ROWS if r[1] == "街道1" and r[0] < 100),)]
    # Client-side binding too (the %(name)s style).
    assert client.query(
        f"SELECT max(id) FROM {table} WHERE id < %(x)s", parameters={"x": 10}
    ).result_rows == [(9,)]
    assert client.command("SELECT 1") == 1
    assert client.server_version.startswith("26.")


@pytest.mark.parametrize("compress", [False, "lz4", "zstd", "gzip"])
def test_clickhouse_connect_multi_block_insert_keeps_every_block(
    wh: PrivateWarehouse, db: str, compress: bool | str
) -> None:
    """clickhouse-connect streams a large insert as several blocks, each compressed on its own
    (one LZ4 frame / gzip member per block): every block must land, not just the first."""
    client = wh.client(compress=compress)
    table = f"{db}.wide_{compress or 'plain'}"
    client.command(
        f"CREATE TABLE {table} (id UInt64, payload String) ENGINE = MergeTree ORDER BY id"
    )
    rows = [(i, f"{i:08d}" * 40) for i in range(30_000)]
    client.insert(table, rows, column_names=["id", "payload"])
    assert client.query(f"SELECT count(), uniqExact(id) FROM {table}").result_rows == [
        (30_000, 30_000)
    ]


def test_clickhouse_connect_large_result_is_compressed(wh: PrivateWarehouse) -> None:
    client = wh.client(compress="lz4")
    result = client.query("SELECT number, toString(number) FROM numbers(300000)")
    assert result.row_count == 300000
    assert result.result_rows[-1] == (299999, "299999")


def test_clickhouse_connect_errors_and_sessions(wh: PrivateWarehouse) -> None:
    client = wh.client()
    with pytest.raises(DatabaseError, match="Code: 60"):
        client.query("SELECT * FROM no_such_table_anywhere")
    client.command(
        "CREATE TEMPORARY TABLE tmp_cc (a UInt8)"
    )  # clickhouse-connect uses a session id
    client.command("INSERT INTO tmp_cc VALUES (1), (2)")
    assert client.command("SELECT sum(a) FROM tmp_cc") == 3


def test_keep_alive_reuses_one_connection(wh: PrivateWarehouse) -> None:
    peers = set()
    with httpx.Client(base_url=wh.url, auth=("lianxi_admin", "dev-admin")) as client:
        for i in range(20):
            response = client.post("/", content=f"SELECT {i}".encode(), extensions={})
            assert response.text == f"{i}\n"
            stream = response.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))
    assert len(peers) == 1


def test_http_insert_of_garbage_native_writes_nothing(wh: PrivateWarehouse, db: str) -> None:
    wh.post(
        f"CREATE TABLE {db}.n (a UInt64, b String) ENGINE = MergeTree ORDER BY a"
    ).raise_for_status()
    response = wh.post(
        f"INSERT INTO {db}.n (a, b) FORMAT Native\n".encode() + b"\x02\x05garbage-not-native"
    )
    assert response.status_code >= 400 and response.text.startswith("Code: ")
    assert wh.post(f"SELECT count() FROM {db}.n").text == "0\n"


DBT_PROJECT = {
    "dbt_project.yml": """
        name: throwaway
        version: "1.0"
        profile: throwaway
        model-paths: ["models"]
        """,
    "models/tickets.sql": """
        {{ config(materialized='table', engine='MergeTree()', order_by='ticket_id') }}
        select number as ticket_id, number % 3 as street_id, number * 10 as minutes
        from numbers({{ var('tickets', 10) }})
        """,
    "models/tickets_incremental.sql": """
        {{ config(materialized='incremental', engine='MergeTree()', order_by='ticket_id', unique_key='ticket_id') }}
        select ticket_id, street_id, minutes from {{ ref('tickets') }}
        {% if is_incremental() %}
        where ticket_id > (select max(ticket_id) from {{ this }})
        {% endif %}
        """,
    "models/schema.yml": """
        version: 2
        models:
          - name: tickets
            columns:
              - name: ticket_id
                data_tests: [unique, not_null]
          - name: tickets_incremental
            columns:
              - name: ticket_id
                data_tests: [unique]
        """,
}


def test_dbt_clickhouse_http_build(wh: PrivateWarehouse, tmp_path: Path) -> None:
    for name, text in DBT_PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    (tmp_path / "profiles.yml").write_text(
        textwrap.dedent(f"""
        throwaway:
          target: dev
          outputs:
            dev:
              type: clickhouse
              driver: http
              host: 127.0.0.1
              port: {wh.http_port}
              user: lianxi_transformer
              password: dev-transformer
              schema: staging
              threads: 2
        """)
    )
    dbt = str(Path(sys.executable).with_name("dbt"))
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def build(*extra: str) -> str:
        run = subprocess.run(
            [dbt, "build", "--profiles-dir", str(tmp_path), "--project-dir", str(tmp_path), *extra],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-4000:]
        return run.stdout

    first = build()
    assert "PASS=5" in first and "ERROR=0" in first
    assert "not atomic" not in first  # EXCHANGE TABLES works here
    assert wh.post("SELECT count() FROM staging.tickets_incremental").text == "10\n"
    build("--vars", "{tickets: 15}")
    assert (
        wh.post("SELECT count(), uniqExact(ticket_id) FROM staging.tickets_incremental").text
        == "15\t15\n"
    )
    # The transformer may not touch raw: dbt's role stops at its own layers.
    response = wh.post(
        "CREATE TABLE raw.x (a UInt8) ENGINE = Memory",
        auth=("lianxi_transformer", "dev-transformer"),
    )
    assert response.status_code == 403


def test_superset_dialect_as_the_reader(wh: PrivateWarehouse) -> None:
    """Superset reaches the warehouse through clickhouse-connect's SQLAlchemy dialect."""
    import sqlalchemy

    wh.post(
        "CREATE TABLE IF NOT EXISTS marts.sa_daily (day Date, street String, tickets UInt32) ENGINE = MergeTree ORDER BY day"
    ).raise_for_status()
    wh.post(
        "INSERT INTO marts.sa_daily VALUES ('2026-01-01', '秦都', 3), ('2026-01-02', '秦都', 4)"
    ).raise_for_status()
    wh.post(
        "CREATE TABLE IF NOT EXISTS raw.sa_hidden (a UInt8) ENGINE = MergeTree ORDER BY a"
    ).raise_for_status()
    engine = sqlalchemy.create_engine(
        f"clickhousedb://lianxi_reader:dev-reader@127.0.0.1:{wh.http_port}/marts"
    )
    try:
        inspector = sqlalchemy.inspect(engine)
        assert "sa_daily" in inspector.get_table_names(schema="marts")
        assert [c["name"] for c in inspector.get_columns("sa_daily", schema="marts")] == [
            "day",
            "street",
            "tickets",
        ]
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text("SELECT street, sum(tickets) FROM marts.sa_daily GROUP BY street")
            ).all()
        assert [tuple(r) for r in rows] == [("秦都", 7)]
        with engine.connect() as conn, pytest.raises(sqlalchemy.exc.DatabaseError, match="497"):
            conn.execute(sqlalchemy.text("SELECT count() FROM raw.sa_hidden"))
    finally:
        engine.dispose()


def test_clickhouse_connect_as_read_only_roles(wh: PrivateWarehouse) -> None:
    reader = wh.client("lianxi_reader", compress=True)
    assert (
        reader.query("SELECT count() FROM system.tables WHERE database = 'marts'").result_rows[0][0]
        >= 0
    )
    with pytest.raises(DatabaseError, match="164"):
        reader.command("CREATE TABLE marts.nope (a UInt8) ENGINE = Memory")
    wh.post(
        "CREATE TABLE IF NOT EXISTS raw.cc_analyst (a UInt8) ENGINE = MergeTree ORDER BY a"
    ).raise_for_status()
    analyst = wh.client("lianxi_analyst")
    assert analyst.query("SELECT count() FROM raw.cc_analyst").result_rows == [(0,)]


def test_session_expires_after_its_timeout(wh: PrivateWarehouse) -> None:
    import time

    url = f"{wh.url}/?session_id=short-lived&session_timeout=1"
    auth = ("lianxi_admin", "dev-admin")
    httpx.post(url, content=b"CREATE TEMPORARY TABLE s (a UInt8)", auth=auth).raise_for_status()
    assert (
        httpx.post(f"{url}&session_check=1", content=b"SELECT count() FROM s", auth=auth).text
        == "0\n"
    )
    time.sleep(1.5)
    response = httpx.post(f"{url}&session_check=1", content=b"SELECT 1", auth=auth)
    assert response.status_code == 404 and response.headers["x-clickhouse-exception-code"] == "372"
