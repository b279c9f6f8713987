"""Turn the compact description in dashboards/spec/ into a Superset 1.0.0 import bundle.

The spec is the single source of truth; dashboards/bundle/ is its generated, committed output
(`lianxi dashboards build`). UUIDs derive from names so a rebuild never changes them.
"""

import csv
import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

from dashboards import canonical

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_DIR = PACKAGE_DIR / "spec"
BUNDLE_DIR = PACKAGE_DIR / "bundle"
KPI_DEFINITIONS = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "kpi_definitions.csv"
# Headline columns that are KPIs of the metric layer, and the definition each applies.
HEADLINE_KPIS = {
    "response_rate": "response_rate",
    "resolution_rate": "resolution_rate",
    "satisfaction_rate": "satisfaction_rate",
    "street_meeting_compliance": "meeting_compliance",
    "community_meeting_compliance": "meeting_compliance",
    "overdue_rate": "overdue_rate",
    "wish_fulfilment_rate": "wish_fulfilment_rate",
}
KPI_CHART_NAMES = {
    "street_meeting_compliance": "meeting_compliance",
    "community_meeting_compliance": "meeting_compliance",
}
CODE_LABELS = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "code_labels.csv"
KPI_NAMES_ZH = {"meeting_compliance": "联席会议履约率"}  # the definition both meeting KPIs share
RANKING_WEIGHTS = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "ranking_weights.csv"
RANKING_THRESHOLDS = PACKAGE_DIR.parent / "dbt_project" / "seeds" / "ranking_thresholds.csv"
# Charts on these datasets show scores made of every weighted KPI: their note names the
# weights versions and the definitions of those KPIs.
RANKING_DATASETS = {"fct_rankings", "fct_ranking_components"}
# The RAG band colours of a table column with `rag: <metric label>` (Superset's conditional
# formatting), the bands from seeds/ranking_thresholds.csv.
RAG_COLOURS = {"green": "#5AC189", "amber": "#FCC700", "red": "#EC5B5A"}

EXPORT_VERSION = "1.0.0"
NAMESPACE = uuid.UUID("6f1d3c2e-5a7b-4c8d-9e0f-1a2b3c4d5e6f")
CERTIFIED_BY = "联席平台"
CERTIFICATION_DETAILS = "官方口径：由 dashboards/spec 生成，指标定义见 kpi_definitions"
# Passwords are never written; Superset's masked form marks where the importer injects them.
MASKED = "XXXXXXXXXX"
CANONICAL_HOSTPORT = "127.0.0.1:8123"
MARTS_DB = "lianxi_marts"
ANALYST_DB = "lianxi_analyst"
DATABASES = {
    MARTS_DB: {"user": "lianxi_reader", "sqllab": False},
    ANALYST_DB: {"user": "lianxi_analyst", "sqllab": True},
}
TEMPORAL_TYPES = ("Date", "DateTime")
VIZ = {
    "number": "big_number_total",
    "trend": "big_number",
    "line": "echarts_timeseries_line",
    "bar": "echarts_timeseries_bar",
    "table": "table",
    "pivot": "pivot_table_v2",
    "pie": "pie",
}
# Number formats follow what a metric measures (`metric_kind`); a chart's `format` overrides.
COUNT, RATE, MEASURE = "count", "rate", "measure"
FORMATS = {COUNT: ",d", RATE: ".1%", MEASURE: ",.1f"}
# On a value axis ECharts puts ticks between integers when counts are small (0, 0.5, 1, …),
# and `,d` rounds those into 0, 1, 1, 2, 2. `,~f` writes whole numbers as `,d` does (1,234)
# and an in-between tick as 0.5, so no two ticks read the same.
AXIS_FORMATS = {**FORMATS, COUNT: ",~f"}
INTEGER_TYPES = ("UInt", "Int", "Bool")
# Time axes by grain: the title and how a tick reads.
GRAIN_TITLES = {"P1D": "日期", "P1W": "周", "P1M": "月份", "P3M": "季度"}
TIME_FORMATS = {"P1D": "%Y-%m-%d", "P1W": "%Y-%m-%d", "P1M": "%Y-%m", "P3M": "%Y-%m"}
# Superset's "X Axis Label Interval: All" (the default "auto" drops labels that would overlap).
ALL_LABELS = "0"
# The colours of Superset 6.1's default scheme, "supersetColors", in its order. A dashboard's
# metadata states them (color_scheme_domain) with the labels shared by its charts and the
# colour map it would compute: Superset compares all three with what it computes on every load
# and, where they differ, writes its own into the dashboard's state, which draws every chart
# a second time (450 ms of the browser's main thread on 接诉即办, bench_browser and a CPU
# profile). Our label colours override the scheme for every series label (colors.yaml).
SCHEME_COLORS = [
    "#1FA8C9",
    "#454E7C",
    "#5AC189",
    "#FF7F44",
    "#666666",
    "#E04355",
    "#FCC700",
    "#A868B7",
    "#3CCCCB",
    "#A38F79",
    "#8FD3E4",
    "#A1A6BD",
    "#ACE1C4",
    "#FEC0A1",
    "#B2B2B2",
    "#EFA1AA",
    "#FDE380",
    "#D3B3DA",
    "#9EE5E5",
    "#D1C6BC",
]
# A paged table (an open-ended list) shows this many rows per page, largest first (its first
# metric, descending), and the browser draws only that page: 考核排名 lists 300 overdue
# tickets and 229 late meetings at seed scale (1,000, the row limit, on the demo stack), and
# drawing every row cost a load about 0.4 s (bench_browser). A short table has no pager.
TABLE_PAGE_ROWS = 20
CHART_HEIGHT = {"number": 26, "trend": 40}
DEFAULT_HEIGHT = 60


def stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"lianxi:{kind}:{name}"))


def load_spec() -> tuple[dict[str, Any], dict[str, Any]]:
    datasets = canonical.load((SPEC_DIR / "datasets.yaml").read_text(encoding="utf-8"))
    dashboards = canonical.load((SPEC_DIR / "dashboards.yaml").read_text(encoding="utf-8"))
    return datasets, with_data_as_of(dashboards)


# 数据截至 (issue #17): every dashboard opens with the time its figures are complete to
# (Asia/Shanghai) and a Chinese warning when a system that feeds it is late, read from dbt's
# fct_dashboard_freshness (the dashboard's row: seeds/dashboard_feeds.csv). Added here, not in
# the spec, so no dashboard can be written without it.
DATA_AS_OF_DATASET = "fct_dashboard_freshness"


def data_as_of_chart(key: str, title: str) -> dict[str, Any]:
    return {
        "key": f"{key}_data_as_of",
        "kind": "table",
        "dataset": DATA_AS_OF_DATASET,
        # Chart titles are unique (people and the API tests find charts by them).
        "title": f"数据截至（{title}）",
        "where": f"dashboard = '{key}'",
        "groupby": ["complete_to_text", "warning_text"],
        "metrics": [["max(late_sources)", "迟到数据源数"]],
        "width": 12,
        # Read at each load (a view over raw): a warning appears as soon as a source is late.
        "cache": 5,
        "height": 20,
    }


def with_data_as_of(dashboards: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {**board, "rows": [[data_as_of_chart(key, board["title"])], *board["rows"]]}
        for key, board in dashboards.items()
    }


def load_label_colors() -> dict[str, str]:
    """spec/colors.yaml flattened to label → colour; a label has one colour everywhere."""
    groups = canonical.load((SPEC_DIR / "colors.yaml").read_text(encoding="utf-8"))
    colors: dict[str, str] = {}
    for group in groups.values():
        for label, color in group.items():
            if colors.setdefault(label, color) != color:
                raise ValueError(f"colors.yaml: {label} has two colours")
    return dict(sorted(colors.items()))


def iter_charts(dashboards: dict[str, Any]) -> list[dict[str, Any]]:
    return [chart for board in dashboards.values() for row in board["rows"] for chart in row]


def chart_numbers(dashboards: dict[str, Any]) -> dict[str, int]:
    """Bundle-local chart ids (position `chartId`, filter scopes); the importer remaps them."""
    return {chart["key"]: number for number, chart in enumerate(iter_charts(dashboards), start=1)}


def database_uri(name: str, hostport: str = CANONICAL_HOSTPORT) -> str:
    return f"clickhousedb://{DATABASES[name]['user']}:{MASKED}@{hostport}/marts"


def _database(name: str) -> dict[str, Any]:
    sqllab = DATABASES[name]["sqllab"]
    return {
        "allow_csv_upload": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_run_async": False,
        "cache_timeout": None,
        "configuration_method": "sqlalchemy_form",
        "database_name": name,
        "expose_in_sqllab": sqllab,
        "impersonate_user": False,
        "extra": {
            "allows_virtual_table_explore": sqllab,
            "cost_estimate_enabled": False,
            "disable_data_preview": not sqllab,
            "engine_params": {},
            "metadata_cache_timeout": {},
            "metadata_params": {},
            "schemas_allowed_for_csv_upload": [],
        },
        "sqlalchemy_uri": database_uri(name),
        "uuid": stable_uuid("database", name),
        "version": EXPORT_VERSION,
    }


def _column(name: str, ch_type: str, label: str, expression: str | None = None) -> dict[str, Any]:
    return {
        "advanced_data_type": None,
        "column_name": name,
        "datetime_format": None,
        "description": None,
        "expression": expression,
        "extra": {},
        "filterable": True,
        "groupby": True,
        "is_active": True,
        "is_dttm": _is_temporal(ch_type),
        "python_date_format": None,
        "type": ch_type,
        "verbose_name": label,
    }


def _is_temporal(ch_type: str) -> bool:
    bare = ch_type.removeprefix("Nullable(")
    return bare.startswith(TEMPORAL_TYPES)


def _dataset(table: str, spec: dict[str, Any]) -> dict[str, Any]:
    columns = [_column(name, ch_type, label) for name, (ch_type, label) in spec["columns"].items()]
    for name, (expression, ch_type, label) in (spec.get("derived") or {}).items():
        columns.append(_column(name, ch_type, label, expression))
    return {
        "always_filter_main_dttm": False,
        "cache_timeout": None,
        "catalog": None,
        "columns": sorted(columns, key=lambda column: column["column_name"]),
        "currency_code_column": None,
        "database_uuid": stable_uuid("database", MARTS_DB),
        "default_endpoint": None,
        "description": spec["description"],
        "extra": None,
        "fetch_values_predicate": None,
        "filter_select_enabled": True,
        "folders": None,
        "main_dttm_col": spec.get("dttm"),
        "metrics": [
            {
                "currency": None,
                "d3format": None,
                "description": None,
                "expression": "count()",
                "extra": {},
                "metric_name": "count",
                "metric_type": "count",
                "verbose_name": "记录数",
                "warning_text": None,
            }
        ],
        "normalize_columns": False,
        "offset": 0,
        "params": None,
        "schema": "marts",
        "sql": None,
        "table_name": table,
        "template_params": None,
        "uuid": stable_uuid("dataset", table),
        "version": EXPORT_VERSION,
    }


def _metric(sql: str, label: str) -> dict[str, Any]:
    digest = hashlib.sha1(f"{sql}|{label}".encode()).hexdigest()[:10]
    return {
        "expressionType": "SQL",
        "hasCustomLabel": True,
        "label": label,
        "optionName": f"metric_{digest}",
        "sqlExpression": sql,
    }


def metric_kind(sql: str, label: str, dataset: dict[str, Any]) -> str:
    """count (whole numbers), rate (a fraction shown as a percentage) or measure (hours, averages)."""
    if "/" in sql or label.endswith("率"):
        return RATE
    if re.fullmatch(r"count(If)?\(.*\)", sql, re.DOTALL):
        return COUNT
    column = re.fullmatch(r"(?:sum|max|min)\((\w+)\)", sql)
    if column and column[1] in dataset["columns"]:
        ch_type = str(dataset["columns"][column[1]][0]).removeprefix("Nullable(")
        if ch_type.startswith(INTEGER_TYPES):
            return COUNT
    return MEASURE


def _axis_column(name: str, grain: str | None) -> dict[str, Any] | str:
    if grain is None:
        return name
    return {
        "columnType": "BASE_AXIS",
        "expressionType": "SQL",
        "label": name,
        "sqlExpression": name,
        "timeGrain": grain,
    }


class _ChartBuilder:
    """Form data (what Superset's explore view edits) and the matching query context."""

    def __init__(self, chart: dict[str, Any], dataset: dict[str, Any]) -> None:
        self.chart = chart
        self.kind = chart["kind"]
        self.dataset = dataset
        self.dttm = dataset.get("dttm")
        pairs = chart.get("metrics") or [chart["metric"]]
        self.metrics = [_metric(sql, label) for sql, label in pairs]
        self.kinds = {label: metric_kind(sql, label, dataset) for sql, label in pairs}
        self.x = chart.get("x")
        self.x_grain = None
        if self.x is not None and self._column_type(self.x).startswith(TEMPORAL_TYPES):
            self.x_grain = chart.get("grain", "P1D")

    def _column_type(self, name: str) -> str:
        if name in self.dataset["columns"]:
            return str(self.dataset["columns"][name][0])
        return str(self.dataset["derived"][name][1])

    def number_format(self, formats: dict[str, str] = FORMATS) -> str:
        """The chart's one number format: its metrics share a kind (one axis, one unit)."""
        if self.chart.get("format"):
            return str(self.chart["format"])
        kinds = set(self.kinds.values())
        if len(kinds) != 1:
            raise ValueError(
                f"{self.chart['key']}: metrics of different kinds {sorted(kinds)} on one "
                "axis; split the chart, use a table or set `format`"
            )
        return formats[kinds.pop()]

    def unit(self) -> str:
        """The value axis title: the chart's `unit`, or 数量 / 比率 by the metrics' kind."""
        if self.chart.get("unit"):
            return str(self.chart["unit"])
        kinds = set(self.kinds.values())
        if kinds == {COUNT}:
            return "数量"
        if kinds == {RATE}:
            return "比率"
        raise ValueError(f"{self.chart['key']}: give the axis a `unit` (小时, 个, …)")

    def adhoc_filters(self) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        if self.dttm:
            # The native date-range filter replaces this comparator; "No filter" shows all time.
            filters.append(
                {
                    "clause": "WHERE",
                    "comparator": "No filter",
                    "expressionType": "SIMPLE",
                    "operator": "TEMPORAL_RANGE",
                    "subject": self.dttm,
                }
            )
        if self.chart.get("where"):
            filters.append(
                {
                    "clause": "WHERE",
                    "expressionType": "SQL",
                    "sqlExpression": self.chart["where"],
                }
            )
        return filters

    def form_data(self) -> dict[str, Any]:
        chart = self.chart
        fmt = "" if self.kind == "table" else self.number_format()
        data: dict[str, Any] = {
            "adhoc_filters": self.adhoc_filters(),
            "annotation_layers": [],
            "extra_form_data": {},
            "viz_type": VIZ[self.kind],
        }
        if self.kind == "number":
            data |= {
                "metric": self.metrics[0],
                "header_font_size": 0.4,
                "subheader_font_size": 0.15,
                "y_axis_format": fmt,
                "force_timestamp_formatting": False,
            }
        elif self.kind == "trend":
            data |= {
                "metric": self.metrics[0],
                "x_axis": self.x,
                "time_grain_sqla": self.x_grain,
                "show_trend_line": True,
                "start_y_axis_at_zero": True,
                "y_axis_format": fmt,
                "compare_lag": 7,
                "compare_suffix": "较7天前",
                "header_font_size": 0.4,
                "subheader_font_size": 0.15,
                "time_format": "%Y-%m-%d",
                "rolling_type": "None",
            }
        elif self.kind in ("line", "bar"):
            data |= {
                "metrics": self.metrics,
                "x_axis": self.x,
                "groupby": [],
                "row_limit": 10000,
                "y_axis_format": self.number_format(AXIS_FORMATS),
                "x_axis_time_format": TIME_FORMATS.get(self.x_grain or "", "%Y-%m-%d"),
                # Axis titles in Chinese: the time axis says 日期 / 月份, the value axis its
                # unit. A category axis needs none: the title says 各街道…, the labels the rest.
                "x_axis_title": GRAIN_TITLES.get(self.x_grain or "", ""),
                "x_axis_title_margin": 30,
                "y_axis_title": self.unit(),
                "y_axis_title_margin": 15,
                "y_axis_title_position": "Top",
                "show_legend": True,
                "legendType": "scroll",
                "legendOrientation": "top",
                "rich_tooltip": True,
                "tooltipTimeFormat": TIME_FORMATS.get(self.x_grain or "", "%Y-%m-%d"),
                "truncate_metric": True,
                "zoomable": False,
            }
            if self.x_grain:
                data["time_grain_sqla"] = self.x_grain
            else:
                # Bars over a category (street, community, channel…) lie horizontal, every
                # label shown: nine street names never fit side by side. ECharts draws the
                # first category at the bottom, so ascending puts the largest on top.
                data |= {
                    "x_axis_sort": self.metrics[0]["label"],
                    "x_axis_sort_asc": self.kind == "bar",
                    "xAxisLabelInterval": ALL_LABELS,
                }
            # Values are written on bars over a category (a handful); over time (a bar or
            # point per day or month) they would cover each other: the tooltip has them.
            over_time = self.x_grain is not None
            data["show_value"] = not over_time
            if self.kind == "bar":
                data["orientation"] = "vertical" if over_time else "horizontal"
            else:
                data |= {"markerEnabled": self.x_grain != "P1D", "seriesType": "line"}
        elif self.kind == "table":
            formats = chart.get("formats") or {}
            data |= {
                "query_mode": "aggregate",
                "groupby": chart.get("groupby", []),
                "metrics": self.metrics,
                "all_columns": [],
                "row_limit": 1000,
                "order_desc": True,
                "include_search": False,
                "table_timestamp_format": "%Y-%m-%d",
                "show_cell_bars": False,
                "column_config": {
                    m["label"]: {
                        "d3NumberFormat": formats.get(
                            m["label"],
                            chart.get("format") or FORMATS[self.kinds[m["label"]]],
                        )
                    }
                    for m in self.metrics
                },
            }
            if chart.get("paged"):
                data["page_length"] = TABLE_PAGE_ROWS
            if chart.get("rag"):
                data["conditional_formatting"] = rag_formatting(str(chart["rag"]))
        elif self.kind == "pivot":
            data |= {
                "groupbyRows": chart["rows_by"],
                "groupbyColumns": chart["columns_by"],
                "metrics": self.metrics,
                "aggregateFunction": "Sum",
                "valueFormat": fmt,
                "metricsLayout": "COLUMNS",
                "rowOrder": "key_a_to_z",
                "colOrder": "key_a_to_z",
                # No totals: they re-aggregate cells with aggregateFunction (a sum of rates,
                # or 已开 + 应开 across a row), and Superset heads them "Total (求和)" in
                # Chinese. A total that means something is its own tile or chart.
                "rowTotals": False,
                "colTotals": False,
                "rowSubTotals": False,
                "colSubTotals": False,
                # a cell limit: every street × quarter, every community (81) × month
                "row_limit": 10000,
                "combineMetric": False,
                "date_format": "%Y-%m-%d",
            }
        elif self.kind == "pie":
            data |= {
                "groupby": chart["groupby"],
                "metric": self.metrics[0],
                "number_format": fmt,
                "show_labels": True,
                "label_type": "key_value_percent",
                "show_legend": True,
                "sort_by_metric": True,
                "row_limit": 100,
                "donut": False,
                "outerRadius": 70,
            }
        return data

    def query(self) -> dict[str, Any]:
        chart = self.chart
        columns: list[Any] = []
        orderby: list[Any] = []
        if self.kind in ("trend", "line", "bar"):
            columns = [_axis_column(str(self.x), self.x_grain)]
            if not self.x_grain:
                orderby = [[self.metrics[0], False]]
        elif self.kind in ("table", "pie"):
            columns = list(chart.get("groupby", []))
            orderby = [[self.metrics[0], False]]
        elif self.kind == "pivot":
            columns = chart["rows_by"] + chart["columns_by"]
        filters = (
            [{"col": self.dttm, "op": "TEMPORAL_RANGE", "val": "No filter"}] if self.dttm else []
        )
        return {
            "annotation_layers": [],
            "applied_time_extras": {},
            "columns": columns,
            "custom_form_data": {},
            "custom_params": {},
            "extras": {
                "having": "",
                "where": f"({chart['where']})" if chart.get("where") else "",
            },
            "filters": filters,
            "metrics": self.metrics,
            "order_desc": True,
            "orderby": orderby,
            "row_limit": 10000,
            "series_limit": 0,
            "time_range": "No filter",
            "url_params": {},
        }


def kpi_versions() -> dict[str, list[dict[str, str]]]:
    """kpi -> its definition rows (version, effective_from, notes), oldest first."""
    found: dict[str, list[dict[str, str]]] = {}
    with KPI_DEFINITIONS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["kpi"], []).append(row)
    return {kpi: sorted(rows, key=lambda r: int(r["version"])) for kpi, rows in found.items()}


def chart_kpis(chart: dict[str, Any]) -> list[str]:
    """The versioned definitions a chart shows: its `kpi = '…'` / `kpi IN (…)` filter, or the
    headline columns its metrics read."""
    where = chart.get("where") or ""
    names = re.findall(r"'([a-z_]+)'", where) if "kpi" in where else []
    sqls = [m[0] for m in chart.get("metrics") or []] + (
        [chart["metric"][0]] if chart.get("metric") else []
    )
    names += [
        column for sql in sqls for column in HEADLINE_KPIS if re.search(rf"\b{column}\b", sql)
    ]
    if chart.get("dataset") in RANKING_DATASETS:
        names += [row["kpi"] for row in ranking_weight_versions()]
    return sorted({HEADLINE_KPIS.get(n, KPI_CHART_NAMES.get(n, n)) for n in names})


def definition_note(chart: dict[str, Any], versions: dict[str, list[dict[str, str]]]) -> str | None:
    """The tile's description (Superset shows it beside the title): which definition and
    versions the figure applies, and where the as-of time is."""
    with CODE_LABELS.open(encoding="utf-8") as handle:
        names = {
            r["code"]: r["label_zh"] for r in csv.DictReader(handle) if r["domain"] == "kpi"
        } | KPI_NAMES_ZH
    parts = []
    for kpi in chart_kpis(chart):
        spans = "，".join(
            f"v{r['version']} 自 {r['effective_from']} 起" for r in versions.get(kpi, [])
        )
        parts.append(f"{names.get(kpi, kpi)}（{kpi}）{spans}")
    if not parts:
        return None
    weights = ""
    if chart.get("dataset") in RANKING_DATASETS:
        weight_spans = sorted(
            {(int(r["version"]), r["effective_from"]) for r in ranking_weight_versions()}
        )
        weights = (
            "考核权重："
            + "，".join(f"v{v} 自 {start} 起" for v, start in weight_spans)
            + "（dbt_project/seeds/ranking_weights.csv，按期首日生效的版本）。"
        )
    return (
        weights + "口径：" + "；".join(parts) + "。定义见 dbt_project/seeds/kpi_definitions.csv，"
        "按月适用当月生效的版本；数字截至最近一次 dbt 构建（默认每 5 分钟一次）。"
    )


def ranking_weight_versions() -> list[dict[str, str]]:
    """The rows of seeds/ranking_weights.csv (version, effective_from, kpi, weight, direction)."""
    with RANKING_WEIGHTS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rag_formatting(column: str) -> list[dict[str, Any]]:
    """Superset conditional formatting colouring a score column by the RAG bands."""
    with RANKING_THRESHOLDS.open(encoding="utf-8") as handle:
        bands = sorted(
            ((float(r["min_score"]), r["rag"]) for r in csv.DictReader(handle)), reverse=True
        )
    rules: list[dict[str, Any]] = []
    upper: float | None = None
    for low, rag in bands:
        rule: dict[str, Any] = {"colorScheme": RAG_COLOURS[rag], "column": column}
        if upper is None:
            rule |= {"operator": "≥", "targetValue": low}
        else:
            rule |= {"operator": "≤ x <", "targetValueLeft": low, "targetValueRight": upper}
        rules.append(rule)
        upper = low
    return rules


def _chart(chart: dict[str, Any], datasets: dict[str, Any]) -> dict[str, Any]:
    builder = _ChartBuilder(chart, datasets[chart["dataset"]])
    form_data = builder.form_data()
    query_context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "form_data": form_data,
        "queries": [builder.query()],
        "result_format": "json",
        "result_type": "full",
    }
    return {
        "cache_timeout": chart.get("cache"),
        # The badge tells a reader the chart is the platform's own (dashboards/spec); the
        # importer also uses it to remove charts a later spec no longer has.
        "certification_details": CERTIFICATION_DETAILS,
        "certified_by": CERTIFIED_BY,
        "dataset_uuid": stable_uuid("dataset", chart["dataset"]),
        "description": definition_note(chart, kpi_versions()),
        "params": form_data,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
        "slice_name": chart["title"],
        "uuid": stable_uuid("chart", chart["key"]),
        "version": EXPORT_VERSION,
        "viz_type": VIZ[chart["kind"]],
    }


def _position(key: str, board: dict[str, Any], numbers: dict[str, int]) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "GRID_ID": {
            "children": [],
            "id": "GRID_ID",
            "parents": ["ROOT_ID"],
            "type": "GRID",
        },
        "HEADER_ID": {
            "id": "HEADER_ID",
            "meta": {"text": board["title"]},
            "type": "HEADER",
        },
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
    }
    for row_index, row in enumerate(board["rows"], start=1):
        row_id = f"ROW-{key}-{row_index}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "children": [],
            "id": row_id,
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
            "parents": ["ROOT_ID", "GRID_ID"],
            "type": "ROW",
        }
        for chart in row:
            chart_id = f"CHART-{chart['key']}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "children": [],
                "id": chart_id,
                "meta": {
                    "chartId": numbers[chart["key"]],
                    "height": chart.get("height")
                    or CHART_HEIGHT.get(chart["kind"], DEFAULT_HEIGHT),
                    "sliceName": chart["title"],
                    "uuid": stable_uuid("chart", chart["key"]),
                    "width": chart["width"],
                },
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "type": "CHART",
            }
    return position


def _native_filters(
    key: str, board: dict[str, Any], datasets: dict[str, Any], numbers: dict[str, int]
) -> list:
    charts = [chart for row in board["rows"] for chart in row]

    def scope(has: Any) -> dict[str, Any]:
        excluded = sorted(numbers[c["key"]] for c in charts if not has(datasets[c["dataset"]]))
        return {"excluded": excluded, "rootPath": ["ROOT_ID"]}

    def has_column(name: str) -> Any:
        return lambda ds: name in ds["columns"] or name in (ds.get("derived") or {})

    def select(
        filter_id: str, name: str, dataset: str, column: str, parents: list[str]
    ) -> dict[str, Any]:
        return {
            "cascadeParentIds": parents,
            "controlValues": {
                "defaultToFirstItem": False,
                "enableEmptyFilter": False,
                "inverseSelection": False,
                "multiSelect": True,
                "searchAllOptions": False,
            },
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "description": "",
            "filterType": "filter_select",
            "id": filter_id,
            "name": name,
            "scope": scope(has_column(column)),
            "targets": [
                {
                    "column": {"name": column},
                    "datasetUuid": stable_uuid("dataset", dataset),
                }
            ],
            "type": "NATIVE_FILTER",
        }

    street_id, community_id, time_id = (
        f"NATIVE_FILTER-{key}-{part}" for part in ("street", "community", "time")
    )
    return [
        select(street_id, "街道", "dim_street", "street_name", []),
        select(community_id, "社区", "dim_community", "community_name", [street_id]),
        {
            "cascadeParentIds": [],
            "controlValues": {},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}},
            "description": "按上海时区日期筛选",
            "filterType": "filter_time",
            "id": time_id,
            "name": "日期范围",
            "scope": scope(lambda ds: bool(ds.get("dttm"))),
            "targets": [{}],
            "type": "NATIVE_FILTER",
        },
    ]


def _dashboard(
    key: str, board: dict[str, Any], datasets: dict[str, Any], numbers: dict[str, int]
) -> dict:
    colors = load_label_colors()
    return {
        "certification_details": None,
        "certified_by": None,
        "css": None,
        "dashboard_title": board["title"],
        "description": None,
        "metadata": {
            "color_scheme": "supersetColors",
            "cross_filters_enabled": False,
            "expanded_slices": {},
            "label_colors": colors,
            "native_filter_configuration": _native_filters(key, board, datasets, numbers),
            "refresh_frequency": board["refresh"],
            # In step with what Superset computes (see SCHEME_COLORS): every label we colour
            # counts as shared, and no label is left to take a scheme colour.
            "color_scheme_domain": SCHEME_COLORS,
            "map_label_colors": {},
            "shared_label_colors": sorted(colors),
            "timed_refresh_immune_slices": [],
        },
        "position": _position(key, board, numbers),
        "published": True,
        "slug": board["slug"],
        "theme_uuid": None,
        "uuid": stable_uuid("dashboard", key),
        "version": EXPORT_VERSION,
    }


def build() -> dict[str, dict[str, Any]]:
    """Bundle documents keyed by their path inside the bundle."""
    datasets, dashboards = load_spec()
    numbers = chart_numbers(dashboards)
    files: dict[str, dict[str, Any]] = {
        "metadata.yaml": {
            "type": "assets",
            "version": EXPORT_VERSION,
            "timestamp": "1970-01-01T00:00:00+00:00",
        },
    }
    for name in DATABASES:
        files[f"databases/{name}.yaml"] = _database(name)
    for table, spec in datasets.items():
        files[f"datasets/{MARTS_DB}/{table}.yaml"] = _dataset(table, spec)
    for chart in iter_charts(dashboards):
        files[f"charts/{chart['key']}.yaml"] = _chart(chart, datasets)
    for key, board in dashboards.items():
        files[f"dashboards/{key}.yaml"] = _dashboard(key, board, datasets, numbers)
    return files


def render() -> dict[str, str]:
    return {path: canonical.dump(document) for path, document in build().items()}


def write(target: Path = BUNDLE_DIR) -> list[Path]:
    """Write the bundle, removing files the spec no longer produces."""
    rendered = render()
    for stale in sorted(target.rglob("*.yaml")) if target.exists() else []:
        if stale.relative_to(target).as_posix() not in rendered:
            stale.unlink()
    written = []
    for relative, text in rendered.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
