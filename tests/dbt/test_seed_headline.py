"""The seed scenario end to end through dbt: the simulator's district year, loaded into raw
with the streams stage's row mapping, built by dbt on the real warehouse server, must give
exactly the headline figures the simulator promises (expected_figures(), i.e. seed.yaml)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from ingest.simulator.figures import expected_figures, seed_year_window
from ingest.simulator.indicators import indicators
from ingest.simulator.seed_year import seed_events
from tests.dbt.private_warehouse import DbtWarehouse, failure_summary
from tests.dbt.raw_loader import load_events

# Reporting as of the New Year after the seed year (Shanghai) closes every period.
AS_OF = seed_year_window()[1].strftime("%Y-%m-%dT%H:%M:%SZ")
# expected_figures() name -> fct_headline_indicators column, where they differ.
COLUMN_OF = {"industrial_park_problems_solved": "enterprise_problems_solved"}
# Secondary figures counted from the same events by the simulator (ingest/simulator/indicators.py).
SECONDARY = {
    "micro_wishes_posted": "wishes_posted",
    "micro_wishes_fulfilled": "wishes_fulfilled",
    "tickets_opened": "tickets_opened",
    "tickets_resolved": "tickets_resolved",
    "resource_matches": "resource_matches",
}


@pytest.fixture(scope="module")
def seed_build(
    dbt_warehouse: DbtWarehouse,
) -> Iterator[tuple[DbtWarehouse, list[dict]]]:
    events = seed_events()
    load_events(dbt_warehouse.writer(), events)
    loaded = (
        dbt_warehouse.client()
        .query("select uniqExact(source, event_id) from merge('raw', '_events$')")
        .result_rows[0][0]
    )
    assert loaded == len(events)
    result = dbt_warehouse.dbt("build", as_of=AS_OF)
    assert result.returncode == 0, failure_summary(result)
    yield dbt_warehouse, events


def _headline(server: DbtWarehouse) -> dict:
    result = server.client().query("select * from marts.fct_headline_indicators")
    return dict(zip(result.column_names, result.result_rows[0], strict=True))


def test_headline_equals_expected_figures(
    seed_build: tuple[DbtWarehouse, list[dict]],
) -> None:
    server, _ = seed_build
    headline = _headline(server)
    expected = expected_figures()
    actual = {name: headline[COLUMN_OF.get(name, name)] for name in expected}
    assert actual == expected


def test_secondary_indicators_match_the_simulator(
    seed_build: tuple[DbtWarehouse, list[dict]],
) -> None:
    server, events = seed_build
    headline = _headline(server)
    counted = indicators(events)
    for column, name in SECONDARY.items():
        assert headline[column] == counted[name], column
    assert math.isclose(headline["volunteer_hours"], counted["volunteer_hours"], abs_tol=0.05)
    for rate in (
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "street_meeting_compliance",
        "community_meeting_compliance",
    ):
        assert 0 <= headline[rate] <= 1, rate
