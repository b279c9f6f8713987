"""A private warehouse with the hand-written district of tests/dbt built by real dbt (as of
2026-06-15), read by the packs as the reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dbt import scenario
from tests.dbt.private_warehouse import DbtWarehouse, failure_summary
from tests.dbt.raw_loader import load_events


def other_street_tickets() -> list[dict]:
    """Two tickets of 渭阳西路街道 (s-02) in Q1, never resolved (overdue): what s-01's pack
    must not show. The tests/dbt scenario's tickets are all s-01's."""
    return [
        scenario.ticket_opened(
            tid,
            moment,
            "hotline",
            category="environment",
            community_id="c-02-01",
            street_id="s-02",
            description="垃圾清运不及时",
        )
        for tid, moment in (
            ("t-s02-a", "2026-01-10T02:00:00Z"),
            ("t-s02-b", "2026-03-03T02:00:00Z"),
        )
    ]


@pytest.fixture(scope="package")
def built_marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtWarehouse]:
    server = DbtWarehouse(tmp_path_factory.mktemp("reports_wh")).start()
    try:
        load_events(server.writer(), scenario.events() + other_street_tickets())
        result = server.dbt("build", as_of=scenario.AS_OF)
        assert result.returncode == 0, failure_summary(result)
        yield server
    finally:
        server.stop()
