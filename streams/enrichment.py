"""Which street a community belongs to, kept current from org events.

Producers may send only community_id; every raw row still needs street_id because the sort
key (and so the dedup key) starts with it. The map is rebuilt from raw.org_events at start and
updated by the org agent. When a community is not known yet (its registration still in flight
on another partition), the contract's id convention c-<street>-<nn> decides, so the same event
always gets the same street_id whenever it is (re)delivered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

COMMUNITY_ID = re.compile(r"^c-(\d{2})-\d{2}$")


class OrgRegistry:
    def __init__(self) -> None:
        self._street_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._street_of)

    def learn(self, data: dict[str, Any]) -> None:
        community, street = data.get("community_id"), data.get("street_id")
        if isinstance(community, str) and community and isinstance(street, str) and street:
            self._street_of[community] = street

    def load(self, pairs: Iterable[tuple[str, str]]) -> None:
        for community, street in pairs:
            if community and street:
                self._street_of[community] = street

    def street_of(self, community_id: str) -> str:
        known = self._street_of.get(community_id)
        if known:
            return known
        match = COMMUNITY_ID.match(community_id)
        return f"s-{match.group(1)}" if match else ""

    def scope(self, data: dict[str, Any]) -> tuple[str, str]:
        """(street_id, community_id) of one event's data, '' where not applicable."""
        community = data.get("community_id") or ""
        street = data.get("street_id") or ""
        if not street and community:
            street = self.street_of(community)
        return street, community
