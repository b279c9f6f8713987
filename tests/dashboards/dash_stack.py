"""A private warehouse server and Superset on the dashboards engineer's own ports.

Used by tests/dashboards (fixtures) and tests/perf/bench_dashboards.py. Both are the real
programs: `python -m warehouse.server` over a fresh data directory (support.warehouse), and Superset served
as the stack serves it (infra/superset/bootstrap.gunicorn_command, with the stack's workers and
threads) with the stack's own infra/superset/superset_config.py, its SQLite metadata
database under /tmp/dash_superset (bootstrapped once, then reused: migrations are slow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from support.ports import port_taken
from support.wait import wait_for_http
from support.warehouse import PrivateWarehouse

from infra.superset.bootstrap import gunicorn_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURE_SQL = Path(__file__).resolve().parent / "marts_fixture.sql"
SUPERSET_CONFIG = ROOT / "infra" / "superset" / "superset_config.py"

SUPERSET_PORT = 58088
WAREHOUSE_HTTP_PORT = 58123
WAREHOUSE_NATIVE_PORT = 59000
SUPERSET_STATE = Path("/tmp/dash_superset/var")
ADMIN = ("admin", "admin")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def development_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LIANXI_ENV": "development",
            "LIANXI_SUPERSET_PORT": str(SUPERSET_PORT),
            "LIANXI_WAREHOUSE_HTTP_PORT": str(WAREHOUSE_HTTP_PORT),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(WAREHOUSE_NATIVE_PORT),
            "LIANXI_WAREHOUSE_HOST": "127.0.0.1",
            "LIANXI_SUPERSET_HOST": "127.0.0.1",
        }
    )
    env.update(extra)
    return env


def dashboards_warehouse(data_dir: Path) -> PrivateWarehouse:
    """The dashboards' warehouse (not started, not migrated: load_marts makes what it needs) on
    the fixed ports the stand-in database connection of the bundle names."""
    return PrivateWarehouse(
        data_dir, http_port=WAREHOUSE_HTTP_PORT, native_port=WAREHOUSE_NATIVE_PORT
    )


def load_marts(warehouse: PrivateWarehouse) -> None:
    """The stand-in marts (marts_fixture.sql) the dashboards' charts read."""
    sql = "\n".join(
        line
        for line in FIXTURE_SQL.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("--")
    )
    client = warehouse.client()
    try:
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                client.command(statement)
        for seed in SEEDS:
            load_seed(client, seed)
    finally:
        client.close()


# dbt seeds the marts read (GET /v1/metrics reads its catalogue from them), loaded from the
# seed files themselves with the column types dbt_project.yml gives them.
SEEDS = ("kpi_definitions", "code_labels")


def load_seed(client: Any, seed: str) -> None:
    import yaml

    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    types: dict[str, str] = project["seeds"]["lianxi"][seed]["+column_types"]
    columns = ", ".join(f"`{name}` {kind}" for name, kind in types.items())
    client.command(
        f"CREATE TABLE IF NOT EXISTS marts.{seed} ({columns}) ENGINE = MergeTree ORDER BY tuple()"
    )
    csv = (ROOT / "dbt_project" / "seeds" / f"{seed}.csv").read_bytes()
    client.raw_insert(f"marts.{seed}", list(types), insert_block=csv, fmt="CSVWithNames")


class PrivateSuperset:
    def __init__(self, state: Path = SUPERSET_STATE) -> None:
        self.state = state
        self.log = state.parent / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{SUPERSET_PORT}"

    def env(self) -> dict[str, str]:
        return development_env(
            SUPERSET_CONFIG_PATH=str(SUPERSET_CONFIG),
            SUPERSET_HOME=str(self.state / "superset"),
            LIANXI_VAR_DIR=str(self.state),
            PYTHONPATH=str(ROOT),
        )

    def settings(self) -> Any:
        """The stack's settings as this Superset's environment gives them (workers, threads)."""
        from infra.config import InfraSettings

        return InfraSettings(env="development", superset_port=SUPERSET_PORT)

    def bootstrap(self) -> None:
        marker = self.state / "superset" / "dash-bootstrapped"
        if marker.exists() and marker.read_text().strip() == version("apache-superset"):
            return
        (self.state / "superset").mkdir(parents=True, exist_ok=True)
        superset = str(BIN / "superset")
        steps = [
            [superset, "db", "upgrade"],
            [
                superset,
                "fab",
                "create-admin",
                "--username",
                ADMIN[0],
                "--password",
                ADMIN[1],
                "--firstname",
                "Lianxi",
                "--lastname",
                "Admin",
                "--email",
                "admin@lianxi.invalid",
            ],
            [superset, "init"],
        ]
        for command in steps:
            result = subprocess.run(
                command, env=self.env(), cwd=ROOT, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(command[1:3])} failed:\n{(result.stdout + result.stderr)[-3000:]}"
                )
        marker.write_text(version("apache-superset") + "\n")

    def start(self) -> PrivateSuperset:
        if port_taken(SUPERSET_PORT):
            raise RuntimeError(f"port {SUPERSET_PORT} is taken: stop whatever holds it first")
        self.bootstrap()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                gunicorn_command(self.settings()),
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_http(f"{self.url}/health", self.process, self.log, 180)
        return self

    def stop(self) -> None:
        _stop(self.process)


def dashboards_settings():  # type: ignore[no-untyped-def]
    from dashboards.config import DashboardsSettings

    return DashboardsSettings(
        env="development",
        superset_port=SUPERSET_PORT,
        warehouse_http_port=WAREHOUSE_HTTP_PORT,
        warehouse_host="127.0.0.1",
        superset_host="127.0.0.1",
    )


def dashboard_charts(session: Any) -> dict[str, list[dict[str, Any]]]:
    """Charts of each dashboard (by slug) with their stored query context."""
    result = {}
    for board in session.list_all("dashboard", ["id", "slug"]):
        charts = session.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
        result[board["slug"]] = [
            session.get(f"/api/v1/chart/{chart['id']}")["result"] for chart in charts
        ]
    return result


def chart_rows(session: Any, chart: dict[str, Any], **changes: Any) -> list[dict[str, Any]]:
    """POST the chart's own query context to /api/v1/chart/data, optionally altering its query."""
    context = json.loads(chart["query_context"])
    context["queries"][0].update(changes)
    context["force"] = True
    body = session.post("/api/v1/chart/data", json=context)
    result = body["result"][0]
    assert result.get("error") is None, result
    return list(result["data"])


@contextmanager
def provisioned_stack(
    prepare: Callable[[PrivateWarehouse], Any] | None = None,
) -> Iterator[tuple[PrivateWarehouse, PrivateSuperset, Any]]:
    """For benchmarks: the private warehouse with the stand-in marts (then `prepare(warehouse)`,
    e.g. to grow them), Superset with the bundle imported and the roles provisioned; both
    stopped at the end. Yields (warehouse, superset, dashboards settings)."""
    from dashboards import importer, org_tree, roles
    from dashboards.superset_api import SupersetSession

    data = tempfile.TemporaryDirectory(prefix="dash_wh_")
    warehouse = dashboards_warehouse(Path(data.name) / "data").start(migrate=False)
    superset = None
    try:
        load_marts(warehouse)
        if prepare is not None:
            prepare(warehouse)
        superset = PrivateSuperset().start()
        settings = dashboards_settings()
        with SupersetSession(superset.url, *ADMIN) as admin:
            importer.import_bundle(admin, settings)
            roles.provision(admin, settings, org_tree.read(settings))
        yield warehouse, superset, settings
    finally:
        if superset is not None:
            superset.stop()
        warehouse.stop()
        data.cleanup()
