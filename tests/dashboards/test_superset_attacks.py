"""The warehouse's access model seen through Superset: a street secretary's ad-hoc SQL metric
in the chart-data API and the analyst's SQL Lab cannot read a file, another server, or lift a
limit. Superset relays the warehouse's refusal; no byte of the file reaches the caller."""

import json
from pathlib import Path
from typing import Any

import pytest
from sql_lab import analyst_database_id, sqllab

from dashboards.superset_api import SupersetError

SECRET = Path("/etc/hostname")
ATTACKS = [
    f"any(file('{SECRET}'))",
    "count() + length(toString((SELECT groupArray(id) FROM raw.ticket_events)))",
    "any(toString(filesystemAvailable()))",
    "any(joinGet('raw.ticket_events', 'id', 1))",
]
# What a refusal looks like: the warehouse's codes, or Superset's own refusal before it asks.
REFUSALS = (
    "497",
    "452",
    "ACCESS_DENIED",
    "SETTING_CONSTRAINT",
    "Not enough privileges",
    "cannot contain sub-queries",
    "INVALID_SQL_ERROR",
)


def overview_chart(session: Any) -> dict[str, Any]:
    board = next(
        b for b in session.list_all("dashboard", ["id", "slug"]) if b["slug"] == "lianxi-tickets"
    )
    charts = session.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
    return session.get(f"/api/v1/chart/{charts[0]['id']}")["result"]


@pytest.mark.parametrize("expression", ATTACKS)
def test_street_secretary_ad_hoc_metric_cannot_leave_the_marts(login: Any, expression: str) -> None:
    session = login("street-s-01")
    context = json.loads(overview_chart(session)["query_context"])
    context["queries"][0]["metrics"] = [
        {"expressionType": "SQL", "sqlExpression": expression, "label": "x"}
    ]
    context["force"] = True
    try:
        body = session.post("/api/v1/chart/data", json=context)
        text = json.dumps(body, ensure_ascii=False)
        assert body["result"][0].get("error"), text
    except SupersetError as refused:
        text = json.dumps(refused.body, ensure_ascii=False)
    assert SECRET.read_text().strip() not in text.replace(expression, "")
    assert any(code in text for code in REFUSALS), text


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT file('{SECRET}')",
        "SELECT 1 INTO OUTFILE '/tmp/lianxi-superset-probe'",
        "SELECT * FROM url('http://127.0.0.1:1/', 'CSV', 'x String')",
        "SELECT 1 SETTINGS max_execution_time = 0",
    ],
)
def test_analyst_sql_lab_cannot_reach_files_or_lift_limits(
    login: Any, admin_session: Any, sql: str
) -> None:
    analyst = login("analyst")
    with pytest.raises(SupersetError) as refused:
        sqllab(analyst, analyst_database_id(admin_session), sql)
    text = json.dumps(refused.value.body, ensure_ascii=False)
    assert SECRET.read_text().strip() not in text.replace(sql, "")
    assert not Path("/tmp/lianxi-superset-probe").exists()


def street_table(session: Any) -> dict[str, Any]:
    board = next(
        b for b in session.list_all("dashboard", ["id", "slug"]) if b["slug"] == "lianxi-tickets"
    )
    charts = session.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
    chart = next(c for c in charts if c["slice_name"] == "各街道接诉即办情况")
    return json.loads(session.get(f"/api/v1/chart/{chart['id']}")["result"]["query_context"])


def cached_answer(session: Any, context: dict[str, Any]) -> dict[str, Any]:
    """The chart's answer as a dashboard load asks for it: through Superset's data cache."""
    context = {**context, "force": False}
    session.post("/api/v1/chart/data", json=context)  # fills the cache if it was empty
    result: dict[str, Any] = session.post("/api/v1/chart/data", json=context)["result"][0]
    assert result.get("error") is None and result["is_cached"], result
    return result


def test_cached_chart_data_never_crosses_row_level_security(login: Any) -> None:
    """Dashboards load from Superset's data cache (shared by every gunicorn worker and user):
    a street secretary asking the same chart right after the leader (and after another street)
    must get a cache entry of their own scope, never the leader's rows."""
    leader = login("leader")
    context = street_table(leader)
    district = cached_answer(leader, context)
    streets = {row["street_name"] for row in district["data"]}
    assert len(streets) > 1, district["data"]
    seen = {district["cache_key"]}
    for login_name in ("street-s-01", "street-s-02"):
        secretary = login(login_name)
        cached = cached_answer(secretary, context)
        fresh = secretary.post("/api/v1/chart/data", json={**context, "force": True})
        assert cached["cache_key"] not in seen
        seen.add(cached["cache_key"])
        assert cached["data"] == fresh["result"][0]["data"]
        assert len({row["street_name"] for row in cached["data"]}) == 1, cached["data"]
