"""Bad input, limits and load: every failure is a clean ClickHouse error, nothing partial is
written, and the server keeps serving."""

import gzip
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from support.warehouse import ADMIN, PrivateWarehouse


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["x-clickhouse-exception-code"] == str(code)
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")
    assert "Traceback" not in response.text


def assert_still_serving(wh: PrivateWarehouse) -> None:
    assert httpx.get(f"{wh.url}/ping").text == "Ok.\n"
    assert wh.post("SELECT 1").text == "1\n"


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"\x00\xff\xfe garbage \x80", {}, 400, 62),
        (b"SELEC 1", {}, 400, 62),
        (b"", {}, 400, 62),
        (b"SELECT * FROM no_such_db.no_such_table", {}, 404, 81),
        (b"SELECT no_such_function(1)", {}, 404, 46),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, 400, 271),
        (b"SELECT 1", {"Content-Encoding": "snappy-ish"}, 400, 89),
    ],
)
def test_bad_requests_get_clean_errors(
    wh: PrivateWarehouse, body: bytes, headers: dict[str, str], status: int, code: int
) -> None:
    assert_error(wh.post(body, headers=headers), status, code)
    assert_still_serving(wh)


def test_unknown_setting_and_wrong_password(wh: PrivateWarehouse) -> None:
    assert_error(
        httpx.post(f"{wh.url}/?no_such_setting_here=1", content=b"SELECT 1", auth=ADMIN), 404, 115
    )
    assert_error(wh.post("SELECT 1", auth=("lianxi_admin", "wrong")), 401, 516)
    assert_error(wh.post("SELECT 1", auth=("nobody", "x")), 401, 516)
    assert_still_serving(wh)


def test_failed_inserts_write_nothing(wh: PrivateWarehouse, db: str) -> None:
    wh.post(
        f"CREATE TABLE {db}.t (a UInt32, b String) ENGINE = MergeTree ORDER BY a"
    ).raise_for_status()
    good = "".join(f"{i},x{i}\n" for i in range(1000))
    # A bad row at the end of an otherwise valid body: the whole insert fails.
    response = wh.post(f"INSERT INTO {db}.t FORMAT CSV\n{good}oops,not-a-number\n")
    assert response.status_code == 400 and "Code: 27." in response.text
    response = wh.post(f"INSERT INTO {db}.t (a, b, c) FORMAT CSV\n1,2,3\n")
    assert response.status_code >= 400
    response = wh.post(f"INSERT INTO {db}.t FORMAT Native\n".encode() + b"\x01\x09\xff\xff\xff")
    assert response.status_code >= 400
    assert wh.post(f"SELECT count() FROM {db}.t").text == "0\n"
    wh.post(f"INSERT INTO {db}.t FORMAT CSV\n{good}").raise_for_status()
    assert wh.post(f"SELECT count() FROM {db}.t").text == "1000\n"


def test_multipart_form_query_and_parameters(wh: PrivateWarehouse) -> None:
    response = httpx.post(
        f"{wh.url}/",
        auth=ADMIN,
        files={"query": (None, "SELECT {a:UInt32} * 2"), "param_a": (None, "21")},
    )
    assert response.text == "42\n"


def test_native_compressed_request_and_response(wh: PrivateWarehouse) -> None:
    from io import BytesIO

    from clickhouse_driver.compression import get_decompressor_cls
    from clickhouse_driver.compression.lz4 import Compressor
    from clickhouse_driver.reader import read_binary_uint8, read_binary_uint128
    from clickhouse_driver.streams.compressed import CityHash128
    from clickhouse_driver.writer import write_binary_uint128

    # Request body compressed the way clickhouse-driver compresses native blocks.
    compressor = Compressor()
    compressor.write(b"SELECT 40 + 2")
    block = bytes([compressor.method_byte]) + compressor.get_compressed_data(1)
    out = BytesIO()
    write_binary_uint128(CityHash128(block), out)
    body = out.getvalue() + block
    response = httpx.post(f"{wh.url}/?decompress=1", content=body, auth=ADMIN)
    assert response.text == "42\n"
    # Corrupt checksum → clean error.
    assert_error(
        httpx.post(f"{wh.url}/?decompress=1", content=b"\x00" * 16 + block, auth=ADMIN), 400, 40
    )
    # Truncated frame → clean error (ATTEMPT_TO_READ_AFTER_EOF), not a 500.
    assert_error(httpx.post(f"{wh.url}/?decompress=1", content=body[:-3], auth=ADMIN), 400, 32)

    response = httpx.post(
        f"{wh.url}/?compress=1", content=b"SELECT number FROM numbers(5)", auth=ADMIN
    )
    stream = BytesIO(response.content)
    checksum = read_binary_uint128(stream)
    method = read_binary_uint8(stream)
    decompressor = get_decompressor_cls(method)(stream)
    assert decompressor.get_decompressed_data(method, checksum, 1) == b"0\n1\n2\n3\n4\n"


def test_oversized_body_is_refused_and_nothing_written(wh_limits: PrivateWarehouse) -> None:
    wh = wh_limits
    wh.post(
        "CREATE TABLE IF NOT EXISTS default.big (a UInt64) ENGINE = MergeTree ORDER BY a"
    ).raise_for_status()
    rows = "".join(f"{i}\n" for i in range(50000)).encode()  # ~290 KB > 64 KiB
    assert_error(wh.post(b"INSERT INTO default.big FORMAT TSV\n" + rows), 413, 229)
    # The same limit after decompression: a small gzip body that inflates past it.
    assert_error(
        wh.post(
            gzip.compress(b"INSERT INTO default.big FORMAT TSV\n" + rows),
            headers={"Content-Encoding": "gzip"},
        ),
        413,
        229,
    )

    def chunks():  # chunked, no Content-Length: the server counts as it reads
        for _ in range(100):
            yield b"0\n" * 1000

    response = httpx.post(
        f"{wh.url}/?query=INSERT%20INTO%20default.big%20FORMAT%20TSV", content=chunks(), auth=ADMIN
    )
    assert_error(response, 413, 229)
    assert wh.post("SELECT count() FROM default.big").text == "0\n"
    assert_still_serving(wh)


def test_max_execution_time_is_enforced_and_cannot_be_lifted(wh_limits: PrivateWarehouse) -> None:
    slow = "SELECT sleepEachRow(0.5) FROM numbers(20) SETTINGS max_block_size = 1"
    assert_error(wh_limits.post(slow), 408, 159)
    assert_error(
        httpx.post(
            f"{wh_limits.url}/?max_execution_time=100",
            content=slow.encode(),
            auth=ADMIN,
            timeout=60,
        ),
        408,
        159,
    )
    assert wh_limits.post("SELECT getSetting('max_execution_time')").text == "3\n"


def test_over_the_concurrency_cap_answers_503(wh_limits: PrivateWarehouse) -> None:
    wh = wh_limits
    slow = "SELECT sleepEachRow(0.5) FROM numbers(5) SETTINGS max_block_size = 1 FORMAT Null"
    refused = []
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(wh.post, slow) for _ in range(2)]
        # Probe until both slow queries hold the two slots (the probe itself needs one).
        while not all(f.done() for f in running):
            probe = wh.post("SELECT 1")
            if probe.status_code != 200:
                refused.append(probe)
                break
        done = [f.result() for f in running]
    # Whichever request came third was refused: the probe, or a slow query when a query of an
    # earlier test was still winding down in its slot.
    refused += [r for r in done if r.status_code != 200]
    assert refused, "the cap was never reached"
    for response in refused:
        assert_error(response, 503, 202)
    assert any(r.status_code == 200 for r in done)
    assert_still_serving(wh)


def wait_until_running(wh: PrivateWarehouse, marker: str) -> None:
    probe = f"SELECT count() FROM system.processes WHERE query LIKE '%{marker}%' AND query NOT LIKE '%system.processes%'"
    while wh.post(probe).text == "0\n":
        time.sleep(0.1)


def test_cancel_by_query_id_via_kill_query_from_another_request(wh: PrivateWarehouse) -> None:
    query_id = f"long-{uuid.uuid4()}"
    result: dict[str, httpx.Response] = {}

    def run() -> None:
        result["r"] = httpx.post(
            f"{wh.url}/?query_id={query_id}",
            auth=ADMIN,
            timeout=120,
            content=b"SELECT count() FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))",
        )

    thread = threading.Thread(target=run)
    thread.start()
    wait_until_running(wh, "sipHash64(number))")
    duplicate = httpx.post(f"{wh.url}/?query_id={query_id}", content=b"SELECT 1", auth=ADMIN)
    assert_error(duplicate, 500, 216)
    killed = wh.post(
        "KILL QUERY WHERE query_id != '' AND query LIKE '%sipHash64(number)%' AND query NOT LIKE '%KILL%' SYNC"
    )
    assert killed.status_code == 200
    thread.join(60)
    assert result["r"].headers["x-clickhouse-exception-code"] == "394"


def test_sixteen_concurrent_clients_mix_reads_and_writes(wh: PrivateWarehouse, db: str) -> None:
    wh.post(
        f"CREATE TABLE {db}.ev (client UInt8, seq UInt32, body String) ENGINE = MergeTree ORDER BY (client, seq)"
    ).raise_for_status()
    batches, batch_rows = 10, 200

    def client_work(n: int) -> int:
        client = wh.client(compress=n % 2 == 0)
        reads = 0
        for b in range(batches):
            if n % 4 == 3:  # a quarter only read
                reads += client.query(f"SELECT count() FROM {db}.ev").result_rows[0][0] >= 0
                client.query("SELECT sum(number) FROM numbers(100000)")
                continue
            rows = [(n, b * batch_rows + i, f"事件{i}") for i in range(batch_rows)]
            client.insert(f"{db}.ev", rows, column_names=["client", "seq", "body"])
            reads += (
                client.query(f"SELECT count() FROM {db}.ev WHERE client = {n}").result_rows[0][0]
                == (b + 1) * batch_rows
            )
        return reads

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(client_work, range(16)))
    writers = [n for n in range(16) if n % 4 != 3]
    # Every writer saw each of its own inserts at once (synchronous inserts).
    assert all(results[n] == batches for n in writers)
    expected = len(writers) * batches * batch_rows
    assert (
        wh.post(f"SELECT count(), uniqExact(client, seq) FROM {db}.ev").text
        == f"{expected}\t{expected}\n"
    )


def test_graceful_shutdown_finishes_in_flight_queries(private_wh) -> None:
    wh = private_wh(LIANXI_WAREHOUSE_NATIVE_ENABLED="false").start(migrate=False)
    result: dict[str, httpx.Response] = {}

    def run() -> None:
        result["r"] = wh.post(
            "SELECT sum(sleepEachRow(0.5)) AS in_flight FROM numbers(4) SETTINGS max_block_size = 1"
        )

    thread = threading.Thread(target=run)
    thread.start()
    wait_until_running(wh, "AS in_flight")
    assert wh.stop() == 0
    thread.join(30)
    assert result["r"].status_code == 200 and result["r"].text == "0\n"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{wh.url}/ping")


def test_client_hangup_cancels_a_running_select(wh: PrivateWarehouse) -> None:
    marker = f"hangup_{uuid.uuid4().hex[:8]}"
    sql = (
        f"SELECT count() AS {marker} FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))"
    )
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{wh.url}/", content=sql.encode(), auth=ADMIN, timeout=1.5)
    probe = f"SELECT count() FROM system.processes WHERE query LIKE '%{marker} FROM%' AND query NOT LIKE '%system.processes%'"
    for _ in range(100):
        if wh.post(probe).text == "0\n":
            break
        time.sleep(0.2)
    assert wh.post(probe).text == "0\n"
