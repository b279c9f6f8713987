"""Secondary indicators of a simulated stream, counted from its events with stated definitions.

The headline figures are fixed in seed.yaml; these follow from the seed (and change with it),
so dbt and dashboard tests can compare more than the headline without guessing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

# name -> definition (kept next to the counting code below; shown by `lianxi simulate seed`).
DEFINITIONS = {
    "members_registered": "distinct member_id over member.registered (any kind)",
    "check_ins": "member.checked_in events",
    "wishes_posted": "distinct wish_id posted",
    "wishes_fulfilled": "distinct wish_id fulfilled",
    "wishes_cancelled": "distinct wish_id cancelled (claimed or not)",
    "volunteer_posts_published": "distinct post_id published",
    "volunteer_hours": "sum of hours over volunteer.hours_logged",
    "resource_demands": "distinct demand_id listed",
    "resource_supplies": "distinct supply_id listed",
    "resource_matches": "distinct match_id",
    "tickets_opened": "distinct ticket_id opened",
    "tickets_resolved": "tickets whose latest resolved/reopened event is resolved",
    "tickets_reopened_now": "tickets whose latest resolved/reopened event is reopened",
    "tickets_closed": "distinct ticket_id closed",
    "tickets_rated": "distinct ticket_id rated",
    "tickets_rated_satisfied": "rated satisfied or basically_satisfied",
    "street_meetings_scheduled": "level=street meeting.scheduled",
    "street_meetings_held": "level=street meeting.held",
    "community_meetings_scheduled": "level=community meeting.scheduled",
    "community_meetings_held": "level=community meeting.held",
    "meetings_held_late": "held_at later than scheduled_for",
    "resolutions": "meeting.resolution_recorded events",
}


def indicators(events: Iterable[dict[str, Any]]) -> dict[str, int | float]:
    sets: dict[str, set[Any]] = {name: set() for name in DEFINITIONS}
    counts: Counter[str] = Counter()
    ticket_state: dict[str, str] = {}
    planned: dict[str, str] = {}
    hours = 0.0
    for e in events:
        kind, d = e["type"][7:], e["data"]
        if kind == "member.registered":
            sets["members_registered"].add(d["member_id"])
        elif kind == "member.checked_in":
            counts["check_ins"] += 1
        elif kind.startswith("wish.") and kind != "wish.claimed":
            sets[
                {
                    "wish.posted": "wishes_posted",
                    "wish.fulfilled": "wishes_fulfilled",
                    "wish.cancelled": "wishes_cancelled",
                }[kind]
            ].add(d["wish_id"])
        elif kind == "volunteer.post_published":
            sets["volunteer_posts_published"].add(d["post_id"])
        elif kind == "volunteer.hours_logged":
            hours += d["hours"]
        elif kind == "resources.demand_listed":
            sets["resource_demands"].add(d["demand_id"])
        elif kind == "resources.supply_listed":
            sets["resource_supplies"].add(d["supply_id"])
        elif kind == "resources.matched":
            sets["resource_matches"].add(d["match_id"])
        elif kind == "ticket.opened":
            sets["tickets_opened"].add(d["ticket_id"])
        elif kind in ("ticket.resolved", "ticket.reopened"):
            ticket_state[d["ticket_id"]] = kind
        elif kind == "ticket.closed":
            sets["tickets_closed"].add(d["ticket_id"])
        elif kind == "ticket.rated":
            sets["tickets_rated"].add(d["ticket_id"])
            if d["satisfaction"] != "unsatisfied":
                sets["tickets_rated_satisfied"].add(d["ticket_id"])
        elif kind == "meeting.scheduled":
            counts[f"{d['level']}_meetings_scheduled"] += 1
            planned[d["meeting_id"]] = d["scheduled_for"]
        elif kind == "meeting.held":
            counts[f"{d['level']}_meetings_held"] += 1
            counts["meetings_held_late"] += d["held_at"] > planned.get(
                d["meeting_id"], d["held_at"]
            )
        elif kind == "meeting.resolution_recorded":
            counts["resolutions"] += 1
    out: dict[str, int | float] = {}
    for name in DEFINITIONS:
        out[name] = len(sets[name]) or counts[name]
    out["tickets_resolved"] = sum(1 for s in ticket_state.values() if s == "ticket.resolved")
    out["tickets_reopened_now"] = sum(1 for s in ticket_state.values() if s == "ticket.reopened")
    out["volunteer_hours"] = round(hours, 1)
    return out
