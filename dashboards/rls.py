"""Roles and row-level-security clauses generated from the org tree.

Each dataset in spec/datasets.yaml declares its finest scope column (`scope`): a secretary is
limited by the finest column the dataset has. fct_headline_indicators is district-wide (one row,
the district's published figures) and so carries no clause. `community_and_street` is for marts
that hold rows of the street itself (community_id ''), such as the street's own joint meetings:
a community secretary sees their community's rows and their street's own rows (the community
sits in its street's joint meeting), never a sibling community's.
"""

import re
from dataclasses import dataclass, field

from dashboards.org_tree import Street

LEADER = "区领导"
ANALYST = "数据分析师"
STREET_PREFIX = "街道书记"
COMMUNITY_PREFIX = "社区书记"
SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass
class RoleSpec:
    name: str
    login: str
    # dataset table name -> SQL clause; empty for unrestricted roles
    clauses: dict[str, str] = field(default_factory=dict)
    analyst: bool = False


def _literal(value: str) -> str:
    # Ids come from the warehouse; refuse anything that could escape a quoted literal.
    if not SAFE_ID.match(value):
        raise ValueError(f"org id {value!r} has characters outside [A-Za-z0-9_.:-]")
    return f"'{value}'"


def clause_for(scope: str, street_id: str, community_id: str | None) -> str | None:
    """The clause for one dataset scope, or None when the dataset is district-wide."""
    if scope == "district":
        return None
    if community_id is not None and scope == "community":
        return f"community_id = {_literal(community_id)}"
    if community_id is not None and scope == "community_and_street":
        return (
            f"(community_id = {_literal(community_id)} "
            f"OR (street_id = {_literal(street_id)} AND community_id = ''))"
        )
    return f"street_id = {_literal(street_id)}"


def role_specs(streets: list[Street], dataset_scopes: dict[str, str]) -> list[RoleSpec]:
    specs = [RoleSpec(LEADER, "leader"), RoleSpec(ANALYST, "analyst", analyst=True)]
    for street in streets:
        specs.append(
            _scoped(
                f"{STREET_PREFIX} {street.street_name} ({street.street_id})",
                f"street-{street.street_id}",
                street.street_id,
                None,
                dataset_scopes,
            )
        )
        for community in street.communities:
            specs.append(
                _scoped(
                    f"{COMMUNITY_PREFIX} {community.community_name} ({community.community_id})",
                    f"community-{community.community_id}",
                    street.street_id,
                    community.community_id,
                    dataset_scopes,
                )
            )
    return specs


def _scoped(
    name: str, login: str, street_id: str, community_id: str | None, dataset_scopes: dict[str, str]
) -> RoleSpec:
    clauses = {}
    for table, scope in sorted(dataset_scopes.items()):
        clause = clause_for(scope, street_id, community_id)
        if clause:
            clauses[table] = clause
    return RoleSpec(name, login, clauses)
