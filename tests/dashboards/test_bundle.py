"""The bundle as code, without services: generation, structure, normalisation, RLS rules, settings."""

import copy
import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from dashboards import bundle_build, canonical, rls
from dashboards.config import DashboardsSettings
from dashboards.normalise import Normaliser
from dashboards.org_tree import from_rows

REPO = Path(__file__).resolve().parents[2]


def test_committed_bundle_is_what_the_spec_generates() -> None:
    rendered = bundle_build.render()
    on_disk = {
        path.relative_to(bundle_build.BUNDLE_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in bundle_build.BUNDLE_DIR.rglob("*.yaml")
    }
    assert sorted(on_disk) == sorted(rendered), "run `lianxi dashboards build`"
    stale = [path for path, text in rendered.items() if on_disk[path] != text]
    assert stale == [], "run `lianxi dashboards build`"


def test_every_file_is_versioned_with_a_unique_uuid_and_no_secret() -> None:
    files = bundle_build.build()
    uuids = [doc["uuid"] for doc in files.values() if "uuid" in doc]
    assert len(uuids) == len(set(uuids)) == len(files) - 1
    assert all(doc["version"] == "1.0.0" for doc in files.values())
    for path, doc in files.items():
        if path.startswith("databases/"):
            assert f":{bundle_build.MASKED}@" in doc["sqlalchemy_uri"]
    text = "".join(bundle_build.render().values())
    assert "dev-reader" not in text and "dev-analyst" not in text


def test_dashboards_reference_existing_charts_and_datasets() -> None:
    files = bundle_build.build()
    charts = {doc["uuid"]: doc for path, doc in files.items() if path.startswith("charts/")}
    datasets = {doc["uuid"] for path, doc in files.items() if path.startswith("datasets/")}
    dashboards = {path: doc for path, doc in files.items() if path.startswith("dashboards/")}
    assert {doc["dashboard_title"] for doc in dashboards.values()} == {
        "全区总览",
        "接诉即办",
        "联席会议",
        "双报到与志愿服务",
        "微心愿",
        "数据质量",
        "预警",
        "考核排名",
    }
    placed = set()
    for doc in dashboards.values():
        for component in doc["position"].values():
            if isinstance(component, dict) and component.get("type") == "CHART":
                assert component["meta"]["uuid"] in charts
                placed.add(component["meta"]["uuid"])
            if isinstance(component, dict) and component.get("type") == "ROW":
                widths = [
                    doc["position"][child]["meta"]["width"] for child in component["children"]
                ]
                assert sum(widths) <= 12
    assert placed == set(charts)
    # Titles identify charts for people (and for the API tests): keep them unique.
    titles = [chart["slice_name"] for chart in charts.values()]
    assert len(titles) == len(set(titles))
    assert all(chart["dataset_uuid"] in datasets for chart in charts.values())


def test_every_dashboard_has_street_community_and_date_filters_scoped_to_compatible_charts() -> (
    None
):
    datasets, dashboards = bundle_build.load_spec()
    numbers = bundle_build.chart_numbers(dashboards)
    files = bundle_build.build()
    for key, board in dashboards.items():
        filters = files[f"dashboards/{key}.yaml"]["metadata"]["native_filter_configuration"]
        assert [f["name"] for f in filters] == ["街道", "社区", "日期范围"]
        street, community, when = filters
        assert community["cascadeParentIds"] == [street["id"]]
        charts = [chart for row in board["rows"] for chart in row]
        no_street = sorted(
            numbers[c["key"]]
            for c in charts
            if "street_name" not in datasets[c["dataset"]]["columns"]
        )
        no_time = sorted(
            numbers[c["key"]] for c in charts if not datasets[c["dataset"]].get("dttm")
        )
        assert street["scope"]["excluded"] == no_street
        assert when["scope"]["excluded"] == no_time


def test_times_are_bucketed_in_shanghai_days() -> None:
    datasets, _ = bundle_build.load_spec()
    for table, spec in datasets.items():
        if spec.get("dttm") and spec["dttm"] in (spec.get("derived") or {}):
            expression, ch_type, _ = spec["derived"][spec["dttm"]]
            assert "'Asia/Shanghai'" in expression and ch_type == "Date", table


def test_normaliser_undoes_what_an_instance_adds_on_export() -> None:
    files = bundle_build.build()
    exported = {}
    for path, doc in files.items():
        doc = copy.deepcopy(doc)
        if path.startswith("charts/"):
            doc["params"]["datasource"] = "42__table"
            context = json.loads(doc["query_context"])
            context["datasource"]["id"] = 42
            context["form_data"]["datasource"] = "42__table"
            doc["query_context"] = json.dumps(context)
        if path.startswith("dashboards/"):
            for component in doc["position"].values():
                if isinstance(component, dict) and component.get("type") == "CHART":
                    component["meta"]["chartId"] += 1000
            for native_filter in doc["metadata"]["native_filter_configuration"]:
                native_filter["scope"]["excluded"] = [
                    i + 1000 for i in native_filter["scope"]["excluded"]
                ]
        if path.startswith("databases/"):
            doc["sqlalchemy_uri"] = doc["sqlalchemy_uri"].replace(
                "127.0.0.1:8123", "10.1.2.3:18123"
            )
        if path == "metadata.yaml":
            doc["timestamp"] = "2026-11-25T09:27:50+00:00"
        exported[path.replace(".yaml", "_7.yaml") if path.startswith("charts/") else path] = doc
    normalised = {path: canonical.dump(doc) for path, doc in Normaliser().files(exported).items()}
    assert normalised == bundle_build.render()


def test_rls_clauses_follow_the_finest_scope_column_of_each_dataset() -> None:
    streets = from_rows(
        [
            ("s-01", "人民路街道", "c-01-1", "一社区"),
            ("s-01", "人民路街道", "c-01-2", "二社区"),
            ("s-02", "西兰路街道", None, None),
        ]
    )
    scopes = {
        "fct_tickets": "community",
        "fct_meeting_compliance": "community_and_street",
        "dim_street": "street",
        "fct_headline_indicators": "district",
    }
    specs = {spec.login: spec for spec in rls.role_specs(streets, scopes)}
    assert set(specs) == {
        "leader",
        "analyst",
        "street-s-01",
        "street-s-02",
        "community-c-01-1",
        "community-c-01-2",
    }
    assert specs["leader"].clauses == {} and specs["analyst"].analyst
    assert specs["street-s-02"].clauses == {
        "fct_tickets": "street_id = 's-02'",
        "fct_meeting_compliance": "street_id = 's-02'",
        "dim_street": "street_id = 's-02'",
    }
    assert specs["community-c-01-2"].clauses == {
        "fct_tickets": "community_id = 'c-01-2'",
        "fct_meeting_compliance": "(community_id = 'c-01-2' OR (street_id = 's-01' AND community_id = ''))",
        "dim_street": "street_id = 's-01'",
    }


def test_rls_refuses_ids_that_could_break_out_of_the_literal() -> None:
    with pytest.raises(ValueError, match="characters outside"):
        rls.clause_for("street", "s-01' OR '1'='1", None)


def test_placeholder_secrets_are_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="LIANXI_WAREHOUSE_READER_PASSWORD"):
        DashboardsSettings(
            env="production",
            superset_admin_password="s3cret",
            warehouse_analyst_password="x1",
        )
    settings = DashboardsSettings(
        env="production",
        superset_admin_password="a",
        warehouse_reader_password="b",
        warehouse_analyst_password="c",
    )
    with pytest.raises(ValueError, match="LIANXI_DASHBOARDS_DEMO_PASSWORD"):
        settings.demo_password("leader")
    assert DashboardsSettings(env="development").demo_password("leader") == "dev-leader"


def test_cli_reports_an_unreachable_superset_as_one_json_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboards.cli import dashboards_app

    monkeypatch.setenv("LIANXI_ENV", "development")
    monkeypatch.setenv("LIANXI_SUPERSET_PORT", "9")  # discard port: nothing listens there
    result = CliRunner().invoke(dashboards_app, ["import"])
    assert result.exit_code == 1
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["error"] == "superset_unreachable"
    assert "Traceback" not in result.output


def test_cli_reports_invalid_settings_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboards.cli import dashboards_app

    monkeypatch.setenv("LIANXI_SUPERSET_PORT", "not-a-port")
    result = CliRunner().invoke(dashboards_app, ["export", "--check"])
    assert result.exit_code == 1
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["error"] == "invalid_settings"
    assert error["errors"][0]["field"] == "superset_port"


def _chart_columns(chart: dict) -> list[str]:
    """Every column a chart groups, splits or places on an axis by."""
    named = [chart["x"]] if chart.get("x") else []
    for key in ("groupby", "rows_by", "columns_by"):
        named += chart.get(key) or []
    return named


def test_charts_show_chinese_labels_never_codes() -> None:
    """A chart groups by the mart's *_zh label column (dbt seed code_labels), not by the code
    beside it: bars read 物业管理, 道路交通, a missing project 未填写, never property or <NULL>."""
    datasets, dashboards = bundle_build.load_spec()
    marts_yml = canonical.load(
        (REPO / "dbt_project/models/marts/_marts__models.yml").read_text(encoding="utf-8")
    )
    tested = {
        (model["name"], column["name"])
        for model in marts_yml["models"]
        for column in model.get("columns") or []
        if "not_null" in (column.get("data_tests") or [])
    }
    for table, spec in datasets.items():
        for name in spec["columns"]:
            if name.endswith("_zh"):
                # the label comes from dbt, where a code without a label fails the not_null test
                assert (table, name) in tested, (table, name)
                assert name.removesuffix("_zh") in spec["columns"], (table, name)
        for name, (expression, _, _) in (spec.get("derived") or {}).items():
            assert "transform(" not in expression, (
                f"{table}.{name}: labels come from the marts, not the dataset"
            )
    for chart in bundle_build.iter_charts(dashboards):
        columns = datasets[chart["dataset"]]["columns"]
        for column in _chart_columns(chart):
            assert f"{column}_zh" not in columns, (
                f"{chart['key']} groups by the code {column}, use {column}_zh"
            )


KPI_RATE = "sum(numerator) / nullIf(sum(denominator), 0)"
# Fact columns that only matter as inputs to a kpi_definitions rate: a chart aggregating them
# recomputes the KPI (and silently ignores its versions).
KPI_INPUTS = ("first_responded_at", "hours_to_respond", "rated_satisfaction")


def _kpis_defined() -> set[str]:
    text = (REPO / "dbt_project/seeds/kpi_definitions.csv").read_text(encoding="utf-8")
    return {line.split(",")[0] for line in text.splitlines()[1:] if line.strip()}


def _chart_metrics(chart: dict) -> list[str]:
    return [sql for sql, _ in chart.get("metrics") or [chart["metric"]]]


def test_charts_read_rates_from_the_metric_layer() -> None:
    """One truth: a chart never computes a rate. A ratio appears only as the one expression
    over fct_kpi_monthly (numerators/denominators under the versioned kpi_definitions), and
    only for KPIs defined there; no chart aggregates a KPI's raw inputs."""
    datasets, dashboards = bundle_build.load_spec()
    defined = _kpis_defined()
    params = _built_params()
    assert "fct_kpi_monthly" in datasets
    rate_charts = 0
    for chart in bundle_build.iter_charts(dashboards):
        for sql in _chart_metrics(chart):
            lowered = sql.lower()
            assert not any(column in lowered for column in KPI_INPUTS), (
                f"{chart['key']}: {sql} recomputes a KPI from facts; read fct_kpi_monthly"
            )
            if "/" not in sql:
                continue
            assert sql == KPI_RATE and chart["dataset"] == "fct_kpi_monthly", (
                f"{chart['key']}: {sql} computes a rate itself; use {KPI_RATE} on fct_kpi_monthly"
            )
            kpis = re.findall(r"'([a-z_]+)'", chart.get("where", ""))
            assert kpis, f"{chart['key']}: a rate chart names its KPI (where kpi = '…')"
            for kpi in kpis:
                # street_/community_meeting_compliance are the two levels of meeting_compliance
                assert any(kpi == d or kpi.endswith(f"_{d}") for d in defined), (
                    chart["key"],
                    kpi,
                )
            # a pivot's totals would add the rates up
            assert chart["kind"] != "pivot" or not params[chart["key"]]["rowTotals"], chart["key"]
            rate_charts += 1
    assert rate_charts >= 6


def test_metric_layer_test_catches_a_chart_computing_its_own_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datasets, dashboards = bundle_build.load_spec()
    tile = next(c for c in bundle_build.iter_charts(dashboards) if c["key"] == "tk_response_rate")
    tile.update(
        dataset="fct_tickets",
        where=None,
        metric=[
            "countIf(first_responded_at IS NOT NULL) / greatest(count(), 1)",
            "响应率",
        ],
    )
    monkeypatch.setattr(bundle_build, "load_spec", lambda: (datasets, dashboards))
    with pytest.raises(AssertionError, match="tk_response_rate"):
        test_charts_read_rates_from_the_metric_layer()


COMPLETE_DAYS = "day < toDate(now(), 'Asia/Shanghai')"


def test_time_never_runs_ahead() -> None:
    """Live tiles count today (Shanghai) up to now from live_headline_today; every daily trend
    reads the dense fct_daily_indicators (0 on days without events) and ends at the latest
    complete day. No chart compares with a fixed date, so this holds on any day."""
    datasets, dashboards = bundle_build.load_spec()
    daily = 0
    for chart in bundle_build.iter_charts(dashboards):
        dataset = datasets[chart["dataset"]]
        if "实时" in chart["title"]:
            assert chart["dataset"] == "live_headline_today", chart["key"]
        x = chart.get("x")
        if x is None or chart.get("grain", "P1D") != "P1D":
            continue
        kind = (
            dataset["columns"].get(x, (None,))[0]
            or dataset.get("derived", {}).get(x, (None, None))[1]
        )
        if kind != "Date":
            continue
        assert chart["dataset"] == "fct_daily_indicators" and x == "day", (
            f"{chart['key']}: daily trends read the dense fct_daily_indicators"
        )
        assert chart.get("where") == COMPLETE_DAYS, (
            f"{chart['key']}: end at the latest complete day"
        )
        daily += 1
    assert daily >= 8
    for table, spec in datasets.items():
        for name, (expression, _, _) in (spec.get("derived") or {}).items():
            assert not re.search(r"\d{4}-\d{2}-\d{2}", expression), (table, name)


# --- Readable charts (issue #13: dashboards a district leader can read) -------------------


def _column_type(dataset: dict, name: str) -> str:
    if name in dataset["columns"]:
        return str(dataset["columns"][name][0])
    return str(dataset["derived"][name][1])


def _built_params() -> dict[str, dict]:
    """Each chart's Superset form data (what the chart renders with), by spec key."""
    return {
        path.removeprefix("charts/").removesuffix(".yaml"): doc["params"]
        for path, doc in bundle_build.build().items()
        if path.startswith("charts/")
    }


def _category_bars() -> list[tuple[dict, dict]]:
    datasets, dashboards = bundle_build.load_spec()
    params = _built_params()
    return [
        (chart, params[chart["key"]])
        for chart in bundle_build.iter_charts(dashboards)
        if chart["kind"] == "bar"
        and not _column_type(datasets[chart["dataset"]], chart["x"]).startswith(
            bundle_build.TEMPORAL_TYPES
        )
    ]


def test_bars_over_streets_show_every_label() -> None:
    """Nine street names side by side do not fit: ECharts drops every other one. A bar over a
    category lies horizontal (or rotates its labels) and shows all labels, not "auto"."""
    bars = _category_bars()
    over_places = [c for c, _ in bars if c["x"] in ("street_name", "community_name")]
    assert len(over_places) >= 2
    for chart, params in bars:
        assert params.get("orientation") == "horizontal" or params.get("xAxisLabelRotation") in (
            45,
            90,
        ), f"{chart['key']}: category labels overlap; horizontal bars or rotated labels"
        assert params.get("xAxisLabelInterval") == "0", (
            f"{chart['key']}: the default interval hides labels that would overlap"
        )


def _kind(sql: str, label: str, dataset: dict) -> str:
    """What a metric measures, decided here independently of the builder."""
    if sql == KPI_RATE or label.endswith("率"):
        return "rate"
    if re.fullmatch(r"count(If)?\(.*\)", sql):
        return "count"
    column = re.fullmatch(r"(?:sum|max)\((\w+)\)", sql)
    if column and re.match(r"(Nullable\()?(U?Int|Bool)", _column_type(dataset, column[1])):
        return "count"
    return "measure"


def test_counts_are_whole_numbers_and_rates_percentages() -> None:
    """Counts read as whole numbers (`,d`), rates as percentages (`.1%`). On a value axis ECharts
    ticks small counts at 0, 0.5, 1, …, which `,d` (or `.0f`) rounds into 0, 1, 1, 2, 2: an
    axis of counts uses a format that keeps whole numbers whole and does not round ticks."""
    datasets, dashboards = bundle_build.load_spec()
    params = _built_params()
    axes = 0
    for chart in bundle_build.iter_charts(dashboards):
        dataset, p = datasets[chart["dataset"]], params[chart["key"]]
        pairs = chart.get("metrics") or [chart["metric"]]
        kinds = {label: _kind(sql, label, dataset) for sql, label in pairs}
        if chart["kind"] == "table":
            shown = {
                label: config["d3NumberFormat"] for label, config in p["column_config"].items()
            }
        else:
            fmt = p.get("y_axis_format") or p.get("valueFormat") or p["number_format"]
            shown = dict.fromkeys(kinds, fmt)
        for label, kind in kinds.items():
            fmt = shown[label]
            if kind == "rate":
                assert fmt.endswith("%"), (chart["key"], label, fmt)
            elif kind == "count" and chart["kind"] in ("line", "bar"):
                # whole numbers unchanged, ticks between them not rounded to a repeat
                assert fmt == ",~f", (chart["key"], label, fmt)
                axes += 1
            elif kind == "count":
                assert fmt == ",d", (chart["key"], label, fmt)
            else:
                assert not fmt.endswith("%"), (chart["key"], label, fmt)
    assert axes >= 8


def test_series_over_time_carry_no_value_labels() -> None:
    """A value on each of 365 daily bars or points is a smear: over time the tooltip carries
    the values, and a daily line draws no markers."""
    datasets, dashboards = bundle_build.load_spec()
    params = _built_params()
    over_time = 0
    for chart in bundle_build.iter_charts(dashboards):
        if chart["kind"] not in ("line", "bar"):
            continue
        dataset, p = datasets[chart["dataset"]], params[chart["key"]]
        if not _column_type(dataset, chart["x"]).startswith(bundle_build.TEMPORAL_TYPES):
            continue
        assert p.get("show_value") is False, f"{chart['key']}: no value labels over time"
        if chart.get("grain", "P1D") == "P1D" and chart["kind"] == "line":
            assert p.get("markerEnabled") is False, f"{chart['key']}: daily markers"
        over_time += 1
    assert over_time >= 6


# The code_labels domain behind each label column a pie may split by.
PIE_DOMAINS = {
    ("fct_meeting_compliance", "status_zh"): "meeting_status",
    ("fct_wishes", "status_zh"): "wish_status",
    ("fct_tickets", "status_zh"): "ticket_status",
    ("fct_tickets", "channel_zh"): "ticket_channel",
    ("fct_tickets", "category_zh"): "ticket_category",
    ("fct_wishes", "category_zh"): "wish_category",
    ("fct_registrations", "project_zh"): "member_project",
}


def _code_labels() -> dict[str, set[str]]:
    text = (REPO / "dbt_project/seeds/code_labels.csv").read_text(encoding="utf-8")
    domains: dict[str, set[str]] = {}
    for line in text.splitlines()[1:]:
        domain, _, label = line.split(",", 2)
        domains.setdefault(domain, set()).add(label)
    return domains


def test_every_dashboard_fixes_the_colours_of_its_series() -> None:
    """Superset hands out scheme colours in the order labels arrive, so 办结 may be green on one
    load and red on the next. Every dashboard's label_colors fixes the colour of the nine
    streets, of every series of its line and bar charts and of every label its pies can show;
    within a chart no two series share a colour."""
    from ingest.simulator.district import STREET_NAMES

    assert len(STREET_NAMES) == 9
    _, dashboards = bundle_build.load_spec()
    files = bundle_build.build()
    domains = _code_labels()
    for key, board in dashboards.items():
        colors = files[f"dashboards/{key}.yaml"]["metadata"]["label_colors"]
        assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors.values()), key
        missing = [name for name in STREET_NAMES if name not in colors]
        assert missing == [], f"{key}: streets without a colour {missing}"
        assert len({colors[name] for name in STREET_NAMES}) == 9
        for chart in (c for row in board["rows"] for c in row):
            if chart["kind"] in ("line", "bar"):
                labels = [label for _, label in chart["metrics"]]
            elif chart["kind"] == "pie":
                (column,) = chart["groupby"]
                domain = PIE_DOMAINS[(chart["dataset"], column)]
                labels = sorted(domains[domain])
            else:
                continue
            missing = [label for label in labels if label not in colors]
            assert missing == [], f"{chart['key']}: series without a colour {missing}"
            assert len({colors[label] for label in labels}) == len(labels), (
                f"{chart['key']}: two series share a colour"
            )


def test_every_dashboard_states_the_colour_state_superset_computes() -> None:
    """After its charts have drawn, Superset compares the dashboard's scheme colours, the labels
    its charts share and its label colour map with what it computes, and rewrites whatever
    differs into the dashboard's state, drawing every chart again. The bundle states them as
    Superset computes them: the scheme's own colours (read from Superset's shipped code), every
    coloured label as shared (so every series label of the dashboard is in the list), and no
    label left to a scheme colour."""
    import superset

    assets = Path(superset.__file__).parent / "static" / "assets"
    shipped = None
    for script in sorted(assets.glob("*.js")):
        found = re.search(r'id:"supersetColors"[^\]]*colors:\[([^\]]*)\]', script.read_text())
        if found:
            shipped = re.findall(r'"(#[0-9A-F]{6})"', found.group(1))
            break
    assert shipped == bundle_build.SCHEME_COLORS
    _, dashboards = bundle_build.load_spec()
    files = bundle_build.build()
    for key, board in dashboards.items():
        metadata = files[f"dashboards/{key}.yaml"]["metadata"]
        assert metadata["color_scheme"] == "supersetColors"
        assert metadata["color_scheme_domain"] == shipped
        assert metadata["map_label_colors"] == {}
        shared = set(metadata["shared_label_colors"])
        assert shared == set(metadata["label_colors"])
        for chart in (c for row in board["rows"] for c in row):
            if chart["kind"] in ("line", "bar"):
                labels = {label for _, label in chart["metrics"]}
                assert labels <= shared, chart["key"]


def test_open_ended_lists_draw_one_page_of_rows() -> None:
    """A long list (300 overdue tickets at seed scale) is drawn a page at a time, largest
    first; a short table (a headline row, a row per street) has no pager to take its room."""
    _, dashboards = bundle_build.load_spec()
    files = bundle_build.build()
    paged = set()
    for chart in bundle_build.iter_charts(dashboards):
        if chart["kind"] != "table":
            continue
        params = files[f"charts/{chart['key']}.yaml"]["params"]
        assert params["order_desc"] is True
        if chart.get("paged"):
            assert params["page_length"] == bundle_build.TABLE_PAGE_ROWS, chart["key"]
            paged.add(chart["key"])
        else:
            assert "page_length" not in params, chart["key"]
    # the lists longer than a page in the stand-in marts
    long_lists = {"rk_overdue_tickets", "rk_meetings_missed", "rk_community_latest", "dq_hourly"}
    assert long_lists <= paged


def test_pivots_show_every_row_and_no_total_that_adds_unlike_things() -> None:
    """A meeting pivot lists all 9 streets (and all 81 communities) for every period; it has
    no totals: Superset sums the cells of a row or column with aggregateFunction, which adds
    rates, or 已开 and 应开 together across a row, under the English header "Total (求和)"."""
    _, dashboards = bundle_build.load_spec()
    params = _built_params()
    pivots = [c for c in bundle_build.iter_charts(dashboards) if c["kind"] == "pivot"]
    assert {c["key"] for c in pivots} >= {"mt_street_quarter", "mt_community_month"}
    for chart in pivots:
        p = params[chart["key"]]
        for total in ("rowTotals", "colTotals", "rowSubTotals", "colSubTotals"):
            assert p.get(total) is False, f"{chart['key']}: {total}"
        # rows × columns × metrics cells: 81 communities × 12 months × 2 at the most here
        cells = 81 * 12 * len(chart["metrics"])
        assert p["row_limit"] >= cells, chart["key"]
        context = json.loads(bundle_build.build()[f"charts/{chart['key']}.yaml"]["query_context"])
        assert all(q["row_limit"] >= cells for q in context["queries"]), chart["key"]
        assert not p.get("series_limit"), chart["key"]


# Code domains where one label holds nearly every row in the seed scenario: a pie over them is
# one full circle (ingest/simulator/seed.yaml).
DOMINATED = {
    "member_project": "未填写 (no project) is ~99% of registrations",
    "meeting_status": "按时召开 is ~97% of meetings (8 missed, 19 late of ~1,000)",
}


def test_no_chart_kept_for_a_near_constant_figure() -> None:
    """Issue #13: a chart that always shows the same shape says nothing. Median hours by channel
    (flat) and pies where one slice is ~99% are gone; the few other rows get their own chart
    (late and missed meetings by street, project registrations without 未填写)."""
    _, dashboards = bundle_build.load_spec()
    charts = bundle_build.iter_charts(dashboards)
    titles = {chart["title"] for chart in charts}
    assert not titles & {"各渠道办结时长中位数（小时）", "报到项目分布", "会议状态分布"}
    for chart in charts:
        if chart["kind"] == "pie":
            (column,) = chart["groupby"]
            domain = PIE_DOMAINS[(chart["dataset"], column)]
            assert domain not in DOMINATED, f"{chart['key']}: {DOMINATED[domain]}"
        if "project_zh" in _chart_columns(chart):
            assert "project IS NOT NULL" in chart.get("where", ""), chart["key"]


def _chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[A-Za-z]", text)


def test_everything_a_user_reads_is_chinese() -> None:
    """Titles, metric and column labels, filter names and axis titles are Chinese: no code, no
    English default. A line or bar chart titles its value axis with a unit (数量, 比率, 小时…)
    and its time axis 日期 / 月份. Pivot totals, headed "Total (求和)", are off (see above)."""
    datasets, dashboards = bundle_build.load_spec()
    files = bundle_build.build()
    read: list[tuple[str, str]] = []
    for path, doc in files.items():
        if path.startswith("dashboards/"):
            read.append((path, doc["dashboard_title"]))
            read += [(path, f["name"]) for f in doc["metadata"]["native_filter_configuration"]]
        if path.startswith("datasets/"):
            read += [(path, c["verbose_name"]) for c in doc["columns"]]
            read += [(path, m["verbose_name"]) for m in doc["metrics"]]
    for chart in bundle_build.iter_charts(dashboards):
        doc = files[f"charts/{chart['key']}.yaml"]
        p, key = doc["params"], chart["key"]
        read.append((key, doc["slice_name"]))
        metrics = p.get("metrics") or [p["metric"]]
        read += [(key, m["label"]) for m in metrics]
        read += [(key, label) for label in (p.get("column_config") or {})]
        if chart["kind"] in ("line", "bar"):
            read.append((key, p.get("y_axis_title", "")))
            temporal = _column_type(datasets[chart["dataset"]], chart["x"]).startswith(
                bundle_build.TEMPORAL_TYPES
            )
            if temporal or p.get("x_axis_title"):
                read.append((key, p.get("x_axis_title", "")))
        if chart["kind"] == "trend":
            read.append((key, p["compare_suffix"]))
    not_chinese = [(where, text) for where, text in read if not _chinese(text)]
    assert not_chinese == []


def test_every_kpi_tile_names_its_definition_and_versions() -> None:
    """One truth: a reader can see which versioned definition a figure applies (issue #13)."""
    _, boards = bundle_build.load_spec()
    versions = bundle_build.kpi_versions()
    documents = bundle_build.build()
    checked = 0
    for chart in bundle_build.iter_charts(boards):
        kpis = bundle_build.chart_kpis(chart)
        built = documents[f"charts/{chart['key']}.yaml"]
        if not kpis:
            assert built["description"] is None, chart["key"]
            continue
        checked += 1
        for kpi in kpis:
            assert kpi in versions, (chart["key"], kpi)
            for row in versions[kpi]:
                assert f"v{row['version']} 自 {row['effective_from']} 起" in built["description"], (
                    chart["key"],
                    kpi,
                )
    assert checked >= 10


def test_every_dashboard_opens_with_its_data_as_of() -> None:
    """数据截至 (issue #17): the first row of every dashboard is its own row of
    fct_dashboard_freshness (complete-to time in Shanghai and the late-source warning), and the
    dashboard_feeds seed names which domains each dashboard reads."""
    _, dashboards = bundle_build.load_spec()
    feeds = (
        (REPO / "dbt_project/seeds/dashboard_feeds.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1:]
    )
    assert {line.split(",")[0] for line in feeds} == set(dashboards)
    files = bundle_build.build()
    for key, board in dashboards.items():
        [header] = board["rows"][0]
        assert (
            header["dataset"] == "fct_dashboard_freshness"
            and header["where"] == f"dashboard = '{key}'"
        )
        assert header["groupby"] == ["complete_to_text", "warning_text"]
        position = files[f"dashboards/{key}.yaml"]["position"]
        first_row = position[position["GRID_ID"]["children"][0]]
        assert first_row["children"] == [f"CHART-{header['key']}"]


def _rag_colour(rules: list[dict], score: float) -> str:
    """The colour Superset's conditional formatting gives score (the first matching rule)."""
    for rule in rules:
        if rule["operator"] == "≥" and score >= rule["targetValue"]:
            return str(rule["colorScheme"])
        if (
            rule["operator"] == "≤ x <"
            and rule["targetValueLeft"] <= score < rule["targetValueRight"]
        ):
            return str(rule["colorScheme"])
    return "none"


def test_ranking_scores_are_coloured_by_the_rag_bands_of_the_seed() -> None:
    """考核排名: a score cell's colour is its band of ranking_thresholds.csv (绿 ≥ 85, 黄 ≥ 70,
    红 below), and every ranking tile names the weights versions it scores with."""
    import csv

    with (REPO / "dbt_project/seeds/ranking_thresholds.csv").open(encoding="utf-8") as handle:
        bands = {r["rag"]: float(r["min_score"]) for r in csv.DictReader(handle)}
    with (REPO / "dbt_project/seeds/ranking_weights.csv").open(encoding="utf-8") as handle:
        versions = {(r["version"], r["effective_from"]) for r in csv.DictReader(handle)}
    documents = bundle_build.build()
    _, boards = bundle_build.load_spec()
    coloured = 0
    for chart in bundle_build.iter_charts(boards):
        built = documents[f"charts/{chart['key']}.yaml"]
        if chart["dataset"] in bundle_build.RANKING_DATASETS:
            for version, start in versions:
                assert f"v{version} 自 {start} 起" in built["description"], chart["key"]
        if not chart.get("rag"):
            continue
        coloured += 1
        rules = built["params"]["conditional_formatting"]
        for score, rag in (
            (100, "green"),
            (85, "green"),
            (84.99, "amber"),
            (70, "amber"),
            (69.99, "red"),
            (0, "red"),
        ):
            assert _rag_colour(rules, score) == bundle_build.RAG_COLOURS[rag], (chart["key"], score)
    assert set(bands) == set(bundle_build.RAG_COLOURS)
    assert coloured == 2


def test_no_dataset_has_calculated_columns() -> None:
    """Drill to detail (钻取详情) selects a dataset's columns by name: a calculated column makes
    it fail on the warehouse. Every column a chart or the drill uses is a mart column."""
    datasets, _ = bundle_build.load_spec()
    assert {name: spec["derived"] for name, spec in datasets.items() if spec.get("derived")} == {}


def test_the_stand_in_marts_give_every_dashboard_its_data_as_of_row() -> None:
    """The browser test refuses an empty chart: the fixture's fct_dashboard_freshness has a row
    per dashboard of the spec (a new dashboard needs its row there and in dashboard_feeds)."""
    fixture = (REPO / "tests/dashboards/marts_fixture.sql").read_text(encoding="utf-8")
    rows = fixture.split("INSERT INTO marts.fct_dashboard_freshness VALUES", 1)[1].split(";", 1)[0]
    _, dashboards = bundle_build.load_spec()
    assert set(re.findall(r"\('(\w+)', '", rows)) == set(dashboards)
