"""An acknowledged insert survives kill -9 of the server (async_insert is off on purpose)."""

from support.warehouse import PrivateWarehouse


def test_acknowledged_inserts_survive_kill_9(private_wh, tmp_path) -> None:
    data_dir = tmp_path / "data"
    wh: PrivateWarehouse = private_wh(data_dir).start()
    client = wh.client()
    assert client.command("SELECT getSetting('async_insert')") == "false"
    client.command(
        "CREATE TABLE raw.durable (id UInt64, note String) ENGINE = MergeTree ORDER BY id"
    )
    acknowledged = 0
    for batch in range(20):
        rows = [(batch * 50 + i, "确认") for i in range(50)]
        acknowledged += client.insert("raw.durable", rows, column_names=["id", "note"]).written_rows
    # A few tiny inserts too: the kind async_insert would have buffered.
    for i in range(5):
        wh.post(f"INSERT INTO raw.durable VALUES ({10_000 + i}, 'small')").raise_for_status()
        acknowledged += 1
    wh.kill()

    again: PrivateWarehouse = private_wh(data_dir).start()
    assert (
        again.post("SELECT count(), uniqExact(id) FROM raw.durable").text
        == f"{acknowledged}\t{acknowledged}\n"
    )
    # Asking for async_insert explicitly still acknowledges only after the flush.
    again.post(
        "INSERT INTO raw.durable SETTINGS async_insert = 1 VALUES (20000, 'async')"
    ).raise_for_status()
    again.kill()
    third: PrivateWarehouse = private_wh(data_dir).start()
    assert third.post("SELECT count() FROM raw.durable").text == f"{acknowledged + 1}\n"
