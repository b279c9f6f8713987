"""GET /v1/metrics (issue #13, "one truth for every figure"): KPIs read from dbt's metric layer
with the dashboards' formula, scoped by the token's areas, errors in the API's shape.

Real app (uvicorn) on a private broker and a private warehouse holding a few rows of
marts.fct_kpi_monthly and the tables it is read with (same columns and types as the dbt
models and seeds; the seeds' own CSV rows)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from ingest_events import HOTLINE
from support.ingest_api import RunningApi
from support.warehouse import PrivateWarehouse

from ingest.config import IngestSettings

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
TABLES = (
    "fct_kpi_monthly",
    "kpi_definitions",
    "code_labels",
    "dim_street",
    "dim_community",
    "fct_headline_indicators",
)

# kpi, period_start, street, community, version, numerator, denominator
ROWS = [
    ("response_rate", "2025-12-01", "s-02", "c-02-01", 1, 0, 3),
    ("response_rate", "2026-06-01", "s-01", "c-01-01", 1, 3, 4),
    ("response_rate", "2026-06-01", "s-01", "c-01-02", 1, 1, 2),
    ("response_rate", "2026-07-01", "s-01", "c-01-01", 2, 2, 5),
    ("response_rate", "2026-07-01", "s-02", "c-02-01", 2, 4, 4),
    ("satisfaction_rate", "2026-07-01", "s-01", "c-01-01", 2, 0, 0),
    # street meetings are quarterly rows of the street itself (community_id '')
    ("street_meeting_compliance", "2026-04-01", "s-01", "", 2, 1, 1),
    ("street_meeting_compliance", "2026-04-01", "s-02", "", 2, 0, 1),
]
STREETS = {"s-01": "东关街道", "s-02": "西关街道"}
COMMUNITIES = {
    "c-01-01": ("东一社区", "s-01"),
    "c-01-02": ("东二社区", "s-01"),
    "c-02-01": ("西一社区", "s-02"),
}
LABELS = {
    "response_rate": "响应率",
    "satisfaction_rate": "满意率",
    "street_meeting_compliance": "街道联席会议履约率",
}


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def marts(open311_warehouse: PrivateWarehouse) -> Iterator[Any]:
    """The private server's marts with the metric layer's tables; an admin client to them."""
    client = open311_warehouse.client()
    for table in TABLES:
        client.command(f"DROP TABLE IF EXISTS marts.{table}")
    # Columns and types: dbt_project/models/marts/*.sql, dbt_project.yml (seed column_types),
    # tests/dashboards/marts_fixture.sql.
    client.command(
        "CREATE TABLE marts.fct_kpi_monthly (kpi LowCardinality(String), kpi_zh Nullable(String), period_start Date, "
        "street_id String, street_name Nullable(String), community_id String, community_name Nullable(String), "
        "version UInt16, numerator UInt64, denominator UInt64, rate Nullable(Float64)) "
        "ENGINE = MergeTree ORDER BY (kpi, street_id, community_id, period_start)"
    )
    client.command(
        "CREATE TABLE marts.kpi_definitions (kpi LowCardinality(String), version UInt16, effective_from Date, "
        "numerator String, denominator String, threshold_hours Nullable(Float64), notes String) "
        "ENGINE = MergeTree ORDER BY tuple()"
    )
    client.command(
        "CREATE TABLE marts.code_labels (domain LowCardinality(String), code String, label_zh String) "
        "ENGINE = MergeTree ORDER BY tuple()"
    )
    client.command(
        "CREATE TABLE marts.dim_street (street_id String, street_name String) ENGINE = MergeTree ORDER BY street_id"
    )
    client.command(
        "CREATE TABLE marts.dim_community (community_id String, community_name String, street_id String, "
        "street_name Nullable(String), registered_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY (street_id, community_id)"
    )
    client.command(
        "CREATE TABLE marts.fct_headline_indicators (as_of DateTime64(3, 'UTC'), streets UInt64, communities UInt64, "
        "response_rate Nullable(Float64)) ENGINE = MergeTree ORDER BY tuple(as_of)"
    )
    client.insert(
        "marts.fct_kpi_monthly",
        [
            [
                k,
                LABELS[k],
                date.fromisoformat(p),
                s,
                STREETS[s],
                c,
                COMMUNITIES[c][0] if c else None,
                v,
                n,
                d,
                n / d if d else None,
            ]
            for k, p, s, c, v, n, d in ROWS
        ],
        column_names=[
            "kpi",
            "kpi_zh",
            "period_start",
            "street_id",
            "street_name",
            "community_id",
            "community_name",
            "version",
            "numerator",
            "denominator",
            "rate",
        ],
    )
    client.insert(
        "marts.kpi_definitions",
        [
            [
                r["kpi"],
                int(r["version"]),
                date.fromisoformat(r["effective_from"]),
                r["numerator"],
                r["denominator"],
                float(r["threshold_hours"]) if r["threshold_hours"] else None,
                r["notes"],
            ]
            for r in _seed("kpi_definitions")
        ],
        column_names=[
            "kpi",
            "version",
            "effective_from",
            "numerator",
            "denominator",
            "threshold_hours",
            "notes",
        ],
    )
    client.insert(
        "marts.code_labels",
        [[r["domain"], r["code"], r["label_zh"]] for r in _seed("code_labels")],
        column_names=["domain", "code", "label_zh"],
    )
    client.insert(
        "marts.dim_street",
        [list(x) for x in STREETS.items()],
        column_names=["street_id", "street_name"],
    )
    client.insert(
        "marts.dim_community",
        [[c, name, s, STREETS[s], datetime(2026, 1, 1)] for c, (name, s) in COMMUNITIES.items()],
        column_names=[
            "community_id",
            "community_name",
            "street_id",
            "street_name",
            "registered_at",
        ],
    )
    client.command(
        "INSERT INTO marts.fct_headline_indicators VALUES ('2026-11-25 01:00:00.000', 2, 3, 0.5)"
    )
    try:
        yield client
    finally:
        for table in TABLES:
            client.command(f"DROP TABLE IF EXISTS marts.{table}")
        client.close()


@pytest.fixture
def metrics_api(warehouse_api: Callable[..., RunningApi], marts: Any) -> Callable[..., RunningApi]:
    """Starts the API reading the marts (with the test's setting overrides)."""
    # Not the analyst's account: the endpoint must work with the reader's alone.
    return partial(warehouse_api, warehouse_analyst_password="not-the-password")


def _token(
    api: RunningApi,
    areas: list[str] | None = None,
    types: tuple[str, ...] = ("lianxi.ticket.*",),
) -> str:
    from ingest.tokens import TokenStore

    store = TokenStore(api.settings.tokens_path)
    try:
        return store.create(HOTLINE, list(types), areas=areas)[0]
    finally:
        store.close()


def _get(client: httpx.Client, kpi: str = "response_rate", **params: str) -> httpx.Response:
    return client.get(f"/v1/metrics/{kpi}", params=params)


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _error(r: httpx.Response, status: int) -> list[tuple[str, str]]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "errors"}, body
    return [(e["field"], e["rule"]) for e in body["errors"]]


def _mart_value(marts: Any, kpi: str, where: str, params: dict[str, Any]) -> Any:
    """The dashboards' formula run directly on the mart."""
    sql = (
        "SELECT sum(numerator) / nullIf(sum(denominator), 0) AS value, sum(numerator), sum(denominator) "
        f"FROM marts.fct_kpi_monthly WHERE kpi = {{kpi:String}} AND {where}"
    )
    return marts.query(sql, parameters={"kpi": kpi, **params}).result_rows[0]


def test_district_street_and_community_figures(
    metrics_api: Callable[..., RunningApi],
) -> None:
    api = metrics_api()
    token = _token(api)
    with api.client(token) as client:
        district = _ok(_get(client))
        street = _ok(_get(client, unit="s-01"))
        community = _ok(_get(client, unit="c-01-02"))
        empty = _ok(_get(client, "wish_fulfilment_rate"))
        zero = _ok(_get(client, "satisfaction_rate"))
    # all rows: (0 + 3 + 1 + 2 + 4) / (3 + 4 + 2 + 5 + 4), each month under its own version
    assert (district["numerator"], district["denominator"], district["value"]) == (
        10,
        18,
        10 / 18,
    )
    assert (
        district["kpi"],
        district["label_zh"],
        district["unit"],
        district["unit_level"],
        district["unit_name"],
    ) == (
        "response_rate",
        "响应率",
        None,
        "district",
        "全区",
    )
    assert district["period"] is None and district["period_start"] is None
    assert district["definition_version"] is None  # spans versions 1 and 2
    assert district["definition_versions"] == [
        {
            "version": 1,
            "first_period": "2025-12",
            "last_period": "2026-06",
            "numerator": 4,
            "denominator": 9,
        },
        {
            "version": 2,
            "first_period": "2026-07",
            "last_period": "2026-07",
            "numerator": 6,
            "denominator": 9,
        },
    ]
    assert "分子、分母分别求和" in district["combination"]
    assert district["as_of"] == "2026-11-25T09:00:00+08:00"
    assert (
        street["numerator"],
        street["denominator"],
        street["unit_level"],
        street["unit_name"],
    ) == (6, 11, "street", "东关街道")
    assert (community["numerator"], community["denominator"], community["value"]) == (
        1,
        2,
        0.5,
    )
    assert (
        community["unit_level"],
        community["unit_name"],
        community["definition_version"],
    ) == ("community", "东二社区", 1)
    # a known KPI without rows, and a denominator of 0: value null, never a division error
    assert (
        empty["numerator"],
        empty["denominator"],
        empty["value"],
        empty["definition_versions"],
    ) == (0, 0, None, [])
    assert (empty["label_zh"], empty["definition_version"]) == ("微心愿实现率", None)
    assert (
        zero["numerator"],
        zero["denominator"],
        zero["value"],
        zero["definition_version"],
    ) == (0, 0, None, 2)


def test_periods(metrics_api: Callable[..., RunningApi]) -> None:
    api = metrics_api()
    with api.client(_token(api)) as client:
        july = _ok(_get(client, period="2026-07"))
        june_street = _ok(_get(client, unit="s-01", period="2026-06"))
        q3 = _ok(_get(client, period="2026Q3"))
        q3_dashed = _ok(_get(client, period="2026-Q3"))
        year = _ok(_get(client, period="2026"))
        last_year = _ok(_get(client, period="2025"))
        future = _ok(_get(client, period="2030-01"))
        meetings_q2 = _ok(_get(client, "street_meeting_compliance", period="2026Q2"))
        meetings_may = _ok(_get(client, "street_meeting_compliance", period="2026-05"))
    assert (july["numerator"], july["denominator"], july["definition_version"]) == (
        6,
        9,
        2,
    )
    assert (july["period"], july["period_start"], july["period_end"]) == (
        "2026-07",
        "2026-07-01",
        "2026-08-01",
    )
    assert (
        june_street["numerator"],
        june_street["denominator"],
        june_street["definition_version"],
    ) == (4, 6, 1)
    assert q3 == {**july, "period": "2026Q3", "period_end": "2026-10-01"}
    assert q3_dashed == q3
    assert (
        year["numerator"],
        year["denominator"],
        year["period_start"],
        year["period_end"],
    ) == (
        10,
        15,
        "2026-01-01",
        "2027-01-01",
    )
    assert (last_year["numerator"], last_year["denominator"], last_year["value"]) == (
        0,
        3,
        0.0,
    )
    assert (future["denominator"], future["value"]) == (0, None)
    # quarterly street meetings sit on the quarter's first month
    assert (
        meetings_q2["numerator"],
        meetings_q2["denominator"],
        meetings_q2["value"],
    ) == (1, 2, 0.5)
    assert meetings_may["denominator"] == 0


def test_value_is_the_mart_formula(metrics_api: Callable[..., RunningApi], marts: Any) -> None:
    api = metrics_api()
    cases = [
        ("response_rate", None, None, "1", {}),
        ("response_rate", "s-01", None, "street_id = {u:String}", {"u": "s-01"}),
        (
            "response_rate",
            "c-01-01",
            None,
            "community_id = {u:String}",
            {"u": "c-01-01"},
        ),
        (
            "response_rate",
            None,
            "2026-07",
            "toStartOfMonth(period_start) = '2026-07-01'",
            {},
        ),
        (
            "response_rate",
            "s-02",
            "2026",
            "street_id = {u:String} AND toYear(period_start) = 2026",
            {"u": "s-02"},
        ),
        (
            "response_rate",
            "s-01",
            "2026Q2",
            "street_id = {u:String} AND toStartOfQuarter(period_start) = '2026-04-01'",
            {"u": "s-01"},
        ),
        (
            "street_meeting_compliance",
            "s-01",
            None,
            "street_id = {u:String}",
            {"u": "s-01"},
        ),
        (
            "street_meeting_compliance",
            None,
            "2026Q2",
            "toStartOfQuarter(period_start) = '2026-04-01'",
            {},
        ),
        # A community sits in its street's joint meeting: its figure is its street's own rows
        # (community_id ''), as a community secretary sees on the dashboards.
        (
            "street_meeting_compliance",
            "c-01-02",
            None,
            "street_id = 's-01' AND community_id IN ({u:String}, '')",
            {"u": "c-01-02"},
        ),
        ("satisfaction_rate", None, None, "1", {}),
    ]
    with api.client(_token(api)) as client:
        for kpi, unit, period, where, params in cases:
            query = {k: v for k, v in (("unit", unit), ("period", period)) if v}
            body = _ok(_get(client, kpi, **query))
            value, numerator, denominator = _mart_value(marts, kpi, where, params)
            assert (body["value"], body["numerator"], body["denominator"]) == (
                value,
                numerator,
                denominator,
            ), (kpi, query)


def test_area_tokens_read_only_their_units(
    metrics_api: Callable[..., RunningApi],
) -> None:
    api = metrics_api()
    street = _token(api, ["s-01"])
    community = _token(api, ["c-01-02"])
    # event-type scope does not matter for reading: any valid token reads within its areas
    wishes = _token(api, ["c-02-01"], types=("lianxi.wish.*",))
    with api.client(street) as client:
        own = _ok(_get(client, unit="s-01"))
        own_community = _ok(_get(client, unit="c-01-02"))
        refused = [
            _get(client, unit="s-02"),
            _get(client, unit="c-02-01"),
            _get(client),
            _get(client, unit="s-99"),
        ]
        listed = client.get("/v1/metrics")
    assert (own["denominator"], own_community["denominator"]) == (11, 2)
    for r in refused:
        assert _error(r, 403) == [("unit", "scope")]
        assert r.json()["error"] == "forbidden" and "s-01" in r.json()["message"]
    assert listed.status_code == 200  # the catalogue holds no figures
    with api.client(community) as client:
        assert _ok(_get(client, unit="c-01-02"))["numerator"] == 1
        for unit in ("s-01", "c-01-01", None):
            assert _error(_get(client, **({"unit": unit} if unit else {})), 403) == [
                ("unit", "scope")
            ]
    with api.client(wishes) as client:
        assert _ok(_get(client, unit="c-02-01"))["denominator"] == 7


def test_bad_input_is_a_4xx_with_field_and_rule(
    metrics_api: Callable[..., RunningApi],
) -> None:
    api = metrics_api()
    token = _token(api)
    with api.client(token) as client:
        periods = {
            "2026-13": "range",
            "2026-00": "range",
            "2026Q5": "range",
            "2026Q0": "range",
            "0000": "range",
            "2149": "range",
            "26-07": "format",
            "2026-7": "format",
            "2026/07": "format",
            "2026-07-01": "format",
            "": "format",
            "二〇二六": "format",
            "2026\x00": "format",
            "2026q3": "format",
            "${jndi}": "format",
        }
        for period, rule in periods.items():
            assert _error(_get(client, period=period), 400) == [("period", rule)], period
        for unit in (
            "x-01",
            "s-01'; DROP TABLE marts.fct_kpi_monthly --",
            "s-" + "1" * 100,
            "",
            "c-01",
            "全区",
            "s-01,s-02",
        ):
            assert _error(_get(client, unit=unit), 400) == [("unit", "pattern")], unit
        assert _error(_get(client, unit="c-09-09"), 404) == [("unit", "unknown")]
        for kpi in (
            "no_such_kpi",
            "meeting_compliance",
            "x" * 5000,
            "response_rate'--",
        ):
            assert _error(_get(client, kpi), 404) == [("kpi", "unknown")], kpi
    with api.client() as anonymous:
        for r in (_get(anonymous), anonymous.get("/v1/metrics")):
            assert _error(r, 401) == [("Authorization", "bearer_required")]
    with api.client("lx_not_a_token") as wrong:
        assert _error(_get(wrong), 401) == [("Authorization", "token_unknown")]


def test_catalogue(metrics_api: Callable[..., RunningApi]) -> None:
    api = metrics_api()
    with api.client(_token(api, ["c-01-01"])) as client:
        body = _ok(client.get("/v1/metrics"))
    # the version in force today, by the seed's effective_from (Shanghai date)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    current: dict[str, int] = {}
    for r in sorted(_seed("kpi_definitions"), key=lambda r: r["effective_from"]):
        if date.fromisoformat(r["effective_from"]) <= today or r["kpi"] not in current:
            current[r["kpi"]] = int(r["version"])
    labels = {r["code"]: r["label_zh"] for r in _seed("code_labels") if r["domain"] == "kpi"}
    got = {k["kpi"]: (k["label_zh"], k["definition_version"]) for k in body["kpis"]}
    definition = {
        "street_meeting_compliance": "meeting_compliance",
        "community_meeting_compliance": "meeting_compliance",
    }
    assert got == {
        code: (label, current[definition.get(code, code)]) for code, label in labels.items()
    }
    assert body["as_of"] == "2026-11-25T09:00:00+08:00"
    response = next(k for k in body["kpis"] if k["kpi"] == "response_rate")
    assert response["numerator_definition"] and response["definition_effective_from"]


def test_reads_as_the_reader_and_answers_503_when_the_warehouse_is_down(
    metrics_api: Callable[..., RunningApi], free_port: Callable[[], int]
) -> None:
    for api in (
        metrics_api(warehouse_http_port=free_port()),
        metrics_api(warehouse_reader_password="wrong"),
    ):
        with api.client(_token(api)) as client:
            for r in (_get(client), client.get("/v1/metrics")):
                assert _error(r, 503) == [("warehouse", "unavailable")]
                assert r.headers["retry-after"] == "10"


def test_openapi_documents_the_contract(metrics_api: Callable[..., RunningApi]) -> None:
    api = metrics_api()
    with api.client() as client:
        doc = _ok(client.get("/openapi.json"))
    op = doc["paths"]["/v1/metrics/{kpi}"]["get"]
    assert {"200", "400", "401", "403", "404", "503"} <= set(op["responses"])
    assert {p["name"] for p in op["parameters"]} >= {"kpi", "unit", "period"}
    value = doc["components"]["schemas"]["KpiValue"]["properties"]
    assert "分母为 0 时为空" in value["value"]["description"]
    assert "/v1/metrics" in doc["paths"]


def test_placeholder_reader_password_is_refused_outside_development() -> None:

    with pytest.raises(ValueError, match="LIANXI_WAREHOUSE_READER_PASSWORD"):
        IngestSettings(
            env="production",
            warehouse_analyst_password="s3cret",
            warehouse_reader_password="dev-reader",
            alerts_ack_secret="s3cret-ack",
        ).check_secrets()
    IngestSettings(
        env="production",
        warehouse_analyst_password="s3cret",
        warehouse_reader_password="s3cret",
        alerts_ack_secret="s3cret-ack",
    ).check_secrets()
