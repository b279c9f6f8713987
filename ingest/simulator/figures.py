"""The seed scenario's chosen figures (seed.yaml), flattened into the names other stages use."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ingest.simulator.config import SEED_FILE

# Flat name (what dbt and dashboard tests compare against) -> path under `figures:` in
# seed.yaml, which is also the path of the same figure in article_figures.yaml.
FIGURE_PATHS = {
    "streets": "structure.streets",
    "communities": "structure.communities",
    "units_linked": "structure.unit_party_orgs_linked",
    "party_members_linked": "structure.party_members_linked",
    "building_party_groups": "structure.building_party_groups",
    "in_service_members_registered": "dual_registration.in_service_members_registered",
    "micro_wishes_claimed": "dual_registration.micro_wishes_claimed",
    "volunteer_posts_claimed": "dual_registration.volunteer_posts_claimed",
    "builders_home_members": "projects.builders_home.enterprise_members_reported",
    "industrial_park_problems_solved": "projects.industrial_park_service_center.enterprise_problems_solved",
}

# Chinese labels for the printed table (the users read Chinese).
FIGURE_LABELS = {
    "streets": "街道",
    "communities": "社区",
    "units_linked": "联系辖区单位党组织",
    "party_members_linked": "联系单位党员",
    "building_party_groups": "楼宇党小组",
    "in_service_members_registered": "在职党员到社区报到",
    "micro_wishes_claimed": "认领微心愿",
    "volunteer_posts_claimed": "认领志愿服务岗位",
    "builders_home_members": "建设者之家企业党员报到",
    "industrial_park_problems_solved": "产业园区解决企业难题",
}


@cache
def load_seed_file(path: Path = SEED_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def seed_year_window(path: Path = SEED_FILE) -> tuple[datetime, datetime]:
    """The seed year in UTC: its first instant and the next year's (both Shanghai midnights).
    Reporting as of the second closes every period of the seed year."""
    spec = load_seed_file(path)
    zone, year = ZoneInfo(spec["timezone"]), int(spec["year"])
    start, end = (
        datetime(year, 1, 1, tzinfo=zone),
        datetime(year + 1, 1, 1, tzinfo=zone),
    )
    return start.astimezone(UTC), end.astimezone(UTC)


def lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        node = node[part]
    return node


def expected_figures(path: Path = SEED_FILE) -> dict[str, int]:
    """Headline indicators the seed scenario produces exactly, by flat name."""
    figures = load_seed_file(path)["figures"]
    return {name: int(lookup(figures, dotted)) for name, dotted in FIGURE_PATHS.items()}
