"""Examples from ClickHouse's HTTP interface documentation, run with the real curl binary."""

import gzip
import json
import subprocess

import pytest
from support.warehouse import PrivateWarehouse


def curl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # The documentation's examples run as `default`; this server has no passwordless user, so
    # they run as the admin unless an example names its own user.
    named = any("user" in a.lower() for a in args)
    auth = (
        []
        if named
        else ["-H", "X-ClickHouse-User: lianxi_admin", "-H", "X-ClickHouse-Key: dev-admin"]
    )
    return subprocess.run(
        ["curl", "-sS", *auth, *args], input=stdin, capture_output=True, check=True, timeout=120
    )


def curl_status(*args: str, stdin: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    out = curl("-i", *args, stdin=stdin).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_ping_and_root(wh: PrivateWarehouse) -> None:
    assert curl(f"{wh.url}/ping").stdout == b"Ok.\n"
    assert curl(f"{wh.url}/").stdout == b"Ok.\n"


def test_query_in_url_body_or_both(wh: PrivateWarehouse) -> None:
    assert curl(f"{wh.url}/?query=SELECT%201").stdout == b"1\n"
    assert curl(f"{wh.url}/", "--data-binary", "@-", stdin=b"SELECT 1\n").stdout == b"1\n"
    # The parameter, a newline, then the body: one query.
    assert curl(f"{wh.url}/?query=SELECT", "-d", " 1").stdout == b"1\n"
    pretty = curl(
        f"{wh.url}/", "--data-binary", "@-", stdin=b"SELECT 1 FORMAT Pretty"
    ).stdout.decode()
    assert "┏━━━┓" in pretty and "1" in pretty


def test_table_lifecycle_from_the_docs(wh: PrivateWarehouse, db: str) -> None:
    base = f"{wh.url}/?database={db}"
    curl(base, "--data-binary", "@-", stdin=b"CREATE TABLE t (a UInt8) ENGINE = Memory")
    curl(base, "--data-binary", "@-", stdin=b"INSERT INTO t VALUES (1),(2),(3)")
    curl(f"{base}&query=INSERT%20INTO%20t%20VALUES", "--data-binary", "@-", stdin=b"(4),(5),(6)")
    curl(
        f"{base}&query=INSERT%20INTO%20t%20FORMAT%20TabSeparated",
        "--data-binary",
        "@-",
        stdin=b"10\n11\n12\n",
    )
    assert (
        curl(f"{base}&query=SELECT%20a%20FROM%20t%20ORDER%20BY%20a").stdout
        == b"1\n2\n3\n4\n5\n6\n10\n11\n12\n"
    )
    curl(base, "--data-binary", "@-", stdin=b"DROP TABLE t")
    status, headers, body = curl_status(f"{base}&query=SELECT%20a%20FROM%20t")
    assert status == 404 and headers["x-clickhouse-exception-code"] == "60"
    assert body.startswith(b"Code: 60. DB::Exception:")


def test_headers_and_summary(wh: PrivateWarehouse, db: str) -> None:
    wh.post(f"CREATE TABLE {db}.t (a UInt64) ENGINE = MergeTree ORDER BY a").raise_for_status()
    status, headers, _ = curl_status(
        f"{wh.url}/?query_id=doc-insert-1",
        "-d",
        f"INSERT INTO {db}.t SELECT number FROM numbers(5)",
    )
    assert status == 200
    assert headers["x-clickhouse-query-id"] == "doc-insert-1"
    assert headers["x-clickhouse-timezone"]
    assert headers["x-clickhouse-server-display-name"]
    summary = json.loads(headers["x-clickhouse-summary"])
    assert summary["written_rows"] == "5"
    status, headers, body = curl_status(
        f"{wh.url}/?query=SELECT%20count()%20FROM%20{db}.t%20FORMAT%20JSONCompact"
    )
    assert headers["x-clickhouse-format"] == "JSONCompact"
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["data"] == [[5]]


def test_compressed_response_and_request(wh: PrivateWarehouse) -> None:
    _status, headers, body = curl_status(
        f"{wh.url}/?enable_http_compression=1",
        "-H",
        "Accept-Encoding: gzip",
        "-d",
        "SELECT number FROM system.numbers LIMIT 3",
    )
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == b"0\n1\n2\n"
    out = curl(
        f"{wh.url}/",
        "--data-binary",
        "@-",
        "-H",
        "Content-Encoding: gzip",
        stdin=gzip.compress(b"SELECT 1"),
    )
    assert out.stdout == b"1\n"
    # curl's own decoding of a compressed answer.
    assert (
        curl("--compressed", f"{wh.url}/?enable_http_compression=1&query=SELECT%2042").stdout
        == b"42\n"
    )


def test_three_ways_to_authenticate(wh: PrivateWarehouse) -> None:
    host = wh.url.removeprefix("http://")
    assert curl(f"http://lianxi_reader:dev-reader@{host}/", "-d", "SELECT 1").stdout == b"1\n"
    assert (
        curl(
            "-H",
            "X-ClickHouse-User: lianxi_reader",
            "-H",
            "X-ClickHouse-Key: dev-reader",
            f"{wh.url}/",
            "-d",
            "SELECT 1",
        ).stdout
        == b"1\n"
    )
    assert (
        curl(f"{wh.url}/?user=lianxi_reader&password=dev-reader", "-d", "SELECT 1").stdout == b"1\n"
    )
    status, headers, body = curl_status(
        f"{wh.url}/?user=lianxi_reader&password=wrong", "-d", "SELECT 1"
    )
    assert status == 401 and headers["x-clickhouse-exception-code"] == "516"
    assert b"AUTHENTICATION_FAILED" in body


@pytest.mark.parametrize(
    ("params", "sql", "expected"),
    [
        (
            "param_id=2&param_phrase=test",
            "SELECT {id:UInt8} AS id, {phrase:String} AS phrase, {id:UInt8} + 1",
            b"2\ttest\t3\n",
        ),
        ("param_arr=%5B1%2C2%2C3%5D", "SELECT arraySum({arr:Array(UInt8)})", b"6\n"),
    ],
    ids=["scalars", "array"],
)
def test_query_parameters(wh: PrivateWarehouse, params: str, sql: str, expected: bytes) -> None:
    assert curl(f"{wh.url}/?{params}", "-d", sql).stdout == expected


def test_sessions_keep_temporary_tables_and_settings(wh: PrivateWarehouse) -> None:
    session = f"{wh.url}/?session_id=curl-doc-session&session_timeout=60"
    curl(session, "-d", "CREATE TEMPORARY TABLE tmp (a UInt8)")
    curl(session, "-d", "INSERT INTO tmp VALUES (7)")
    curl(session, "-d", "SET max_block_size = 777")
    assert (
        curl(session, "-d", "SELECT sum(a), getSetting('max_block_size') FROM tmp").stdout
        == b"7\t777\n"
    )
    # Without the session neither the table nor the setting exists.
    status, _, _ = curl_status(f"{wh.url}/", "-d", "SELECT * FROM tmp")
    assert status == 404
    assert curl(f"{wh.url}/", "-d", "SELECT getSetting('max_block_size') = 777").stdout == b"0\n"
    status, headers, _ = curl_status(
        f"{wh.url}/?session_id=nope-session&session_check=1", "-d", "SELECT 1"
    )
    assert status == 404 and headers["x-clickhouse-exception-code"] == "372"


def test_settings_in_url_are_applied(wh: PrivateWarehouse) -> None:
    out = curl(
        f"{wh.url}/?max_threads=1&max_block_size=1234",
        "-d",
        "SELECT getSetting('max_threads'), getSetting('max_block_size')",
    )
    assert out.stdout == b"1\t1234\n"
    # ...and only for that request.
    out = curl(f"{wh.url}/", "-d", "SELECT getSetting('max_block_size') != 1234")
    assert out.stdout == b"1\n"
    out = curl(
        f"{wh.url}/?max_result_rows=5&result_overflow_mode=break",
        "-d",
        "SELECT number FROM numbers(100) SETTINGS max_block_size=5",
    )
    assert len(out.stdout.splitlines()) == 5


def test_get_is_read_only(wh: PrivateWarehouse, db: str) -> None:
    status, headers, body = curl_status(
        f"{wh.url}/?query=CREATE%20TABLE%20{db}.g%20(a%20UInt8)%20ENGINE%3DMemory"
    )
    assert status == 403 and headers["x-clickhouse-exception-code"] == "164"
    assert b"READONLY" in body


def test_chunked_request_body(wh: PrivateWarehouse, db: str) -> None:
    wh.post(f"CREATE TABLE {db}.c (a UInt32) ENGINE = MergeTree ORDER BY a").raise_for_status()
    rows = b"".join(b"%d\n" % i for i in range(20000))
    curl(
        f"{wh.url}/?query=INSERT%20INTO%20{db}.c%20FORMAT%20TSV",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        "@-",
        stdin=rows,
    )
    assert wh.post(f"SELECT count(), sum(a) FROM {db}.c").text == f"20000\t{sum(range(20000))}\n"


def test_default_format_and_format_header(wh: PrivateWarehouse) -> None:
    status, headers, body = curl_status(
        f"{wh.url}/?default_format=JSONEachRow", "-d", "SELECT 1 AS x"
    )
    assert status == 200
    assert headers["x-clickhouse-format"] == "JSONEachRow"
    assert json.loads(body) == {"x": 1}
    _status, headers, body = curl_status(
        f"{wh.url}/?default_format=JSONEachRow", "-d", "SELECT 1 AS x FORMAT CSV"
    )
    assert headers["x-clickhouse-format"] == "CSV" and body == b"1\n"
