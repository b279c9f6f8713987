"""Read one quarterly pack's figures from the marts, as the reader (SELECT on marts only).

Every figure is a mart value or the dashboards' own expression over the metric layer
(Σ numerator / Σ denominator of fct_kpi_monthly): the pack never computes a definition.
SQL lives in reports/sql/<name>.sql with server-side parameters {start:Date},
{street:String} ('' = the district) and {limit:UInt32}.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import warehouse_client
from reports.config import ReportsSettings
from reports.quarter import Quarter

SQL_DIR = Path(__file__).resolve().parent / "sql"
OVERDUE_LISTED = 30


def connect(settings: ReportsSettings) -> Any:
    return warehouse_client.connect(settings, "reader", connect_timeout=5, send_receive_timeout=120)


def rows(client: Any, name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    sql = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


@dataclass
class PackData:
    quarter: Quarter
    street_id: str  # '' = the district
    unit_name: str
    as_of: datetime
    rates: dict[str, dict[str, Any]]
    counts: dict[str, Any]
    street_rankings: list[dict[str, Any]]
    community_rankings: list[dict[str, Any]]
    components: list[dict[str, Any]]
    overdue_by_unit: list[dict[str, Any]]
    overdue_tickets: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    wishes_volunteering: list[dict[str, Any]]
    streets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def weights_versions(self) -> list[int]:
        return sorted({int(r["weights_version"]) for r in self.street_rankings})


def as_of(client: Any) -> datetime | None:
    """The marts' as_of (UTC; the driver returns DateTime64(3, 'UTC') without a zone)."""
    found = rows(client, "as_of", {})
    if not found:
        return None
    moment: datetime = found[0]["as_of"]
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def streets(client: Any) -> list[dict[str, Any]]:
    return rows(client, "streets", {})


def load(client: Any, quarter: Quarter, street_id: str, district_name: str) -> PackData:
    """Everything one pack shows; street_id '' for the district's pack."""
    params = {"start": quarter.start, "street": street_id}
    known = streets(client)
    if street_id:
        names = [s["street_name"] for s in known if s["street_id"] == street_id]
        if not names:
            raise LookupError(f"street {street_id!r} is not in marts.dim_street")
        unit_name = names[0]
    else:
        unit_name = district_name
    built_as_of = as_of(client)
    if built_as_of is None:
        raise LookupError("marts.fct_headline_indicators is empty: run `lianxi dbt build` first")
    return PackData(
        quarter=quarter,
        street_id=street_id,
        unit_name=unit_name,
        as_of=built_as_of,
        rates={r["kpi"]: r for r in rows(client, "rates", params)},
        counts=rows(client, "counts", params)[0],
        street_rankings=rows(client, "street_rankings", params),
        community_rankings=rows(client, "community_rankings", params),
        components=rows(client, "components", params),
        overdue_by_unit=rows(client, "overdue_by_unit", params),
        overdue_tickets=rows(client, "overdue_tickets", params | {"limit": OVERDUE_LISTED}),
        meetings=rows(client, "meetings", params),
        wishes_volunteering=rows(client, "wishes_volunteering", params),
        streets=known,
    )
