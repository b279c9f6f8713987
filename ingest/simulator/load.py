"""Load at any scale: the seed's kinds of events with consistent lifecycles, streamed in time order.

Aggregates are started one after another on a simulated clock; each one schedules its whole
lifecycle at start into per-minute buckets; a bucket is sorted and handed out once the clock
has passed it (later aggregates only schedule at or after the clock), so events leave in time order. Stopping after n events cuts
lifecycles at a moment in time, so any prefix is itself a consistent district: nothing is
claimed before it was posted, no member acts before registering, no unit is used before linking.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from ingest.simulator import vocabulary as words
from ingest.simulator.cloudevent import CONTENT_TYPE, DATASCHEMA, SPECVERSION
from ingest.simulator.district import communities, streets

SOURCE = "/simulator/load"
MINUTE, HOUR, DAY = 60, 3600, 86400
# Simulated seconds between two aggregates starting. Lifecycles last up to ~3 weeks, so this
# bounds how many are in flight (memory) while keeping every kind's timeline plausible.
SPAWN_GAP = 90

# Share of new aggregates per kind (roughly the seed year's mix, tickets dominating).
KINDS = (
    "unit",
    "group",
    "member",
    "wish",
    "post",
    "demand",
    "supply",
    "ticket",
    "meeting",
    "assessment",
    "review",
)
KIND_WEIGHTS = (1.5, 0.4, 7, 7, 3, 1.2, 1, 16, 0.8, 0.5, 0.1)
_KIND_CUM = list(accumulate(KIND_WEIGHTS))
_CATEGORY_CUM = list(accumulate(words.TICKET_CATEGORY_WEIGHTS))
CHANNELS = ("hotline", "grid_manager", "one_key_call", "enterprise", "walk_in", "joint_meeting")
_CHANNEL_CUM = list(accumulate((40, 25, 8, 6, 18, 3)))
SATISFACTION = (
    "satisfied",
    "satisfied",
    "satisfied",
    "basically_satisfied",
    "basically_satisfied",
    "unsatisfied",
)
HOURS = (1, 1.5, 2, 2.5, 3, 4, 6, 8)
NAMES = {t: t.rsplit(".", 1)[1] for t in DATASCHEMA}


class _Load:
    def __init__(self, seed: int, start: int) -> None:
        self.rng = random.Random(seed)
        self.tag = f"L{seed}"
        self.clock = start
        # Minute -> scheduled events; cheaper than one heap over all lifecycles in flight.
        self.buckets: dict[int, list[tuple[int, int, str, str, str, dict[str, Any]]]] = {}
        self.seq = 0
        self.n = 0
        self.scopes = [(c.community_id, c.street_id) for c in communities()]
        self.community_names = {c.community_id: c.name_zh for c in communities()}
        self.units: list[str] = []
        self.members: list[tuple[str, str | None]] = []
        self.supplies: list[str] = []
        # random() scaled by hand: several times faster than randint/choice, still deterministic.
        r = self.rng.random
        self.between = lambda a, b: a + int(r() * (b - a + 1))
        self.pick = lambda seq: seq[int(r() * len(seq))]
        self.below = lambda n: int(r() * n)

    def at(self, when: int, event_type: str, subject: str, k: int, data: dict[str, Any]) -> None:
        """Schedule one event; k numbers this subject's events of that name (stable ids)."""
        self.seq += 1
        row = (when, self.seq, event_type, subject, f"{subject}.{NAMES[event_type]}.{k}", data)
        bucket = self.buckets.get(when // 60)
        if bucket is None:
            self.buckets[when // 60] = [row]
        else:
            bucket.append(row)

    def next_id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.tag}-{self.n:08d}"

    def spawn(self) -> None:
        rng = self.rng
        kind = KINDS[bisect_right(_KIND_CUM, rng.random() * _KIND_CUM[-1])]
        # The district needs units and members before anyone can act for them.
        if not self.units:
            kind = "unit"
        elif not self.members and kind in ("wish", "post"):
            kind = "member"
        elif not self.supplies and kind == "demand":
            kind = "supply"
        getattr(self, f"_{kind}")(self.clock)
        self.clock += self.between(1, 2 * SPAWN_GAP)

    def _unit(self, t: int) -> None:
        rng = self.rng
        uid = self.next_id("u")
        community, street = self.pick(self.scopes)
        level = "street" if rng.random() < 0.15 else "community"
        unit_type = words.UNIT_TYPES[self.below(len(words.UNIT_TYPES))]
        data = {
            "unit_id": uid,
            "name_zh": words.unit_name(rng, unit_type, self.n),
            "unit_type": unit_type,
            "level": level,
            "street_id": street,
            "community_id": community if level == "community" else None,
            "party_members": self.between(0, 120),
        }
        self.at(t, "lianxi.org.unit_linked", uid, 1, data)
        if rng.random() < 0.05:
            self.at(
                t + self.between(5 * DAY, 20 * DAY),
                "lianxi.org.unit_unlinked",
                uid,
                1,
                {
                    "unit_id": uid,
                    "level": level,
                    "street_id": street,
                    "community_id": data["community_id"],
                    "reason": self.pick(words.UNLINK_REASONS),
                },
            )
        else:
            self.units.append(uid)

    def structure(self) -> None:
        """The district's streets and communities first, so a load-only warehouse has its
        dimensions. Their ids carry no seed: every load run describes the same district."""
        for s in streets():
            self.at(
                self.clock,
                "lianxi.org.street_registered",
                s.street_id,
                1,
                {"street_id": s.street_id, "name_zh": s.name_zh},
            )
        for c in communities():
            self.at(
                self.clock,
                "lianxi.org.community_registered",
                c.community_id,
                1,
                {"community_id": c.community_id, "street_id": c.street_id, "name_zh": c.name_zh},
            )

    def _group(self, t: int) -> None:
        gid = self.next_id("bg")
        community, street = self.pick(self.scopes)
        self.at(
            t,
            "lianxi.org.building_group_formed",
            gid,
            1,
            {
                "group_id": gid,
                "community_id": community,
                "street_id": street,
                "building": words.building_name(self.rng, self.community_names[community]),
                "members": self.between(3, 15),
            },
        )

    def _review(self, t: int) -> None:
        rid = self.next_id("rv")
        community, street = self.pick(self.scopes)
        level = "street" if self.rng.random() < 0.1 else "community"
        self.at(
            t,
            "lianxi.assessment.secretary_reviewed",
            rid,
            1,
            {
                "review_id": rid,
                "level": level,
                "street_id": street,
                "community_id": community if level == "community" else None,
                "year": time.gmtime(t).tm_year,
                "rating": self.pick(("excellent", "good", "good", "fair", "poor")),
            },
        )

    def _member(self, t: int) -> None:
        rng = self.rng
        mid = self.next_id("m")
        community, street = self.pick(self.scopes)
        in_service = rng.random() < 0.8
        unit = self.pick(self.units) if in_service else None
        self.at(
            t,
            "lianxi.member.registered",
            mid,
            1,
            {
                "member_id": mid,
                "community_id": community,
                "street_id": street,
                "in_service": in_service,
                "unit_id": unit,
                "project": "builders_home" if in_service and rng.random() < 0.01 else None,
            },
        )
        self.members.append((mid, unit))
        for k in range(1, self.between(0, 4) + 1):
            self.at(
                t + k * self.between(DAY, 5 * DAY),
                "lianxi.member.checked_in",
                mid,
                k,
                {
                    "member_id": mid,
                    "activity_id": f"act-{community}-{self.tag}-{t // DAY}-{k}",
                    "community_id": community,
                    "street_id": street,
                },
            )

    def _wish(self, t: int) -> None:
        rng = self.rng
        wid = self.next_id("w")
        community, street = self.pick(self.scopes)
        self.at(
            t,
            "lianxi.wish.posted",
            wid,
            1,
            {
                "wish_id": wid,
                "community_id": community,
                "street_id": street,
                "category": words.WISH_CATEGORIES[self.below(7)],
                "resident_id": f"r-{self.below(10**6):06d}",
            },
        )
        r = rng.random()
        if r < 0.05:
            self.at(
                t + self.between(DAY, 10 * DAY),
                "lianxi.wish.cancelled",
                wid,
                1,
                {"wish_id": wid, "reason": self.pick(words.WISH_CANCEL_REASONS)},
            )
            return
        if r > 0.87:
            return
        t += self.between(HOUR, 5 * DAY)
        member, unit = self.pick(self.members)
        self.at(
            t, "lianxi.wish.claimed", wid, 1, {"wish_id": wid, "member_id": member, "unit_id": unit}
        )
        if rng.random() < 0.95:
            self.at(
                t + self.between(DAY, 12 * DAY),
                "lianxi.wish.fulfilled",
                wid,
                1,
                {"wish_id": wid, "member_id": member},
            )
        else:
            self.at(
                t + self.between(DAY, 5 * DAY),
                "lianxi.wish.cancelled",
                wid,
                1,
                {"wish_id": wid, "reason": self.pick(words.WISH_CANCEL_REASONS)},
            )

    def _post(self, t: int) -> None:
        pid = self.next_id("vp")
        community, street = self.pick(self.scopes)
        slots = self.between(1, 6)
        self.at(
            t,
            "lianxi.volunteer.post_published",
            pid,
            1,
            {
                "post_id": pid,
                "community_id": community,
                "street_id": street,
                "category": words.POST_CATEGORIES[self.below(7)],
                "slots": slots,
            },
        )
        claimers = {m for m, _ in (self.pick(self.members) for _ in range(self.between(0, slots)))}
        logs = 0
        for k, member in enumerate(sorted(claimers), 1):
            claimed = t + k * self.between(HOUR, DAY)
            self.at(
                claimed,
                "lianxi.volunteer.post_claimed",
                pid,
                k,
                {"post_id": pid, "member_id": member},
            )
            for _ in range(self.between(0, 2)):
                logs += 1
                self.at(
                    claimed + self.between(DAY, 14 * DAY),
                    "lianxi.volunteer.hours_logged",
                    pid,
                    logs,
                    {"post_id": pid, "member_id": member, "hours": HOURS[self.below(8)]},
                )

    def _supply(self, t: int) -> None:
        sid = self.next_id("rs")
        community, street = self.pick(self.scopes)
        self.at(
            t,
            "lianxi.resources.supply_listed",
            sid,
            1,
            {
                "supply_id": sid,
                "unit_id": self.pick(self.units),
                "community_id": community,
                "street_id": street,
                "category": words.RESOURCE_CATEGORIES[self.below(6)],
            },
        )
        self.supplies.append(sid)

    def _demand(self, t: int) -> None:
        rng = self.rng
        did = self.next_id("rd")
        community, street = self.pick(self.scopes)
        self.at(
            t,
            "lianxi.resources.demand_listed",
            did,
            1,
            {
                "demand_id": did,
                "community_id": community,
                "street_id": street,
                "category": words.RESOURCE_CATEGORIES[self.below(6)],
            },
        )
        if rng.random() < 0.65:
            mid = self.next_id("rm")
            self.at(
                t + self.between(HOUR, 10 * DAY),
                "lianxi.resources.matched",
                mid,
                1,
                {
                    "match_id": mid,
                    "demand_id": did,
                    "supply_id": self.pick(self.supplies),
                    "community_id": community,
                    "street_id": street,
                },
            )

    def _ticket(self, t: int) -> None:
        rng = self.rng
        tid = self.next_id("t")
        community, street = self.pick(self.scopes)
        channel = CHANNELS[bisect_right(_CHANNEL_CUM, rng.random() * _CHANNEL_CUM[-1])]
        category = words.TICKET_CATEGORIES[
            bisect_right(_CATEGORY_CUM, rng.random() * _CATEGORY_CUM[-1])
        ]
        park = channel == "enterprise" and rng.random() < 0.3
        self.at(
            t,
            "lianxi.ticket.opened",
            tid,
            1,
            {
                "ticket_id": tid,
                "channel": channel,
                "category": category,
                "community_id": community,
                "street_id": street,
                "grid_id": f"gr-{community[2:]}-{self.between(1, 12):02d}"
                if channel in ("grid_manager", "one_key_call")
                else None,
                "project": "industrial_park" if park else None,
                "reporter_id": None
                if channel in ("enterprise", "joint_meeting")
                else f"r-{self.below(10**6):06d}",
                "description": words.ticket_description(rng, category),
            },
        )
        t += self.between(10 * MINUTE, 4 * HOUR)
        self.at(
            t,
            "lianxi.ticket.assigned",
            tid,
            1,
            {"ticket_id": tid, "assignee_unit_id": self.pick(self.units)},
        )
        t += self.between(HOUR, 2 * DAY)
        self.at(t, "lianxi.ticket.responded", tid, 1, {"ticket_id": tid})
        r = rng.random()
        if r < 0.02:
            return
        t += self.between(4 * HOUR, 12 * DAY)
        self.at(
            t,
            "lianxi.ticket.resolved",
            tid,
            1,
            {"ticket_id": tid, "resolution": self.pick(words.RESOLUTION_TEXT)},
        )
        if r < 0.06:
            t += self.between(DAY, 5 * DAY)
            self.at(
                t,
                "lianxi.ticket.reopened",
                tid,
                1,
                {"ticket_id": tid, "reason": self.pick(words.REOPEN_REASONS)},
            )
            if r < 0.03:
                return
            t += self.between(HOUR, DAY)
            self.at(t, "lianxi.ticket.responded", tid, 2, {"ticket_id": tid})
            t += self.between(4 * HOUR, 5 * DAY)
            self.at(
                t,
                "lianxi.ticket.resolved",
                tid,
                2,
                {"ticket_id": tid, "resolution": self.pick(words.RESOLUTION_TEXT)},
            )
        if rng.random() < 0.8:
            t += self.between(HOUR, 2 * DAY)
            self.at(
                t,
                "lianxi.ticket.rated",
                tid,
                1,
                {"ticket_id": tid, "satisfaction": SATISFACTION[self.below(6)]},
            )
        if rng.random() < 0.9:
            self.at(
                t + self.between(HOUR, 2 * DAY), "lianxi.ticket.closed", tid, 1, {"ticket_id": tid}
            )

    def _meeting(self, t: int) -> None:
        rng = self.rng
        mid = self.next_id("mt")
        community, street = self.pick(self.scopes)
        level = "street" if rng.random() < 0.1 else "community"
        scope = {
            "meeting_id": mid,
            "level": level,
            "street_id": street,
            "community_id": community if level == "community" else None,
        }
        held = t + self.between(3 * DAY, 10 * DAY)
        self.at(t, "lianxi.meeting.scheduled", mid, 1, {**scope, "scheduled_for": _utc(held)})
        if rng.random() < 0.02:
            return
        attending = sorted({self.pick(self.units) for _ in range(self.between(1, 8))})
        self.at(
            held + 2 * HOUR,
            "lianxi.meeting.held",
            mid,
            1,
            {
                **scope,
                "chair_role": f"{level}_secretary",
                "held_at": _utc(held),
                "attending_unit_ids": attending,
                "agenda_items": self.between(1, 6),
            },
        )
        for k in range(1, self.between(1, 3) + 1):
            self.at(
                held + 2 * HOUR + k * MINUTE,
                "lianxi.meeting.resolution_recorded",
                mid,
                k,
                {
                    "meeting_id": mid,
                    "resolution_id": f"{mid}-r{k}",
                    "topic": self.pick(words.MEETING_TOPICS),
                    "ticket_id": None,
                },
            )

    def _assessment(self, t: int) -> None:
        rng = self.rng
        aid = self.next_id("as")
        community, street = self.pick(self.scopes)
        level = "street" if rng.random() < 0.1 else "community"
        year, month = time.gmtime(t)[:2]
        self.at(
            t,
            "lianxi.assessment.quarterly_scored",
            aid,
            1,
            {
                "assessment_id": aid,
                "level": level,
                "street_id": street,
                "community_id": community if level == "community" else None,
                "quarter": f"{year}-Q{(month - 1) // 3 + 1}",
                "score": round(rng.uniform(55, 100), 1),
            },
        )


def _utc(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def generate_load(
    n_events: int, seed: int = 1, start: int | None = None
) -> Iterator[dict[str, Any]]:
    """Exactly `n_events` CloudEvents (source /simulator/load) in time order, deterministic for
    (n_events, seed, start); ids carry the seed, so two seeds never collide downstream."""
    if n_events < 0:
        raise ValueError("n_events must be >= 0")
    if start is None:
        from ingest.simulator.config import SimulatorSettings

        start = SimulatorSettings().load_start_epoch
    load = _Load(seed, start)
    load.structure()
    buckets = load.buckets
    minute = start // 60
    emitted = 0
    while emitted < n_events:
        if minute >= load.clock // 60:
            load.spawn()
            continue
        rows = buckets.pop(minute, None)
        if rows:
            rows.sort()
            prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
            for when, _, event_type, subject, event_id, data in rows:
                yield {
                    "id": event_id,
                    "source": SOURCE,
                    "type": event_type,
                    "specversion": SPECVERSION,
                    "time": f"{prefix}{when % 60:02d}Z",
                    "subject": subject,
                    "dataschema": DATASCHEMA[event_type],
                    "datacontenttype": CONTENT_TYPE,
                    "data": data,
                }
                emitted += 1
                if emitted == n_events:
                    return
        minute += 1
