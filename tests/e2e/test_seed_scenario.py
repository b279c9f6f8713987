"""The acceptance story on the running stack, every hop real: the simulator publishes the seed
year to Kafka, the stack's stream worker loads it into raw, dbt builds the marts, and Superset
(the stack's, with the bundle imported) shows the article's figures on the overview.

This is what `make demo` does, with the numbers checked at each hop.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.process import run_lianxi

from dashboards import bundle_build
from dashboards.superset_api import SupersetSession
from ingest.simulator import expected_counts, expected_figures
from ingest.simulator.figures import seed_year_window

SEED_SOURCE = "/simulator/seed"
# Reporting as of the New Year after the seed year (Shanghai) closes every meeting period of it.
AS_OF = seed_year_window()[1].strftime("%Y-%m-%dT%H:%M:%SZ")
# The worker loads ~100 k events; waiting is bounded so a stuck worker fails with the counts.
LOAD_WAIT_SECONDS = 1200
HEADLINE_COLUMN = {"industrial_park_problems_solved": "enterprise_problems_solved"}


def lianxi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = run_lianxi(env or {}, *args)
    assert result.returncode == 0, (
        f"lianxi {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def admin(warehouse: Any) -> Iterator[Any]:
    client = warehouse.client()
    yield client
    client.close()


def loaded_counts(admin: Any) -> dict[str, int]:
    """Distinct seed events per type in raw (a re-delivery counts once)."""
    rows = admin.query(
        "SELECT type, uniqExact(source, event_id) FROM merge('raw', '_events$') "
        "WHERE source = {s:String} GROUP BY type",
        parameters={"s": SEED_SOURCE},
    ).result_rows
    return {str(kind): int(n) for kind, n in rows}


@pytest.fixture(scope="module")
def seed_loaded(admin: Any) -> dict[str, int]:
    lianxi("topics", "create")
    lianxi("simulate", "seed")
    expected = expected_counts()
    began = time.monotonic()
    counts = loaded_counts(admin)
    while counts != expected and time.monotonic() - began < LOAD_WAIT_SECONDS:
        time.sleep(5)
        counts = loaded_counts(admin)
    return counts


@pytest.fixture(scope="module")
def marts_built(seed_loaded: dict[str, int]) -> None:
    lianxi("dbt", "build", env={"LIANXI_DBT_AS_OF": AS_OF})


def test_every_published_event_is_in_raw_exactly_once(
    seed_loaded: dict[str, int], admin: Any
) -> None:
    assert seed_loaded == expected_counts()
    # Nothing of the seed went to the dead letters.
    dead = admin.query(
        "SELECT count() FROM raw.dead_letters WHERE source = {s:String}",
        parameters={"s": SEED_SOURCE},
    ).result_rows[0][0]
    assert dead == 0


def test_headline_mart_equals_the_article_figures(marts_built: None, admin: Any) -> None:
    result = admin.query("SELECT * FROM marts.fct_headline_indicators")
    assert len(result.result_rows) == 1
    headline = dict(zip(result.column_names, result.result_rows[0], strict=True))
    expected = expected_figures()
    assert {name: headline[HEADLINE_COLUMN.get(name, name)] for name in expected} == expected


def test_dashboards_show_the_figures(
    marts_built: None, admin: Any, superset_url: str, superset_admin: tuple[str, str]
) -> None:
    imported = json.loads(lianxi("dashboards", "import").stdout.strip().splitlines()[-1])
    spec_boards = bundle_build.load_spec()[1]
    assert imported["imported"]["dashboards"] == len(spec_boards)
    lianxi("dashboards", "roles")
    headline_result = admin.query("SELECT * FROM marts.fct_headline_indicators")
    headline = dict(zip(headline_result.column_names, headline_result.result_rows[0], strict=True))
    specs = {chart["title"]: chart for chart in bundle_build.iter_charts(spec_boards)}
    # The seed year fills these; 预警 and 数据质量 show what happened in the last days (alerts,
    # feeds), which a seed year that has ended may leave empty: they must answer without error.
    seeded = {
        "lianxi-overview",
        "lianxi-tickets",
        "lianxi-meetings",
        "lianxi-volunteering",
        "lianxi-wishes",
        "lianxi-rankings",
    }
    with SupersetSession(superset_url, *superset_admin) as session:
        boards = {
            board["slug"]: board["id"] for board in session.list_all("dashboard", ["id", "slug"])
        }
        assert {board["slug"] for board in spec_boards.values()} <= set(boards)
        checked = 0
        for slug in sorted(board["slug"] for board in spec_boards.values()):
            for listed in session.get(f"/api/v1/dashboard/{boards[slug]}/charts")["result"]:
                chart = session.get(f"/api/v1/chart/{listed['id']}")["result"]
                context = json.loads(chart["query_context"])
                context["force"] = True
                result = session.post("/api/v1/chart/data", json=context)["result"][0]
                assert result.get("error") is None, (
                    slug,
                    chart["slice_name"],
                    result.get("error"),
                )
                assert result["data"] or slug not in seeded, (slug, chart["slice_name"])
                spec = specs[chart["slice_name"]]
                if slug == "lianxi-overview" and spec["dataset"] == "fct_headline_indicators":
                    # The rates are big numbers; the counts are the one row of 全区主要指标一览.
                    metrics = [spec["metric"]] if spec["kind"] == "number" else spec["metrics"]
                    for sql, label in metrics:
                        column = sql.removeprefix("max(").removesuffix(")")
                        assert result["data"][0][label] == pytest.approx(headline[column]), (
                            chart["slice_name"],
                            label,
                        )
                        checked += 1
        assert checked == 15
