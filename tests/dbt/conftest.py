"""A private warehouse server per test module (see private_warehouse.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dbt.private_warehouse import DbtWarehouse


@pytest.fixture(scope="module")
def dbt_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtWarehouse]:
    server = DbtWarehouse(tmp_path_factory.mktemp("dbt_wh")).start()
    try:
        yield server
    finally:
        server.stop()
