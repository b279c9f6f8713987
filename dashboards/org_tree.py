"""The district's streets and communities, read from the marts (dim_street, dim_community)."""

from dataclasses import dataclass, field
from pathlib import Path

from core import warehouse_client
from dashboards.config import DashboardsSettings

SQL = Path(__file__).resolve().parent / "sql" / "org_tree.sql"


@dataclass(frozen=True)
class Community:
    community_id: str
    community_name: str
    street_id: str


@dataclass
class Street:
    street_id: str
    street_name: str
    communities: list[Community] = field(default_factory=list)


def from_rows(rows: list[tuple[str, str, str | None, str | None]]) -> list[Street]:
    streets: dict[str, Street] = {}
    for street_id, street_name, community_id, community_name in rows:
        street = streets.setdefault(street_id, Street(street_id, street_name))
        # A street without communities comes back from the LEFT JOIN with empty ids.
        if community_id:
            street.communities.append(
                Community(community_id, community_name or community_id, street_id)
            )
    return list(streets.values())


def read(settings: DashboardsSettings) -> list[Street]:
    client = warehouse_client.connect(settings, "reader")
    try:
        return from_rows(
            [tuple(row) for row in client.query(SQL.read_text(encoding="utf-8")).result_rows]
        )
    finally:
        client.close()
