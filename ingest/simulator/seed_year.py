"""The seed scenario: one deterministic district year whose indicators equal seed.yaml exactly.

Every aggregate is given its fate first (claimed and fulfilled, reopened, missed, ...) and only
then its times, inside windows that keep the whole lifecycle within the year: the headline
figures therefore come out exact for any seed, while the rest of the year varies with it.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ingest.simulator import vocabulary as words
from ingest.simulator.allocation import fill_to_total, split_exact
from ingest.simulator.cloudevent import EventLog, local_epoch, utc_text
from ingest.simulator.district import Community, communities, street_of, streets
from ingest.simulator.figures import expected_figures, load_seed_file
from ingest.simulator.indicators import indicators

MINUTE, HOUR, DAY = 60, 3600, 86400


@dataclass
class Unit:
    unit_id: str
    level: str
    street_id: str
    community_id: str | None
    unit_type: str
    name_zh: str
    party_members: int = 0
    linked_at: int = 0


@dataclass
class Member:
    member_id: str
    kind: str  # in_service | not_in_service | builders_home
    community_id: str
    registered_at: int
    unit_id: str | None


@dataclass
class _ByTime:
    """Items sorted by the time they came into being, to pick one that existed at a moment."""

    times: list[int] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)

    def add(self, at: int, item: Any) -> None:
        self.times.append(at)
        self.items.append(item)

    def seal(self) -> None:
        order = sorted(range(len(self.items)), key=lambda i: self.times[i])
        self.times = [self.times[i] for i in order]
        self.items = [self.items[i] for i in order]

    def before(self, at: int) -> int:
        return bisect_right(self.times, at)

    def pick_or_none(self, rng: random.Random, at: int) -> Any | None:
        n = self.before(at)
        return self.items[rng.randrange(n)] if n else None

    def pick(self, rng: random.Random, at: int) -> Any:
        found = self.pick_or_none(rng, at)
        if found is None:
            # The year's windows make this impossible; if a seed.yaml edit breaks them, say so.
            raise LookupError(
                f"nothing exists yet at {utc_text(at)}: check the windows in seed.yaml"
            )
        return found

    def sample(self, rng: random.Random, at: int, k: int) -> list[Any]:
        n = self.before(at)
        return rng.sample(self.items[:n], min(k, n))


class SeedYear:
    def __init__(self, seed: int, spec: dict[str, Any] | None = None) -> None:
        spec = spec or load_seed_file()
        self.fig = expected_figures()
        self.sc = spec["scenario"]
        self.rng = random.Random(seed)
        self.tz = spec["timezone"]
        self.year = int(spec["year"])
        self.start = local_epoch(self.tz, self.year, 1, 1)
        self.end = local_epoch(self.tz, self.year + 1, 1, 1) - 1
        self.log = EventLog(spec["source"], until=self.end)
        self.streets = streets()
        self.communities = communities()
        self.community_names = {c.community_id: c.name_zh for c in self.communities}
        self.street_communities: dict[str, list[str]] = {}
        for c in self.communities:
            self.street_communities.setdefault(c.street_id, []).append(c.community_id)
        # Units that stay linked all year: the ones meetings, members and tickets refer to.
        self.stable_units = _ByTime()
        self.stable_by_scope: dict[str, _ByTime] = {}
        self.members = _ByTime()
        self.members_by_community: dict[str, _ByTime] = {}
        self.member_units: dict[str, str | None] = {}
        self.ticket_seq = 0

    # time helpers ---------------------------------------------------------------------------
    def day_at(self, day: int, first_hour: int = 8, last_hour: int = 20) -> int:
        """A moment during local working hours of day `day` (0 = 1 January)."""
        return self.start + day * DAY + self.rng.randint(first_hour * HOUR, last_hour * HOUR)

    def in_days(self, first: int, last: int) -> int:
        return self.day_at(self.rng.randint(first, last))

    def date(self, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
        return local_epoch(self.tz, self.year, month, day, hour, minute)

    def emit(self, at: int, event_type: str, subject: str, data: dict[str, Any]) -> bool:
        return self.log.emit(at, event_type, subject, data)

    # the year --------------------------------------------------------------------------------
    def build(self) -> list[dict[str, Any]]:
        self._org()
        self._building_groups()
        self._members()
        self._check_ins()
        self._meetings()
        self._wishes()
        self._volunteering()
        self._resources()
        self._tickets()
        self._assessments()
        return self.log.events()

    def _org(self) -> None:
        t0 = self.date(1, 1, 8)
        for i, s in enumerate(self.streets):
            self.emit(
                t0 + i * MINUTE,
                "lianxi.org.street_registered",
                s.street_id,
                {"street_id": s.street_id, "name_zh": s.name_zh},
            )
        for i, c in enumerate(self.communities):
            self.emit(
                t0 + HOUR + i * MINUTE,
                "lianxi.org.community_registered",
                c.community_id,
                {"community_id": c.community_id, "street_id": c.street_id, "name_zh": c.name_zh},
            )

        org = self.sc["org"]
        rng = self.rng
        units: list[Unit] = []
        per_street = int(org["street_level_units_per_street"])
        park_street = street_of(self.sc["projects"]["industrial_park_communities"][0])
        for s in self.streets:
            for _ in range(per_street):
                kind = rng.choices(words.UNIT_TYPES, words.STREET_UNIT_TYPE_WEIGHTS)[0]
                units.append(
                    Unit(
                        "",
                        "street",
                        s.street_id,
                        None,
                        kind,
                        words.unit_name(rng, kind, len(units) + 1),
                    )
                )
        community_total = self.fig["units_linked"] - len(units)
        shares = split_exact(community_total, [rng.uniform(0.6, 1.4) for _ in self.communities])
        for c, n in zip(self.communities, shares, strict=True):
            for _ in range(n):
                units.append(self._community_unit(c, len(units) + 1))
        # The two project units of the article replace an ordinary unit of their scope.
        park = next(u for u in units if u.level == "street" and u.street_id == park_street)
        park.unit_type, park.name_zh = "social_org", words.INDUSTRIAL_PARK_UNIT_NAME
        home_community = self.sc["projects"]["builders_home_community"]
        home = next(u for u in units if u.community_id == home_community)
        home.unit_type, home.name_zh = "state_enterprise", words.BUILDERS_HOME_UNIT_NAME

        weight = {
            "government": 60,
            "state_enterprise": 80,
            "private_enterprise": 22,
            "school": 45,
            "hospital": 70,
            "social_org": 8,
            "other": 12,
        }
        members = split_exact(
            self.fig["party_members_linked"],
            [weight[u.unit_type] * rng.uniform(0.4, 1.6) for u in units],
        )
        for u, n in zip(units, members, strict=True):
            u.party_members = n
        gone: list[Unit] = []
        for _ in range(int(org["units_unlinked_for_good"])):
            unit = self._community_unit(rng.choice(self.communities), len(units) + len(gone) + 1)
            unit.party_members = rng.randint(3, 40)
            gone.append(unit)
        everyone = units + gone
        rng.shuffle(everyone)
        for i, u in enumerate(everyone, 1):
            u.unit_id = f"u-{i:04d}"
            u.linked_at = self.in_days(1, 58)
        self.park_unit, self.home_unit = park, home

        special = {park.unit_id, home.unit_id}
        relinked = set(
            rng.sample(
                [u.unit_id for u in units if u.unit_id not in special], int(org["units_relinked"])
            )
        )
        for u in sorted(everyone, key=lambda u: u.linked_at):
            self.emit(u.linked_at, "lianxi.org.unit_linked", u.unit_id, self._linked(u))
            if u in gone or u.unit_id in relinked:
                continue
            self.stable_units.add(u.linked_at, u)
            self.stable_by_scope.setdefault(u.street_id, _ByTime()).add(u.linked_at, u)
            if u.community_id:
                self.stable_by_scope.setdefault(u.community_id, _ByTime()).add(u.linked_at, u)
        for u in gone:
            self.emit(
                self.in_days(90, 330),
                "lianxi.org.unit_unlinked",
                u.unit_id,
                self._unlinked(u, rng.choice(words.UNLINK_REASONS)),
            )
        for u in (u for u in units if u.unit_id in relinked):
            away = self.in_days(60, 180)
            self.emit(
                away,
                "lianxi.org.unit_unlinked",
                u.unit_id,
                self._unlinked(u, rng.choice(words.UNLINK_REASONS)),
            )
            # Same party_members on return: the unit's membership did not change while away.
            self.emit(
                away + rng.randint(30, 120) * DAY,
                "lianxi.org.unit_linked",
                u.unit_id,
                self._linked(u),
            )
        for scope in (self.stable_units, *self.stable_by_scope.values()):
            scope.seal()

    def _community_unit(self, c: Community, number: int) -> Unit:
        """A community-level unit of a drawn kind, named by its number (no id yet)."""
        kind = self.rng.choices(words.UNIT_TYPES, words.COMMUNITY_UNIT_TYPE_WEIGHTS)[0]
        return Unit(
            "",
            "community",
            c.street_id,
            c.community_id,
            kind,
            words.unit_name(self.rng, kind, number),
        )

    @staticmethod
    def _linked(u: Unit) -> dict[str, Any]:
        return {
            "unit_id": u.unit_id,
            "name_zh": u.name_zh,
            "unit_type": u.unit_type,
            "level": u.level,
            "street_id": u.street_id,
            "community_id": u.community_id,
            "party_members": u.party_members,
        }

    @staticmethod
    def _unlinked(u: Unit, reason: str) -> dict[str, Any]:
        return {
            "unit_id": u.unit_id,
            "level": u.level,
            "street_id": u.street_id,
            "community_id": u.community_id,
            "reason": reason,
        }

    def _building_groups(self) -> None:
        rng = self.rng
        shares = split_exact(
            self.fig["building_party_groups"], [rng.uniform(0.5, 1.5) for _ in self.communities]
        )
        n = 0
        for c, k in zip(self.communities, shares, strict=True):
            for _ in range(k):
                n += 1
                gid = f"bg-{n:04d}"
                self.emit(
                    self.in_days(4, 180),
                    "lianxi.org.building_group_formed",
                    gid,
                    {
                        "group_id": gid,
                        "community_id": c.community_id,
                        "street_id": c.street_id,
                        "building": words.building_name(rng, c.name_zh),
                        "members": rng.randint(3, 15),
                    },
                )

    def _members(self) -> None:
        rng, sc = self.rng, self.sc["members"]
        kinds = (
            ["in_service"] * self.fig["in_service_members_registered"]
            + ["not_in_service"] * int(sc["not_in_service"])
            + ["builders_home"] * self.fig["builders_home_members"]
        )
        rng.shuffle(kinds)
        community_ids = [c.community_id for c in self.communities]
        community_weights = [rng.uniform(0.5, 1.5) for _ in community_ids]
        home = self.sc["projects"]["builders_home_community"]
        roster: list[Member] = []
        for i, kind in enumerate(kinds, 1):
            if kind == "builders_home":
                at = self.in_days(59, 242)
                roster.append(Member(f"m-{i:05d}", kind, home, at, self.home_unit.unit_id))
                continue
            # Most members report in the first months after the campaign starts.
            at = self.day_at(5 + int(rng.betavariate(1.2, 2.5) * 325))
            community = rng.choices(community_ids, community_weights)[0]
            unit = self.stable_units.pick_or_none(rng, at) if kind == "in_service" else None
            roster.append(Member(f"m-{i:05d}", kind, community, at, unit.unit_id if unit else None))
        movers = rng.sample(
            [m for m in roster if m.kind == "in_service" and m.registered_at < self.date(9, 1)],
            int(sc["moved_community"]),
        )
        moved = {m.member_id for m in movers}
        for m in roster:
            self.emit(m.registered_at, "lianxi.member.registered", m.member_id, self._registered(m))
            self.members.add(m.registered_at, m)
            self.member_units[m.member_id] = m.unit_id
            if m.member_id not in moved:
                self.members_by_community.setdefault(m.community_id, _ByTime()).add(
                    m.registered_at, m
                )
        for m in movers:
            m.community_id = rng.choice([c for c in community_ids if c != m.community_id])
            m.registered_at += rng.randint(30, 90) * DAY
            self.emit(m.registered_at, "lianxi.member.registered", m.member_id, self._registered(m))
            self.members_by_community.setdefault(m.community_id, _ByTime()).add(m.registered_at, m)
        self.members.seal()
        for scope in self.members_by_community.values():
            scope.seal()

    @staticmethod
    def _registered(m: Member) -> dict[str, Any]:
        return {
            "member_id": m.member_id,
            "community_id": m.community_id,
            "street_id": street_of(m.community_id),
            "in_service": m.kind != "not_in_service",
            "unit_id": m.unit_id,
            "project": "builders_home" if m.kind == "builders_home" else None,
        }

    def _check_ins(self) -> None:
        rng, sc = self.rng, self.sc["members"]
        activities = []
        for c in self.communities:
            for month in range(1, 13):
                for k in range(1, int(sc["activities_per_community_month"]) + 1):
                    at = self.date(month, rng.randint(1, 28), rng.randint(9, 15))
                    activities.append((f"act-{c.community_id}-{month:02d}-{k}", c.community_id, at))
        per_activity = split_exact(
            int(sc["check_ins"]), [rng.uniform(0.2, 1.8) for _ in activities]
        )
        for (activity, community, at), n in zip(activities, per_activity, strict=True):
            pool = self.members_by_community.get(community)
            for m in pool.sample(rng, at, n) if pool else []:
                self.emit(
                    at + rng.randint(0, 90) * MINUTE,
                    "lianxi.member.checked_in",
                    m.member_id,
                    {
                        "member_id": m.member_id,
                        "activity_id": activity,
                        "community_id": community,
                        "street_id": street_of(community),
                    },
                )

    def _meetings(self) -> None:
        rng, sc = self.rng, self.sc["meetings"]
        street_slots = [(s.street_id, q) for s in self.streets for q in range(1, 5)]
        community_slots = [(c.community_id, m) for c in self.communities for m in range(1, 13)]
        missed = set(rng.sample(street_slots, int(sc["missed_street"])))
        missed |= set(rng.sample(community_slots, int(sc["missed_community"])))
        # Late ones are taken from before December so even a late meeting falls inside the year.
        late = set(
            rng.sample(
                [x for x in street_slots if x not in missed and x[1] < 4], int(sc["late_street"])
            )
        )
        late |= set(
            rng.sample(
                [x for x in community_slots if x not in missed and x[1] < 12],
                int(sc["late_community"]),
            )
        )
        for street, q in street_slots:
            planned = self.date(3 * q - 1, rng.randint(8, 22), 9, 30)
            self._meeting(
                f"mt-{street}-{self.year}Q{q}",
                "street",
                street,
                None,
                planned,
                (street, q) in missed,
                (street, q) in late,
            )
        for community, month in community_slots:
            planned = self.date(month, rng.randint(10, 25), 14, 30)
            self._meeting(
                f"mt-{community}-{self.year}-{month:02d}",
                "community",
                street_of(community),
                community,
                planned,
                (community, month) in missed,
                (community, month) in late,
            )

    def _meeting(
        self,
        meeting_id: str,
        level: str,
        street: str,
        community: str | None,
        planned: int,
        missed: bool,
        late: bool,
    ) -> None:
        rng = self.rng
        scope = {
            "meeting_id": meeting_id,
            "level": level,
            "street_id": street,
            "community_id": community,
        }
        self.emit(
            planned - 7 * DAY,
            "lianxi.meeting.scheduled",
            meeting_id,
            {**scope, "scheduled_for": utc_text(planned)},
        )
        if missed:
            return
        held = planned + (rng.randint(3, 12) * DAY if late else 0)
        units = self.stable_by_scope.get(community or street)
        attending = (
            [u.unit_id for u in units.sample(rng, held, rng.randint(3, 10))] if units else []
        )
        self.emit(
            held + 2 * HOUR,
            "lianxi.meeting.held",
            meeting_id,
            {
                **scope,
                "chair_role": f"{level}_secretary",
                "held_at": utc_text(held),
                "attending_unit_ids": sorted(attending),
                "agenda_items": rng.randint(2, 6),
            },
        )
        for k in range(1, rng.randint(1, 3) + 1):
            at = held + 2 * HOUR + k * 5 * MINUTE
            ticket = None
            if rng.random() < float(self.sc["meetings"]["resolution_ticket_share"]):
                ticket = self._next_ticket_id("t-jm")
            topic = rng.choice(words.MEETING_TOPICS)
            self.emit(
                at,
                "lianxi.meeting.resolution_recorded",
                meeting_id,
                {
                    "meeting_id": meeting_id,
                    "resolution_id": f"{meeting_id}-r{k}",
                    "topic": topic,
                    "ticket_id": ticket,
                },
            )
            if ticket:
                where = community or rng.choice(self.street_communities[street])
                category = rng.choices(words.TICKET_CATEGORIES, words.TICKET_CATEGORY_WEIGHTS)[0]
                self._ticket(
                    ticket,
                    at + 30 * MINUTE,
                    where,
                    "joint_meeting",
                    category,
                    None,
                    self._outcome(),
                    reporter=None,
                    description=topic,
                )

    def _wishes(self) -> None:
        rng, sc = self.rng, self.sc["wishes"]
        claimed = self.fig["micro_wishes_claimed"]
        fulfilled, dropped = int(sc["fulfilled"]), int(sc["cancelled_after_claim"])
        unclaimed_cancelled = int(sc["cancelled_unclaimed"])
        fates = (
            ["fulfilled"] * fulfilled
            + ["claimed_cancelled"] * dropped
            + ["in_progress"] * (claimed - fulfilled - dropped)
            + ["cancelled"] * unclaimed_cancelled
            + ["open"] * (int(sc["posted"]) - claimed - unclaimed_cancelled)
        )
        rng.shuffle(fates)
        categories = words.WISH_CATEGORIES
        community_ids = [c.community_id for c in self.communities]
        for i, fate in enumerate(fates, 1):
            wid = f"w-{i:05d}"
            community = rng.choice(community_ids)
            first, last = {
                "fulfilled": (20, 330),
                "claimed_cancelled": (20, 330),
                "in_progress": (300, 355),
                "cancelled": (20, 340),
                "open": (200, 364),
            }[fate]
            at = self.in_days(first, last)
            self.emit(
                at,
                "lianxi.wish.posted",
                wid,
                {
                    "wish_id": wid,
                    "community_id": community,
                    "street_id": street_of(community),
                    "category": rng.choices(categories, (30, 25, 10, 10, 10, 8, 7))[0],
                    "resident_id": f"r-{rng.randint(1, 999999):06d}",
                },
            )
            if fate == "cancelled":
                self.emit(
                    at + rng.randint(5, 20) * DAY,
                    "lianxi.wish.cancelled",
                    wid,
                    {"wish_id": wid, "reason": rng.choice(words.WISH_CANCEL_REASONS)},
                )
            if fate in ("open", "cancelled"):
                continue
            at += rng.randint(HOUR, 7 * DAY)
            member = self.members.pick(rng, at)
            self.emit(
                at,
                "lianxi.wish.claimed",
                wid,
                {"wish_id": wid, "member_id": member.member_id, "unit_id": member.unit_id},
            )
            if fate == "fulfilled":
                self.emit(
                    at + rng.randint(DAY, 20 * DAY),
                    "lianxi.wish.fulfilled",
                    wid,
                    {"wish_id": wid, "member_id": member.member_id},
                )
            elif fate == "claimed_cancelled":
                self.emit(
                    at + rng.randint(DAY, 10 * DAY),
                    "lianxi.wish.cancelled",
                    wid,
                    {"wish_id": wid, "reason": rng.choice(words.WISH_CANCEL_REASONS)},
                )

    def _volunteering(self) -> None:
        rng, sc = self.rng, self.sc["volunteer"]
        posts = int(sc["posts"])
        slots = [rng.randint(1, int(sc["max_slots"])) for _ in range(posts)]
        claims = fill_to_total(
            rng, [rng.randint(0, s) for s in slots], slots, self.fig["volunteer_posts_claimed"]
        )
        categories = words.POST_CATEGORIES
        community_ids = [c.community_id for c in self.communities]
        no_hours = float(sc["claims_without_hours"])
        for i, (n_slots, n_claims) in enumerate(zip(slots, claims, strict=True), 1):
            pid = f"vp-{i:05d}"
            community = rng.choice(community_ids)
            published = self.in_days(12, 320)
            self.emit(
                published,
                "lianxi.volunteer.post_published",
                pid,
                {
                    "post_id": pid,
                    "community_id": community,
                    "street_id": street_of(community),
                    "category": rng.choice(categories),
                    "slots": n_slots,
                },
            )
            taken: set[str] = set()
            while len(taken) < n_claims:
                at = published + rng.randint(2 * HOUR, 10 * DAY)
                member = self.members.pick(rng, at)
                if member.member_id in taken:
                    continue
                taken.add(member.member_id)
                self.emit(
                    at,
                    "lianxi.volunteer.post_claimed",
                    pid,
                    {"post_id": pid, "member_id": member.member_id},
                )
                if rng.random() < no_hours:
                    continue
                for _ in range(rng.randint(1, 3)):
                    self.emit(
                        at + rng.randint(DAY, 30 * DAY),
                        "lianxi.volunteer.hours_logged",
                        pid,
                        {
                            "post_id": pid,
                            "member_id": member.member_id,
                            "hours": rng.choice((1, 1.5, 2, 2.5, 3, 4, 6, 8)),
                        },
                    )

    def _resources(self) -> None:
        rng, sc = self.rng, self.sc["resources"]
        categories = words.RESOURCE_CATEGORIES
        community_ids = [c.community_id for c in self.communities]
        demands = []
        for i in range(1, int(sc["demands"]) + 1):
            did, community, category = (
                f"rd-{i:04d}",
                rng.choice(community_ids),
                rng.choice(categories),
            )
            at = self.in_days(15, 340)
            demands.append((did, community, category, at))
            self.emit(
                at,
                "lianxi.resources.demand_listed",
                did,
                {
                    "demand_id": did,
                    "community_id": community,
                    "street_id": street_of(community),
                    "category": category,
                },
            )
        supplies: dict[str, list[tuple[str, int]]] = {}
        for i in range(1, int(sc["supplies"]) + 1):
            sid, category = f"rs-{i:04d}", rng.choice(categories)
            at = self.in_days(15, 300)
            unit = self.stable_units.pick(rng, at)
            community = unit.community_id or rng.choice(self.street_communities[unit.street_id])
            supplies.setdefault(category, []).append((sid, at))
            self.emit(
                at,
                "lianxi.resources.supply_listed",
                sid,
                {
                    "supply_id": sid,
                    "unit_id": unit.unit_id,
                    "community_id": community,
                    "street_id": street_of(community),
                    "category": category,
                },
            )
        every_supply = [s for group in supplies.values() for s in group]
        for i, (did, community, category, at) in enumerate(
            rng.sample(demands, int(sc["matches"])), 1
        ):
            sid, listed = rng.choice(supplies.get(category) or every_supply)
            mid = f"rm-{i:04d}"
            self.emit(
                max(at, listed) + rng.randint(HOUR, 15 * DAY),
                "lianxi.resources.matched",
                mid,
                {
                    "match_id": mid,
                    "demand_id": did,
                    "supply_id": sid,
                    "community_id": community,
                    "street_id": street_of(community),
                },
            )

    def _tickets(self) -> None:
        rng, sc = self.rng, self.sc["tickets"]
        channels = ("hotline", "grid_manager", "one_key_call", "enterprise", "walk_in")
        community_ids = [c.community_id for c in self.communities]
        for _ in range(int(sc["general"])):
            community = rng.choice(community_ids)
            # 渭阳西路 (s-02) fitted one-key call devices for lonely elders: more calls there.
            weights = (42, 26, 21 if street_of(community) == "s-02" else 7, 6, 19)
            channel = rng.choices(channels, weights)[0]
            category = rng.choices(words.TICKET_CATEGORIES, words.TICKET_CATEGORY_WEIGHTS)[0]
            if channel == "enterprise":
                category = "enterprise_service"
            grid = (
                f"gr-{community[2:]}-{rng.randint(1, 12):02d}"
                if channel in ("grid_manager", "one_key_call")
                else None
            )
            reporter = (
                None
                if channel == "enterprise" or rng.random() < 0.1
                else f"r-{rng.randint(1, 999999):06d}"
            )
            self._ticket(
                self._next_ticket_id("t"),
                self.in_days(3, 364),
                community,
                channel,
                category,
                grid,
                self._outcome(),
                reporter=reporter,
            )
        park = sc["industrial_park"]
        fates = (
            ["solved"]
            * (self.fig["industrial_park_problems_solved"] - int(park["reopened_then_resolved"]))
            + ["reopened"] * int(park["reopened_then_resolved"])
            + ["stuck"] * int(park["still_open"])
            + ["reopened_open"] * int(park["reopened_at_year_end"])
        )
        rng.shuffle(fates)
        for i, fate in enumerate(fates, 1):
            community = rng.choice(self.sc["projects"]["industrial_park_communities"])
            category = rng.choices(
                ("enterprise_service", "environment", "public_safety"), (60, 25, 15)
            )[0]
            channel = "enterprise" if rng.random() < 0.8 else "hotline"
            self._ticket(
                f"t-ip-{i:03d}",
                self.in_days(30, 300),
                community,
                channel,
                category,
                None,
                fate,
                reporter=None,
                project="industrial_park",
                assignee=self.park_unit.unit_id,
            )

    def _next_ticket_id(self, prefix: str) -> str:
        self.ticket_seq += 1
        return f"{prefix}-{self.ticket_seq:05d}"

    def _outcome(self) -> str:
        r, sc = self.rng.random(), self.sc["tickets"]
        if r < float(sc["stuck_share"]):
            return "stuck"
        if r < float(sc["stuck_share"]) + float(sc["reopened_share"]):
            return "reopened"
        return "solved"

    def _ticket(
        self,
        tid: str,
        at: int,
        community: str,
        channel: str,
        category: str,
        grid: str | None,
        fate: str,
        *,
        reporter: str | None,
        project: str | None = None,
        assignee: str | None = None,
        description: str | None = None,
    ) -> None:
        """One ticket's lifecycle; events past the year end are dropped, so late tickets stay open."""
        rng = self.rng
        street = street_of(community)
        self.emit(
            at,
            "lianxi.ticket.opened",
            tid,
            {
                "ticket_id": tid,
                "channel": channel,
                "category": category,
                "community_id": community,
                "street_id": street,
                "grid_id": grid,
                "project": project,
                "reporter_id": reporter,
                "description": description or words.ticket_description(rng, category),
            },
        )
        at += rng.randint(10 * MINUTE, 4 * HOUR)
        if assignee is None:
            scope = self.stable_by_scope.get(street)
            unit = (scope.pick_or_none(rng, at) if scope else None) or self.stable_units.pick(
                rng, at
            )
            assignee = unit.unit_id
        self.emit(
            at, "lianxi.ticket.assigned", tid, {"ticket_id": tid, "assignee_unit_id": assignee}
        )
        at += rng.randint(HOUR, 2 * DAY)
        self.emit(at, "lianxi.ticket.responded", tid, {"ticket_id": tid})
        if fate == "stuck":
            return
        at += rng.randint(4 * HOUR, 15 * DAY)
        self._resolved(tid, at)
        if fate in ("reopened", "reopened_open"):
            at += rng.randint(2 * DAY, 10 * DAY)
            self.emit(
                at,
                "lianxi.ticket.reopened",
                tid,
                {"ticket_id": tid, "reason": rng.choice(words.REOPEN_REASONS)},
            )
            if fate == "reopened_open":
                return
            at += rng.randint(HOUR, 2 * DAY)
            self.emit(at, "lianxi.ticket.responded", tid, {"ticket_id": tid})
            at += rng.randint(4 * HOUR, 10 * DAY)
            self._resolved(tid, at)
        if rng.random() < float(self.sc["tickets"]["rated_share"]):
            at += rng.randint(HOUR, 3 * DAY)
            weights = (50, 30, 20) if fate == "reopened" else (70, 22, 8)
            satisfaction = rng.choices(
                ("satisfied", "basically_satisfied", "unsatisfied"), weights
            )[0]
            self.emit(
                at, "lianxi.ticket.rated", tid, {"ticket_id": tid, "satisfaction": satisfaction}
            )
        if rng.random() < 0.9:
            self.emit(
                at + rng.randint(DAY, 3 * DAY), "lianxi.ticket.closed", tid, {"ticket_id": tid}
            )

    def _resolved(self, tid: str, at: int) -> None:
        resolution = self.rng.choice(words.RESOLUTION_TEXT)
        self.emit(at, "lianxi.ticket.resolved", tid, {"ticket_id": tid, "resolution": resolution})

    def _assessments(self) -> None:
        rng = self.rng
        scopes: list[tuple[str, str, str | None]] = [
            ("street", s.street_id, None) for s in self.streets
        ]
        scopes += [("community", c.street_id, c.community_id) for c in self.communities]
        for q in range(1, 5):
            for level, street, community in scopes:
                scope = community or street
                aid = f"as-{scope}-{self.year}Q{q}"
                score = round(min(100.0, max(55.0, rng.gauss(85, 6))), 1)
                self.emit(
                    self.date(3 * q, rng.randint(24, 30), rng.randint(9, 17)),
                    "lianxi.assessment.quarterly_scored",
                    aid,
                    {
                        "assessment_id": aid,
                        "level": level,
                        "street_id": street,
                        "community_id": community,
                        "quarter": f"{self.year}-Q{q}",
                        "score": score,
                    },
                )
        for level, street, community in scopes:
            rid = f"rv-{community or street}-{self.year}"
            rating = rng.choices(("excellent", "good", "fair", "poor"), (25, 50, 20, 5))[0]
            self.emit(
                self.date(12, rng.randint(15, 28), rng.randint(9, 17)),
                "lianxi.assessment.secretary_reviewed",
                rid,
                {
                    "review_id": rid,
                    "level": level,
                    "street_id": street,
                    "community_id": community,
                    "year": self.year,
                    "rating": rating,
                },
            )


def default_seed() -> int:
    from ingest.simulator.config import SimulatorSettings

    configured = SimulatorSettings().seed
    return int(load_seed_file()["default_seed"]) if configured is None else configured


def seed_events(seed: int | None = None) -> list[dict[str, Any]]:
    """The whole seed year, in publication order (time order; each aggregate's events in order)."""
    return SeedYear(default_seed() if seed is None else seed).build()


@cache
def _summary(seed: int) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int | float], ...]]:
    events = seed_events(seed)
    counts = tuple(sorted(Counter(e["type"] for e in events).items()))
    return counts, tuple(indicators(events).items())


def expected_indicators(seed: int | None = None) -> dict[str, int | float]:
    """Secondary indicators of the seed year (definitions in ingest.simulator.indicators)."""
    return dict(_summary(default_seed() if seed is None else seed)[1])


def expected_counts(seed: int | None = None) -> dict[str, int]:
    """How many events of each type the seed scenario publishes (for this seed)."""
    return dict(_summary(default_seed() if seed is None else seed)[0])
