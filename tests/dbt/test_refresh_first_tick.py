"""The dbt refresh loop on an empty warehouse: its first tick loads the seeds the models read,
so the marts exist without anyone running `lianxi dbt build` first."""

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.dbt.private_warehouse import DbtWarehouse

LIANXI = str(Path(sys.executable).parent / "lianxi")


def test_first_tick_on_an_empty_warehouse_builds_the_marts(dbt_warehouse: DbtWarehouse) -> None:
    env = {
        **os.environ,
        **dbt_warehouse.dbt_env(),
        "LIANXI_ENV": "development",
        "LIANXI_WAREHOUSE_HTTP_PORT": str(dbt_warehouse.http_port),
        "LIANXI_WAREHOUSE_NATIVE_PORT": str(dbt_warehouse.native_port),
    }
    log = dbt_warehouse.workdir / "refresh.log"
    with log.open("wb") as out:
        loop = subprocess.Popen(
            [LIANXI, "dbt", "refresh", "--loop", "--interval", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        client = dbt_warehouse.client()
        deadline = time.monotonic() + 300  # a hang guard, not a performance limit
        built = False
        while time.monotonic() < deadline and loop.poll() is None and not built:
            time.sleep(1)
            built = (
                client.query(
                    "SELECT count() FROM system.tables WHERE database = 'marts' "
                    "AND name IN ('kpi_definitions', 'fct_headline_indicators')"
                ).result_rows[0][0]
                == 2
            )
        assert built, log.read_text()[-3000:]
        assert client.query("SELECT count() FROM marts.kpi_definitions").result_rows[0][0] > 0
        assert "Unknown table expression identifier" not in log.read_text()
    finally:
        loop.terminate()
        loop.wait(timeout=60)
