"""One truth across dashboards (issue #13): every chart of every dashboard, read through
Superset's chart-data API as the district leader, a street secretary and a community
secretary, shows each KPI with one value per scope, and that value is the mart's.

A KPI value is a single figure: a big-number tile, or a chart without a groupby whose only
row is the total (the overview's 主要指标一览). Which KPI a figure shows is read from what the
chart queries: on `fct_kpi_monthly` its `kpi = '…'` filter, on `fct_headline_indicators` the
column, on a fact table the metric's label. The scope of a figure is the persona's (row-level
security) unless its dataset is district-wide (`scope: district` in spec/datasets.yaml: the
headline row every role sees). The period is the charts' default, the whole time range.
"""

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash_stack import WAREHOUSE_HTTP_PORT, chart_rows, dashboard_charts
from support.ingest_api import RunningApi
from support.ports import free_port

from dashboards import bundle_build, rls
from ingest.config import IngestSettings

# persona -> the unit their /v1/metrics token is scoped to (None: the district, no areas)
UNITS = {"leader": None, "street-s-03": "s-03", "community-c-05-2": "c-05-2", "street-s-05": "s-05"}
# persona -> (their scope, their street, their community): on each mart the scope is the row-level
# security clause of that mart's dataset (dashboards/rls.py), "1" for the district
PERSONAS = {
    "leader": ("全区", None, None),
    "street-s-03": ("街道 s-03", "s-03", None),
    "community-c-05-2": ("社区 c-05-2", "s-05", "c-05-2"),
    "street-s-05": ("街道 s-05", "s-05", None),
}
DISTRICT = PERSONAS["leader"]


def scope_where(scope: str, table: str) -> str:
    """The rows of `table` a persona of this scope sees, as the dashboards' RLS clause."""
    _, street, community = next(p for p in PERSONAS.values() if p[0] == scope)
    if street is None:
        return "1"
    datasets, _ = bundle_build.load_spec()
    return rls.clause_for(datasets[table]["scope"], street, community) or "1"


# fct_kpi_monthly.kpi -> KPI (rates: sum(numerator) / nullIf(sum(denominator), 0))
RATES = {
    "response_rate": "响应率",
    "resolution_rate": "办结率",
    "satisfaction_rate": "满意率",
    "overdue_rate": "超期率",
    "street_meeting_compliance": "街道联席会议履约率",
    "community_meeting_compliance": "社区联席会议履约率",
    "wish_fulfilment_rate": "微心愿实现率",
}
# KPI -> (mart, aggregate) for the counts a dashboard shows
COUNTS = {
    "受理诉求": ("fct_tickets", "count()"),
    "已办结": ("fct_tickets", "countIf(resolved_at IS NOT NULL)"),
    "待办结": ("fct_tickets", "countIf(resolved_at IS NULL)"),
    "报到党员": ("fct_registrations", "count()"),
    "在职党员报到": ("fct_registrations", "sum(is_in_service_registered)"),
    "微心愿发布": ("fct_wishes", "count()"),
    "微心愿认领": ("fct_wishes", "countIf(claimed_at IS NOT NULL)"),
    "微心愿实现": ("fct_wishes", "countIf(fulfilled_at IS NOT NULL)"),
    "志愿岗位认领": ("fct_volunteering", "count()"),
    "志愿服务时长": ("fct_volunteering", "sum(hours)"),
    "未召开会议": ("fct_meeting_compliance", "countIf(status = 'missed')"),
}
# fct_headline_indicators column -> KPI (the district's published figure)
HEADLINE = {
    **{column: kpi for column, kpi in RATES.items() if column != "wish_fulfilment_rate"},
    "tickets_opened": "受理诉求",
    "tickets_resolved": "已办结",
    "in_service_members_registered": "在职党员报到",
    "micro_wishes_posted": "微心愿发布",
    "micro_wishes_claimed": "微心愿认领",
    "micro_wishes_fulfilled": "微心愿实现",
    "volunteer_posts_claimed": "志愿岗位认领",
    "volunteer_hours": "志愿服务时长",
}
# (fact dataset, metric label) -> KPI
FACT_LABELS = {
    ("fct_tickets", "受理诉求"): "受理诉求",
    ("fct_tickets", "已办结"): "已办结",
    ("fct_tickets", "待办结"): "待办结",
    ("fct_registrations", "报到党员"): "报到党员",
    ("fct_registrations", "在职党员"): "在职党员报到",
    ("fct_wishes", "发布"): "微心愿发布",
    ("fct_wishes", "认领"): "微心愿认领",
    ("fct_wishes", "实现"): "微心愿实现",
    ("fct_volunteering", "认领岗位"): "志愿岗位认领",
    ("fct_volunteering", "服务时长"): "志愿服务时长",
    ("fct_meeting_compliance", "未召开"): "未召开会议",
}
# KPIs every persona must find on the dashboards as a single figure (so the test never passes
# because nothing was recognised)
SHOWN_EVERYWHERE = {"办结率", "满意率", "响应率", "街道联席会议履约率", "社区联席会议履约率",
                    "微心愿实现率", "受理诉求", "已办结", "待办结", "在职党员报到"}  # fmt: skip


def kpi_of(dataset: str, metric: dict[str, Any], where: str) -> str | None:
    sql, label = metric["sqlExpression"], metric["label"]
    if dataset == "fct_kpi_monthly":
        codes = re.findall(r"kpi = '(\w+)'", where)
        assert sql == "sum(numerator) / nullIf(sum(denominator), 0)" and len(codes) == 1, (
            label,
            sql,
            where,
        )
        return RATES[codes[0]]
    if dataset == "fct_headline_indicators":
        return HEADLINE.get(sql.removeprefix("max(").removesuffix(")"))
    return FACT_LABELS.get((dataset, label))


def mart_value(client: Any, kpi: str, scope: str) -> float | None:
    if kpi in RATES.values():
        code = next(code for code, name in RATES.items() if name == kpi)
        sql = (
            "SELECT sum(numerator) / nullIf(sum(denominator), 0) FROM marts.fct_kpi_monthly "
            f"WHERE kpi = '{code}' AND {scope_where(scope, 'fct_kpi_monthly')}"
        )
    else:
        table, aggregate = COUNTS[kpi]
        sql = f"SELECT {aggregate} FROM marts.{table} WHERE {scope_where(scope, table)}"
    value = client.query(sql).result_rows[0][0]
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def single_figures(
    session: Any, user: str
) -> tuple[dict[tuple[str, str], list[tuple[str, str, Any]]], list[str]]:
    """(KPI, scope) -> [(dashboard, chart, value)] of every single figure the user is shown,
    and the figures that look like a KPI (a rate, or the metric layer) but are not recognised."""
    datasets, dashboards = bundle_build.load_spec()
    spec = {chart["title"]: chart for chart in bundle_build.iter_charts(dashboards)}
    shown: dict[tuple[str, str], list[tuple[str, str, Any]]] = {}
    unrecognised = []
    for slug, charts in dashboard_charts(session).items():
        for chart in charts:
            title = chart["slice_name"]
            dataset = spec[title]["dataset"]
            query = json.loads(chart["query_context"])["queries"][0]
            if query.get("columns") or query.get("is_timeseries"):
                continue  # grouped: not a single figure
            rows = chart_rows(session, chart)
            assert len(rows) <= 1, (user, slug, title, rows)
            scope = DISTRICT[0] if datasets[dataset]["scope"] == "district" else PERSONAS[user][0]
            for metric in query["metrics"]:
                kpi = kpi_of(dataset, metric, query["extras"].get("where", ""))
                if kpi is None:
                    if metric["label"].endswith("率"):
                        unrecognised.append(
                            f"{slug}/{title}: {metric['label']} = {metric['sqlExpression']}"
                        )
                    continue
                value = rows[0][metric["label"]] if rows else None
                shown.setdefault((kpi, scope), []).append((slug, title, value))
    return shown, unrecognised


@pytest.mark.parametrize("user", list(PERSONAS))
def test_each_kpi_has_one_value_per_scope_equal_to_the_mart(
    login: Any, private_warehouse: Any, user: str
) -> None:
    shown, unrecognised = single_figures(login(user), user)
    assert unrecognised == [], f"{user}: rates the consistency test does not know: {unrecognised}"
    assert SHOWN_EVERYWHERE <= {kpi for kpi, _ in shown}, (user, sorted(shown))
    client = private_warehouse.client()
    try:
        for (kpi, scope), figures in sorted(shown.items()):
            first = figures[0][2]
            assert all(same(value, first) for _, _, value in figures), (
                f"{kpi} ({scope}) has more than one value for {user}: {figures}"
            )
            expected = mart_value(client, kpi, scope)
            assert same(first, expected), (
                f"{kpi} ({scope}) for {user}: dashboards show {figures}, the mart {expected}"
            )
    finally:
        client.close()


def test_a_community_secretary_sees_their_streets_joint_meetings_not_zero_or_nothing(
    login: Any, private_warehouse: Any
) -> None:
    """A community has no street meeting of its own but sits in its street's: its secretary's
    街道联席会议履约率 is the street's figure (never 0.0 %, never an empty tile), the same as the
    street secretary's, and no sibling street's rows reach them."""
    community, _ = single_figures(login("community-c-05-2"), "community-c-05-2")
    street, _ = single_figures(login("street-s-05"), "street-s-05")
    community_values = {value for _, _, value in community[("街道联席会议履约率", "社区 c-05-2")]}
    street_values = {value for _, _, value in street[("街道联席会议履约率", "街道 s-05")]}
    assert len(community_values) == 1 and community_values == street_values, (
        community_values,
        street_values,
    )
    assert next(iter(community_values)) > 0


class MetricsApi:
    """The real ingest API (uvicorn, in a thread) reading the dashboards' private warehouse with
    the account the API uses in production (lianxi_reader), and a token per persona scoped to
    the persona's unit, as the dashboards' row-level security scopes the persona."""

    def __init__(self, var_dir: Path) -> None:
        settings = IngestSettings(var_dir=var_dir, warehouse_http_port=WAREHOUSE_HTTP_PORT)
        self.api = RunningApi(settings, free_port()).start()
        self.tokens = {
            user: self.api.token(
                "consistency-test", ["lianxi.ticket.opened"], areas=[unit] if unit else []
            )
            for user, unit in UNITS.items()
        }

    def value(self, user: str, kpi: str) -> float | None:
        unit = UNITS[user]
        with self.api.client(self.tokens[user]) as client:
            response = client.get(f"/v1/metrics/{kpi}", params={"unit": unit} if unit else {})
        assert response.status_code == 200, (user, kpi, response.text)
        body = response.json()
        assert body["unit"] == unit, body
        value: float | None = body["value"]
        return value

    def stop(self) -> None:
        self.api.stop()


@pytest.fixture(scope="module")
def metrics_api(
    private_warehouse: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MetricsApi]:
    api = MetricsApi(tmp_path_factory.mktemp("metrics-api"))
    try:
        yield api
    finally:
        api.stop()


@pytest.mark.parametrize("user", list(PERSONAS))
def test_each_rate_on_the_dashboards_equals_the_metrics_api(
    login: Any, metrics_api: MetricsApi, user: str
) -> None:
    """The same persona reads the same rate from GET /v1/metrics/{kpi} (token scoped to the
    persona's unit) as from every dashboard: one truth for other systems too."""
    shown, _ = single_figures(login(user), user)
    own_scope = PERSONAS[user][0]
    compared = []
    for code, kpi in RATES.items():
        figures = shown.get((kpi, own_scope))
        if not figures:
            continue
        api_value = metrics_api.value(user, code)
        assert same(figures[0][2], api_value), (
            f"{kpi} for {user}: dashboards show {figures}, /v1/metrics/{code} {api_value}"
        )
        compared.append(kpi)
    # A district-wide figure the persona sees (the headline row) equals the leader's API value.
    for code, kpi in RATES.items():
        if own_scope != DISTRICT[0] and (kpi, DISTRICT[0]) in shown:
            assert same(shown[(kpi, DISTRICT[0])][0][2], metrics_api.value("leader", code)), kpi
    assert {"办结率", "满意率", "响应率"} <= set(compared), (user, compared)
