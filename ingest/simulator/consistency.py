"""Lifecycle and reference rules a stream of simulated events must keep, checked from the events alone.

Used by the tests of both the seed and the load generator; also handy on any JSON-lines dump.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

# One ticket's allowed next steps: opened → assigned → responded → resolved → rated → closed,
# with resolved → reopened → responded → resolved again.
TICKET_NEXT: dict[str | None, set[str]] = {
    None: {"opened"},
    "opened": {"assigned"},
    "assigned": {"responded"},
    "responded": {"resolved"},
    "resolved": {"rated", "closed", "reopened"},
    "reopened": {"responded"},
    "rated": {"closed"},
    "closed": set(),
}
WISH_NEXT: dict[str | None, set[str]] = {
    None: {"posted"},
    "posted": {"claimed", "cancelled"},
    "claimed": {"fulfilled", "cancelled"},
    "fulfilled": set(),
    "cancelled": set(),
}
MEETING_NEXT: dict[str | None, set[str]] = {
    None: {"scheduled"},
    "scheduled": {"held"},
    "held": {"resolution_recorded"},
    "resolution_recorded": {"resolution_recorded"},
}
MACHINES = {"ticket": TICKET_NEXT, "wish": WISH_NEXT, "meeting": MEETING_NEXT}


def problems(events: Iterable[dict[str, Any]], limit: int = 20) -> list[str]:
    """Broken rules in publication order (at most `limit`); [] means the stream is consistent."""
    found: list[str] = []
    last_time: dict[str, str] = {}
    state: dict[tuple[str, str], str | None] = defaultdict(lambda: None)
    linked: set[str] = set()
    members: set[str] = set()
    slots: dict[str, int] = {}
    claims: Counter[str] = Counter()
    claimed: set[tuple[str, str]] = set()
    wish_claimer: dict[str, str] = {}
    listed: set[str] = set()

    def bad(event: dict[str, Any], rule: str) -> None:
        found.append(f"{event['type']} {event['id']}: {rule}")

    for e in events:
        if len(found) >= limit:
            break
        _, domain, name = e["type"].split(".")
        d, subject = e["data"], e["subject"]
        if e["time"] < last_time.get(subject, ""):
            bad(e, "earlier than the previous event of its aggregate")
        last_time[subject] = e["time"]
        machine = MACHINES.get(domain)
        if machine is not None:
            if name not in machine[state[(domain, subject)]]:
                bad(e, f"{state[(domain, subject)]} -> {name} is not a lifecycle step")
            state[(domain, subject)] = name
        if domain == "org" and name == "unit_linked":
            linked.add(d["unit_id"])
        elif domain == "org" and name == "unit_unlinked":
            if d["unit_id"] not in linked:
                bad(e, "unlinks a unit that is not linked")
            linked.discard(d["unit_id"])
        elif name == "registered":
            if d["unit_id"] is not None and d["unit_id"] not in linked:
                bad(e, "names a unit that is not linked")
            members.add(d["member_id"])
        elif name == "held" and not set(d["attending_unit_ids"]) <= linked:
            bad(e, "attending units not linked")
        elif name == "assigned" and d["assignee_unit_id"] not in linked:
            bad(e, "assignee unit not linked")
        elif name == "post_published":
            slots[d["post_id"]] = d["slots"]
        elif name == "post_claimed":
            claims[d["post_id"]] += 1
            if claims[d["post_id"]] > slots.get(d["post_id"], 0):
                bad(e, "more claims than slots (or post not published)")
            if (d["post_id"], d["member_id"]) in claimed:
                bad(e, "member claims the same post twice")
            claimed.add((d["post_id"], d["member_id"]))
        elif name == "hours_logged" and (d["post_id"], d["member_id"]) not in claimed:
            bad(e, "hours for a post the member did not claim")
        elif name == "claimed" and domain == "wish":
            wish_claimer[d["wish_id"]] = d["member_id"]
        elif name == "fulfilled" and wish_claimer.get(d["wish_id"]) != d["member_id"]:
            bad(e, "fulfilled by someone other than the claimer")
        elif name in ("demand_listed", "supply_listed"):
            listed.add(d.get("demand_id") or d["supply_id"])
            if name == "supply_listed" and d["unit_id"] not in linked:
                bad(e, "supplying unit not linked")
        elif name == "matched" and not {d["demand_id"], d["supply_id"]} <= listed:
            bad(e, "matches a demand or supply not listed yet")
        if "member_id" in d and name not in ("registered",) and d["member_id"] not in members:
            bad(e, "member not registered yet")
        if (
            d.get("community_id")
            and d.get("street_id")
            and d["street_id"] != "s-" + d["community_id"][2:4]
        ):
            bad(e, "street_id does not contain community_id")
    return found
