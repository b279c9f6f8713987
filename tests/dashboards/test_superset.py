"""Through Superset's real API, against the real warehouse server: import/export, chart data,
headline figures, row-level security per role, and what the analyst may not do."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dash_stack import (
    ROOT,
    chart_rows,
    dashboard_charts,
    development_env,
)
from sql_lab import analyst_database_id, sqllab

from dashboards import bundle_build
from dashboards.superset_api import SupersetError

LIANXI = str(Path(sys.executable).parent / "lianxi")


def lianxi(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [LIANXI, "dashboards", *args],
        cwd=ROOT,
        env=development_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def counts(session: Any) -> dict[str, int]:
    return {
        kind: len(session.list_all(kind, ["id"]))
        for kind in ("chart", "dashboard", "dataset", "database")
    }


def bundle_counts() -> dict[str, int]:
    paths = bundle_build.build()
    return {
        kind: sum(path.startswith(f"{kind}s/") for path in paths)
        for kind in ("chart", "dashboard", "dataset", "database")
    }


def spec_charts() -> dict[str, dict[str, Any]]:
    _, dashboards = bundle_build.load_spec()
    return {chart["title"]: chart for chart in bundle_build.iter_charts(dashboards)}


def test_import_is_idempotent_and_export_round_trips_without_diff(
    admin_session: Any, tmp_path: Path
) -> None:
    before = counts(admin_session)
    assert lianxi("import")["imported"]["charts"] == before["chart"] == len(spec_charts())
    assert counts(admin_session) == before == bundle_counts()
    report = lianxi("export", "--out", str(tmp_path))
    assert (
        report["added"] == sorted(report["added"]) and report["changed"] == report["removed"] == []
    )
    for path in bundle_build.BUNDLE_DIR.rglob("*.yaml"):
        relative = path.relative_to(bundle_build.BUNDLE_DIR)
        assert (tmp_path / relative).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        ), relative
    assert lianxi("export", "--check") == {
        "target": str(bundle_build.BUNDLE_DIR),
        "added": [],
        "changed": [],
        "removed": [],
    }


def test_every_chart_of_every_dashboard_returns_data(login: Any) -> None:
    leader = login("leader")
    boards = dashboard_charts(leader)
    assert set(boards) == {
        "lianxi-overview",
        "lianxi-tickets",
        "lianxi-meetings",
        "lianxi-volunteering",
        "lianxi-wishes",
        "lianxi-quality",
        "lianxi-alerts",
        "lianxi-rankings",
    }
    for slug, charts in boards.items():
        assert charts, slug
        for chart in charts:
            rows = chart_rows(leader, chart)
            assert rows, (slug, chart["slice_name"])


def test_overview_headline_numbers_equal_the_headline_mart(
    login: Any, private_warehouse: Any
) -> None:
    leader = login("leader")
    client = private_warehouse.client()
    try:
        result = client.query("SELECT * FROM marts.fct_headline_indicators")
        headline = dict(zip(result.column_names, result.result_rows[0], strict=True))
    finally:
        client.close()
    specs = spec_charts()
    checked = 0
    for chart in dashboard_charts(leader)["lianxi-overview"]:
        spec = specs[chart["slice_name"]]
        if spec["dataset"] != "fct_headline_indicators":
            continue
        # The rates are big numbers; the counts are the one row of 全区主要指标一览.
        metrics = [spec["metric"]] if spec["kind"] == "number" else spec["metrics"]
        [row] = chart_rows(leader, chart)
        for sql, label in metrics:
            column = sql.removeprefix("max(").removesuffix(")")
            assert row[label] == pytest.approx(headline[column]), (chart["slice_name"], label)
            checked += 1
    assert checked == 15


def test_live_tiles_read_events_of_today_without_waiting_for_dbt(
    login: Any, private_warehouse: Any
) -> None:
    leader = login("leader")
    tile = next(
        c
        for c in dashboard_charts(leader)["lianxi-overview"]
        if c["slice_name"] == "今日受理诉求（实时）"
    )
    assert int(tile["cache_timeout"]) == 5
    [before] = chart_rows(leader, tile)
    client = private_warehouse.client()
    try:
        client.command(
            "INSERT INTO marts.fct_tickets (ticket_id, channel, category, street_id, street_name, community_id, "
            "community_name, project, opened_at, reopen_count, status) SELECT 't-live', 'hotline', 'environment', "
            "'s-01', '人民路街道', 'c-01-1', '人民路第1社区', '', now64(3, 'UTC'), 0, 'open'",
            settings={"async_insert": 0},
        )
        [after] = chart_rows(leader, tile)
    finally:
        client.command(
            "DELETE FROM marts.fct_tickets WHERE ticket_id = 't-live'",
            settings={"mutations_sync": 2},
        )
        client.close()
    assert after["今日受理诉求"] == before["今日受理诉求"] + 1


def distinct_values(session: Any, chart: dict[str, Any], column: str) -> set[str]:
    # The chart's own WHERE is dropped: the question is what the whole dataset lets this user see.
    rows = chart_rows(
        session,
        chart,
        columns=[column],
        metrics=[],
        orderby=[],
        row_limit=1000,
        extras={"having": "", "where": ""},
    )
    return {row[column] for row in rows}


@pytest.mark.parametrize(
    ("user", "column", "value"),
    [
        ("street-s-03", "street_id", "s-03"),
        ("community-c-05-2", "community_id", "c-05-2"),
    ],
)
def test_secretaries_see_only_their_own_rows(
    login: Any, admin_session: Any, user: str, column: str, value: str
) -> None:
    session = login(user)
    datasets, _ = bundle_build.load_spec()
    specs = spec_charts()
    seen_datasets = set()
    published = set()
    for charts in dashboard_charts(session).values():
        for chart in charts:
            dataset = datasets[specs[chart["slice_name"]]["dataset"]]
            if (
                column in dataset["columns"]
                and specs[chart["slice_name"]]["dataset"] not in seen_datasets
            ):
                seen_datasets.add(specs[chart["slice_name"]]["dataset"])
                seen = distinct_values(session, chart, column)
                if dataset["scope"] == "district":
                    # Published to every unit (the rankings): the secretary sees them all.
                    assert seen == distinct_values(admin_session, chart, column), chart[
                        "slice_name"
                    ]
                    published.add(specs[chart["slice_name"]]["dataset"])
                elif dataset["scope"] == "community_and_street" and column == "community_id":
                    # their community's rows and their street's street-level rows ('')
                    assert value in seen and seen <= {value, ""}, chart["slice_name"]
                else:
                    # Every row the secretary can reach through this dataset belongs to their unit.
                    assert seen == {value}, chart["slice_name"]
                assert len(distinct_values(admin_session, chart, column)) > 1
    scoped = {
        table
        for table, spec in datasets.items()
        if column in spec["columns"] and table.startswith("fct_")
    }
    assert scoped - {"fct_daily_indicators"} <= seen_datasets
    assert (
        published == {t for t in scoped if datasets[t]["scope"] == "district"} == {"fct_rankings"}
    )


def test_street_secretary_totals_equal_their_street_in_the_warehouse(
    login: Any, private_warehouse: Any
) -> None:
    session = login("street-s-03")
    tickets = next(
        c for c in dashboard_charts(session)["lianxi-tickets"] if c["slice_name"] == "受理诉求"
    )
    [row] = chart_rows(session, tickets)
    client = private_warehouse.client()
    try:
        expected = client.query(
            "SELECT count() FROM marts.fct_tickets WHERE street_id = 's-03'"
        ).result_rows[0][0]
    finally:
        client.close()
    assert row["受理诉求"] == expected > 0


def test_analyst_queries_in_sql_lab_but_cannot_write(
    login: Any, admin_session: Any, private_warehouse: Any
) -> None:
    analyst = login("analyst")
    database_id = analyst_database_id(admin_session)
    result = sqllab(analyst, database_id, "SELECT count() AS n FROM marts.fct_wishes")
    assert result["data"] == [{"n": 2000}]
    for statement in (
        "INSERT INTO marts.dim_street VALUES ('s-99', 'x')",
        "DROP TABLE marts.fct_wishes",
    ):
        with pytest.raises(SupersetError) as refused:
            sqllab(analyst, database_id, statement)
        # Superset answers 500 here, but says why in a machine-readable error type.
        assert refused.value.body["errors"][0]["error_type"] == "DML_NOT_ALLOWED_ERROR", (
            refused.value.body
        )
    # The warehouse itself refuses too, whatever client the analyst uses.
    from clickhouse_connect.driver.exceptions import DatabaseError

    client = private_warehouse.client("lianxi_analyst")
    try:
        with pytest.raises(DatabaseError, match="readonly|READONLY"):
            client.command("INSERT INTO marts.dim_street VALUES ('s-99', 'x')")
    finally:
        client.close()
    assert counts(admin_session) == bundle_counts()


@pytest.mark.parametrize("user", ["analyst", "leader", "street-s-01"])
def test_viewers_cannot_edit_or_create_dashboards(login: Any, user: str) -> None:
    session = login(user)
    board = session.list_all("dashboard", ["id", "dashboard_title"])[0]
    with pytest.raises(SupersetError) as refused:
        session.put(f"/api/v1/dashboard/{board['id']}", json={"dashboard_title": "改名"})
    assert refused.value.status == 403
    with pytest.raises(SupersetError) as refused:
        session.post("/api/v1/dashboard/", json={"dashboard_title": "新看板"})
    assert refused.value.status == 403


def test_street_secretary_has_no_sql_lab(login: Any, admin_session: Any) -> None:
    with pytest.raises(SupersetError) as refused:
        sqllab(login("street-s-01"), analyst_database_id(admin_session), "SELECT 1")
    assert refused.value.status in (403, 404)


def test_roles_command_is_idempotent(admin_session: Any) -> None:
    rules_before = admin_session.list_all("rowlevelsecurity", ["id", "name"])
    report = lianxi("roles")
    # A community role has three clauses: its community, its street (dim_street, street-level
    # marts) and community_and_street; an analyst who already has a SQL Lab tab gets none.
    assert report == {
        "roles": 2 + 9 + 81,
        "rls_rules": 9 + 81 * 3,
        "demo_users": 92,
        "sqllab_tabs": 0,
    }
    rules_after = admin_session.list_all("rowlevelsecurity", ["id", "name"])
    assert sorted(r["id"] for r in rules_after) == sorted(r["id"] for r in rules_before)


def test_analyst_opens_sql_lab_on_a_ready_chinese_tab_on_marts(
    login: Any,
    admin_session: Any,
    provisioned: dict[str, Any],
    private_superset: Any,
    settings: Any,
) -> None:
    from dashboards import sqllab as starter

    analyst = login("analyst")
    state = analyst.get("/api/v1/sqllab/")["result"]
    assert [tab["label"] for tab in state["tab_state_ids"]] == [starter.TAB_LABEL]
    tab = state["active_tab"]
    database_id = analyst_database_id(admin_session)
    assert (tab["database_id"], tab["schema"]) == (database_id, "marts")
    # The starter query runs for the analyst and answers in Chinese column names.
    result = sqllab(analyst, database_id, tab["sql"])
    assert result["data"], "the starter query returned no rows"
    assert set(result["data"][0]) == {
        "指标",
        "口径版本",
        "街道",
        "季度",
        "分子",
        "分母",
        "比率（%）",
    }
    # Provisioning again leaves the analyst's tabs as they are (never overwrites work).
    assert not starter.ensure_tab(
        private_superset.url, "analyst", settings.demo_password("analyst"), database_id
    )
    again = analyst.get("/api/v1/sqllab/")["result"]["tab_state_ids"]
    assert [tab["label"] for tab in again] == [starter.TAB_LABEL]


def drill_to_detail(
    client: Any, dataset_id: int, dashboard_id: int, filters: list[dict[str, Any]]
) -> dict[str, Any]:
    """What Superset's 钻取详情 asks when a person drills from a chart: the dataset's rows under
    the clicked filters, through /datasource/samples (the browser's session, not the API's JWT)."""
    response = client.post(
        f"/datasource/samples?force=true&datasource_type=table&datasource_id={dataset_id}"
        f"&dashboard_id={dashboard_id}&per_page=500&page=1",
        json={"filters": filters, "extras": {}},
    )
    assert response.status_code == 200, response.text[:500]
    result: dict[str, Any] = response.json()["result"]
    return result


def test_drill_from_street_to_community_to_the_ticket_list_stays_in_scope(
    admin_session: Any, private_superset: Any, private_warehouse: Any, settings: Any
) -> None:
    from dashboards.superset_api import browser_session

    datasets = {
        d["table_name"]: d["id"] for d in admin_session.list_all("dataset", ["id", "table_name"])
    }
    board = next(
        d["id"]
        for d in admin_session.list_all("dashboard", ["id", "slug"])
        if d["slug"] == "lianxi-tickets"
    )
    client = private_warehouse.client()
    try:
        street_name, community_name, in_community = client.query(
            "SELECT street_name, community_name, count() FROM marts.fct_tickets WHERE street_id = 's-02' "
            "GROUP BY street_name, community_name ORDER BY community_name LIMIT 1"
        ).result_rows[0]
        in_street = client.query(
            "SELECT count() FROM marts.fct_tickets WHERE street_id = 's-02'"
        ).result_rows[0][0]
    finally:
        client.close()
    street = [{"col": "street_name", "op": "==", "val": street_name}]
    community = street + [{"col": "community_name", "op": "==", "val": community_name}]
    with browser_session(
        private_superset.url, "leader", settings.demo_password("leader")
    ) as leader:
        drilled = drill_to_detail(leader, datasets["fct_tickets"], board, street)
        assert drilled["total_count"] == in_street > 0
        drilled = drill_to_detail(leader, datasets["fct_tickets"], board, community)
        assert drilled["total_count"] == in_community > 0
        assert {row["community_name"] for row in drilled["data"]} == {community_name}
        assert all(
            row["ticket_id"] and row["opened_day"] for row in drilled["data"]
        )  # the ticket list
    with browser_session(
        private_superset.url, "street-s-02", settings.demo_password("street-s-02")
    ) as own:
        assert (
            drill_to_detail(own, datasets["fct_tickets"], board, community)["total_count"]
            == in_community
        )
        # Drilling without a filter still shows only the secretary's street (row-level security).
        everything = drill_to_detail(own, datasets["fct_tickets"], board, [])
        assert everything["total_count"] == in_street
        assert {row["street_id"] for row in everything["data"]} == {"s-02"}
    with browser_session(
        private_superset.url, "street-s-01", settings.demo_password("street-s-01")
    ) as other:
        # Another street's secretary drilling into s-02's community gets no rows of it.
        assert drill_to_detail(other, datasets["fct_tickets"], board, community)["total_count"] == 0


# Runs inside Superset's own app (the private Superset's config and metadata database), as
# every demo persona: our index-first lookup of readable datasets, schemas and catalogs
# (infra/superset/security_manager.py) against Superset's own query.
SAME_ANSWER_SCRIPT = """
import json
from flask import g
from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import security_manager
    from superset.security import SupersetSecurityManager
    sm = security_manager._get_current_object()
    answers = {"manager": type(sm).__name__, "users": {}}
    for user in sm.session.query(sm.user_model).all():
        with app.test_request_context():
            g.user = user
            answers["users"][user.username] = {
                permission: [
                    sorted(sm.user_view_menu_names(permission)),
                    sorted(SupersetSecurityManager.user_view_menu_names(sm, permission)),
                ]
                for permission in ("datasource_access", "schema_access", "catalog_access",
                                   "database_access", "all_datasource_access")
            }
print(json.dumps(answers))
"""


def test_readable_datasets_are_looked_up_as_superset_does_for_every_persona(
    private_superset: Any, provisioned: dict[str, Any]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SAME_ANSWER_SCRIPT],
        cwd=ROOT,
        env=private_superset.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["manager"] == "LianxiSecurityManager"
    users = answers["users"]
    assert {"leader", "analyst", "street-s-01", "community-c-05-2"} <= set(users)
    for login, permissions in users.items():
        for permission, (ours, superset) in permissions.items():
            assert ours == superset, (login, permission)
    # The comparison has something to compare: viewers read the marts schema, the analyst
    # also the analyst database.
    assert users["street-s-01"]["schema_access"][0] != []
    assert users["analyst"]["database_access"][0] != []
