"""One private warehouse server for the attack tests, migrated, with a marts table and a file
outside the server that no role but admin may read."""

from collections.abc import Iterator

import pytest
from support.warehouse import PrivateWarehouse


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWarehouse]:
    server = PrivateWarehouse(tmp_path_factory.mktemp("security") / "data").start()
    for sql in (
        "CREATE TABLE IF NOT EXISTS marts.sec_fct (street_id String, n UInt64) ENGINE = MergeTree ORDER BY street_id",
        "INSERT INTO marts.sec_fct VALUES ('s-01', 1), ('s-02', 2)",
        "CREATE TABLE IF NOT EXISTS raw.sec_events (id UInt64) ENGINE = MergeTree ORDER BY id",
        "INSERT INTO raw.sec_events VALUES (1)",
        "CREATE TABLE IF NOT EXISTS staging.sec_stg (id UInt64) ENGINE = MergeTree PARTITION BY id ORDER BY id",
        "INSERT INTO staging.sec_stg VALUES (7)",
    ):
        server.post(sql).raise_for_status()
    yield server
    server.stop()
