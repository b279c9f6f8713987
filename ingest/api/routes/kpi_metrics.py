"""GET /v1/metrics: the platform's KPIs for other systems and analysts, read-only (issue #13).

Every figure comes from dbt's metric layer (marts.fct_kpi_monthly) with the dashboards' own
formula, sum(numerator) / nullIf(sum(denominator), 0), computed in the warehouse (SQL in
ingest/sql/metrics_*.sql): the API never has a definition of its own, so it cannot disagree
with the dashboards or the headline. Named kpi_metrics, not metrics: ingest/api/metrics.py
is the API's Prometheus counters.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ingest.api import warehouse_client
from ingest.api.auth import CurrentToken
from ingest.api.errors import ApiError, ErrorBody, refused
from ingest.config import IngestSettings
from ingest.tokens import AREA_PATTERN, Token

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
_SQL = Path(__file__).resolve().parents[2] / "sql"
_CATALOGUE = (_SQL / "metrics_catalogue.sql").read_text(encoding="utf-8")
_VALUE = (_SQL / "metrics_value.sql").read_text(encoding="utf-8")
_UNIT = (_SQL / "metrics_unit.sql").read_text(encoding="utf-8")

# 2026-07, 2026Q3 (also 2026-Q3, as fct_meeting_compliance labels quarters) or 2026.
PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})|-?Q(?P<quarter>[0-9]))?")
# The warehouse's Date type ends in 2149; asking beyond it must be a 400, not a failed query.
FIRST_YEAR, LAST_YEAR = 1970, 2148
ALL_TIME = (date(FIRST_YEAR, 1, 1), date(LAST_YEAR + 1, 1, 1))
MAX_UNIT_LENGTH = 64

COMBINATION = (
    "跨口径版本时各月按当月生效口径计数，分子、分母分别求和后相除 / over several definition versions each "
    "month counts under the version in force that month; numerators and denominators are summed, then divided"
)


Level = Literal["district", "street", "community"]


class KpiInfo(BaseModel):
    kpi: str = Field(description="指标代码 / KPI code", examples=["response_rate"])
    label_zh: str = Field(description="指标中文名 / Chinese name", examples=["响应率"])
    definition_version: int | None = Field(
        description="今日生效的口径版本（seeds/kpi_definitions.csv） / definition version in force today"
    )
    definition_effective_from: date | None = Field(
        description="该版本生效日期 / the version's effective date"
    )
    numerator_definition: str | None = Field(description="分子口径 / what the numerator counts")
    denominator_definition: str | None = Field(description="分母口径 / what the denominator counts")


class KpiList(BaseModel):
    kpis: list[KpiInfo] = Field(description="可查询的指标 / the KPIs GET /v1/metrics/{kpi} serves")
    as_of: datetime | None = Field(
        description="数据截至时间（上海时间，+08:00；最近一次 dbt 构建） / as of (Asia/Shanghai), the last dbt build"
    )


class VersionPart(BaseModel):
    version: int = Field(description="口径版本 / definition version")
    first_period: str = Field(description="该版本覆盖的首月 YYYY-MM / first month counted under it")
    last_period: str = Field(description="该版本覆盖的末月 YYYY-MM / last month counted under it")
    numerator: int = Field(description="该版本各月分子之和 / its months' numerator")
    denominator: int = Field(description="该版本各月分母之和 / its months' denominator")


class KpiValue(BaseModel):
    kpi: str = Field(description="指标代码 / KPI code", examples=["response_rate"])
    label_zh: str = Field(description="指标中文名 / Chinese name", examples=["响应率"])
    unit: str | None = Field(
        description="街道或社区编号，全区为空 / street or community id; null for the district"
    )
    unit_level: Level = Field(description="统计范围层级 / level of the unit")
    unit_name: str = Field(
        description="统计范围中文名 / the unit's Chinese name", examples=["全区"]
    )
    period: str | None = Field(
        description="统计期 YYYY-MM、YYYYQn 或 YYYY，为空表示迄今全部 / month, quarter or year; null: all periods to date"
    )
    period_start: date | None = Field(description="统计期首日（含） / first day of the period")
    period_end: date | None = Field(description="统计期末日次日（不含） / day after the period")
    value: float | None = Field(
        description="指标值 = 分子 / 分母（与看板同一公式 sum(numerator) / nullIf(sum(denominator), 0)），分母为 0 时为空 "
        "/ numerator / denominator, the dashboards' formula; null when the denominator is 0"
    )
    numerator: int = Field(description="分子 / numerator")
    denominator: int = Field(description="分母 / denominator")
    definition_version: int | None = Field(
        description="口径版本；统计期跨多个版本或无数据时为空，见 definition_versions / the definition version; null "
        "when the period spans several versions (see definition_versions) or has no data"
    )
    definition_versions: list[VersionPart] = Field(
        description="按口径版本拆分的分子、分母 / numerator and denominator per definition version"
    )
    combination: str = Field(description="跨版本的合并方法 / how several versions were combined")
    as_of: datetime | None = Field(
        description="数据截至时间（上海时间，+08:00；最近一次 dbt 构建） / as of (Asia/Shanghai), the last dbt build"
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "unit 或 period 格式错误（field、rule 说明原因） / bad unit or period (field and rule say which)",
        401: "缺少或无效的令牌 / missing or unknown bearer token",
        403: "令牌的区域范围不含该统计范围（field unit, rule scope） / the unit is outside the token's areas",
        404: "未知指标或统计范围 / unknown kpi or unit",
        503: "数仓暂不可读，稍后重试 / the warehouse cannot be read now; retry after Retry-After",
    }.items()
}


class MartReader:
    """Reads the marts as lianxi_reader with clickhouse-connect; one client, rebuilt after a failure."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            try:
                if self._client is None:
                    self._client = warehouse_client.connect(self.settings, "reader")
                # parameters=: values are bound by the client, never pasted into the SQL text.
                return list(self._client.query(sql, parameters=params).named_results())
            except Exception as exc:  # noqa: BLE001 - down, mart not built yet, refused: all "unavailable"
                log.warning("metrics: reading the marts failed: %s", exc)
                self._client = None
                raise refused(
                    503,
                    "warehouse_unavailable",
                    f"数仓暂不可读 / the warehouse cannot be read right now ({type(exc).__name__})",
                    "warehouse",
                    "unavailable",
                    "retry after the Retry-After delay",
                    headers={"Retry-After": "10"},
                ) from None

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _bad(status: int, field: str, rule: str, message: str) -> ApiError:
    error = {400: "invalid_request", 403: "forbidden", 404: "not_found"}[status]
    return refused(status, error, message, field, rule, message)


def parse_period(period: str | None) -> tuple[str | None, date, date]:
    """(canonical label, first day, day after) of a period; all time when absent."""
    if period is None:
        return None, *ALL_TIME
    match = PERIOD.fullmatch(period)
    if not match:
        raise _bad(
            400,
            "period",
            "format",
            "period 须为 YYYY-MM、YYYYQn 或 YYYY / period must be YYYY-MM, YYYYQn or YYYY",
        )
    year = int(match["year"])
    month = int(match["month"]) if match["month"] else None
    quarter = int(match["quarter"]) if match["quarter"] else None
    if (
        not FIRST_YEAR <= year <= LAST_YEAR
        or (month is not None and not 1 <= month <= 12)
        or (quarter is not None and not 1 <= quarter <= 4)
    ):
        raise _bad(
            400,
            "period",
            "range",
            f"年份 {FIRST_YEAR}–{LAST_YEAR}、月 01–12、季度 Q1–Q4 / year {FIRST_YEAR}-{LAST_YEAR}, month 01-12, quarter Q1-Q4",
        )
    if month is not None:
        start, months, label = date(year, month, 1), 1, f"{year:04d}-{month:02d}"
    elif quarter is not None:
        start, months, label = (
            date(year, 3 * quarter - 2, 1),
            3,
            f"{year:04d}Q{quarter}",
        )
    else:
        start, months, label = date(year, 1, 1), 12, f"{year:04d}"
    following = start.month - 1 + months
    return label, start, date(start.year + following // 12, following % 12 + 1, 1)


def check_unit_format(unit: str | None) -> None:
    if unit is not None and (len(unit) > MAX_UNIT_LENGTH or not AREA_PATTERN.fullmatch(unit)):
        raise _bad(
            400,
            "unit",
            "pattern",
            "unit 须为街道编号（s-01）或社区编号（c-01-02） / unit must be a street (s-01) or community (c-01-02) id",
        )


def check_scope(token: Token, unit: str | None, street_of_unit: str | None) -> None:
    """A token with areas reads only them: a street and its communities, or a community.
    Without areas it reads everything (the district included)."""
    if not token.areas:
        return
    allowed = unit is not None and (unit in token.areas or street_of_unit in token.streets)
    if not allowed:
        asked = unit or "全区 / the district"
        raise _bad(
            403,
            "unit",
            "scope",
            f"该令牌只能读取 {', '.join(token.areas)} / this token reads only its areas, not {asked}",
        )


def _shanghai(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # DateTime64(3, 'UTC') may come back naive
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


async def _catalogue(request: Request) -> tuple[list[dict[str, Any]], datetime | None]:
    rows = await run_in_threadpool(request.app.state.mart_reader.query, _CATALOGUE, {})
    return rows, _shanghai(rows[0]["as_of"]) if rows else None


def _info(row: dict[str, Any]) -> KpiInfo:
    return KpiInfo(
        kpi=row["kpi"],
        label_zh=row["label_zh"],
        definition_version=row["definition_version"],
        definition_effective_from=row["effective_from"],
        numerator_definition=row["numerator_definition"],
        denominator_definition=row["denominator_definition"],
    )


@router.get(
    "",
    summary="指标目录 / the KPIs",
    response_model=KpiList,
    responses={k: ERRORS[k] for k in (401, 503)},
)
async def list_kpis(request: Request, token: CurrentToken) -> KpiList:
    """可查询的指标、中文名与今日生效的口径版本。任一有效令牌均可读取。 / The KPIs with their Chinese
    name and the definition version in force today; any valid token may read it."""
    rows, as_of = await _catalogue(request)
    return KpiList(kpis=[_info(r) for r in rows], as_of=as_of)


@router.get(
    "/{kpi}",
    summary="指标值 / one KPI's value",
    response_model=KpiValue,
    responses=ERRORS,
)
async def get_kpi(
    request: Request,
    token: CurrentToken,
    kpi: str,
    unit: Annotated[
        str | None,
        Query(
            description="街道（s-01）或社区（c-01-02）编号，缺省为全区 / street or community id; default the district"
        ),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            description="YYYY-MM（月）、YYYYQn（季）或 YYYY（年），缺省为迄今全部 / month, quarter or year; default all"
        ),
    ] = None,
) -> KpiValue:
    """一个指标在一个统计范围与统计期的值：分子、分母之和相除，与看板同一口径层与公式。区域令牌只能读取其街道（含
    下辖社区）或社区。 / One KPI over a unit and period: sum(numerator) / sum(denominator) over
    marts.fct_kpi_monthly, as the dashboards compute it. Tokens with areas read only those units."""
    check_unit_format(unit)
    label, start, end = parse_period(period)
    reader: MartReader = request.app.state.mart_reader
    rows, as_of = await _catalogue(request)
    info = next((r for r in rows if r["kpi"] == kpi), None)
    if info is None:
        raise _bad(
            404,
            "kpi",
            "unknown",
            f"未知指标 / unknown kpi; GET /v1/metrics lists them ({', '.join(r['kpi'] for r in rows)})",
        )
    found = await run_in_threadpool(reader.query, _UNIT, {"unit": unit}) if unit else []
    check_scope(token, unit, found[0]["street_id"] if found else None)
    if unit and not found:
        raise _bad(
            404,
            "unit",
            "unknown",
            f"数仓中没有街道或社区 {unit} / no street or community {unit} in the warehouse",
        )
    level: Level = found[0]["level"] if found else "district"
    params = {
        "kpi": kpi,
        # A community's figure includes its street's own rows: its street id bounds them.
        "street": found[0]["street_id"] if level != "district" else "",
        "community": unit if level == "community" else "",
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    result = await run_in_threadpool(reader.query, _VALUE, params)
    total = next(
        r for r in result if r["part"] == "total"
    )  # an aggregate without GROUP BY: always one row
    parts = [
        VersionPart(
            version=r["version"],
            first_period=r["first_period"].strftime("%Y-%m"),
            last_period=r["last_period"].strftime("%Y-%m"),
            numerator=r["numerator_sum"],
            denominator=r["denominator_sum"],
        )
        for r in sorted(result, key=lambda r: r["version"] or 0)
        if r["part"] == "version"
    ]
    return KpiValue(
        kpi=kpi,
        label_zh=info["label_zh"],
        unit=unit,
        unit_level=level,
        unit_name=found[0]["name"] if found else "全区",
        period=label,
        period_start=start if label else None,
        period_end=end if label else None,
        value=total["value"],
        numerator=total["numerator_sum"],
        denominator=total["denominator_sum"],
        definition_version=parts[0].version if len(parts) == 1 else None,
        definition_versions=parts,
        combination=COMBINATION,
        as_of=as_of,
    )
