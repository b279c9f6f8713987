"""A small, hand-written district whose marts values are known in advance.

Two streets, three communities, a handful of units, members, wishes, volunteer posts,
resources, tickets, meetings and assessments; every number the tests assert is derived in
the comments next to the events. Built as CloudEvents so it goes through the same contracts
and row mapping as real traffic. Reports are computed as of AS_OF (mid-June 2026, Shanghai).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SOURCE = "/tests/dbt"
AS_OF = "2026-06-15T00:00:00Z"
_ids: dict[str, int] = {}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def event(
    event_type: str,
    subject: str,
    moment: datetime | str,
    data: dict[str, Any],
    source: str = SOURCE,
) -> dict[str, Any]:
    moment = at(moment) if isinstance(moment, str) else moment
    _ids[event_type] = _ids.get(event_type, 0) + 1
    return {
        "id": f"{event_type.split('.', 1)[1]}-{subject}-{_ids[event_type]}",
        "source": source,
        "type": event_type,
        "specversion": "1.0",
        "time": iso(moment),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


def _org() -> list[dict[str, Any]]:
    t0 = at("2026-01-05T01:00:00Z")
    ev = [
        event(
            "lianxi.org.street_registered",
            "s-01",
            t0,
            {"street_id": "s-01", "name_zh": "西兰路街道"},
        ),
        event(
            "lianxi.org.street_registered",
            "s-02",
            t0,
            {"street_id": "s-02", "name_zh": "渭阳西路街道"},
        ),
    ]
    for cid, sid, name in (
        ("c-01-01", "s-01", "西兰路第一社区"),
        ("c-01-02", "s-01", "西兰路第二社区"),
        ("c-02-01", "s-02", "渭阳西路第一社区"),
    ):
        ev.append(
            event(
                "lianxi.org.community_registered",
                cid,
                t0 + timedelta(minutes=5),
                {"community_id": cid, "street_id": sid, "name_zh": name},
            )
        )

    def linked(
        uid: str, level: str, members: int, moment: str, community: str | None = "c-01-01"
    ) -> dict:
        return event(
            "lianxi.org.unit_linked",
            uid,
            moment,
            {
                "unit_id": uid,
                "name_zh": f"单位{uid}",
                "unit_type": "state_enterprise",
                "level": level,
                "street_id": "s-01",
                "community_id": community if level == "community" else None,
                "party_members": members,
            },
        )

    def unlinked(uid: str, level: str, moment: str) -> dict:
        return event(
            "lianxi.org.unit_unlinked",
            uid,
            moment,
            {
                "unit_id": uid,
                "level": level,
                "street_id": "s-01",
                "community_id": "c-01-01" if level == "community" else None,
                "reason": "moved",
            },
        )

    # Linked now: u-1 (30), u-2 (50, street level), u-4 (10, relinked) -> 3 units, 90 members.
    ev += [
        linked("u-1", "community", 30, "2026-01-10T02:00:00Z"),
        linked("u-2", "street", 50, "2026-01-10T03:00:00Z"),
        linked("u-3", "community", 20, "2026-01-11T02:00:00Z"),
        unlinked("u-3", "community", "2026-02-11T02:00:00Z"),
        linked("u-4", "community", 10, "2026-01-12T02:00:00Z"),
        unlinked("u-4", "community", "2026-02-12T02:00:00Z"),
        linked("u-4", "community", 10, "2026-03-12T02:00:00Z"),
    ]
    # Two building party groups.
    for gid, building in (("g-1", "1号楼"), ("g-2", "2号楼")):
        ev.append(
            event(
                "lianxi.org.building_group_formed",
                gid,
                "2026-01-20T02:00:00Z",
                {
                    "group_id": gid,
                    "community_id": "c-01-01",
                    "street_id": "s-01",
                    "building": building,
                    "members": 5,
                },
            )
        )
    return ev


def _members() -> list[dict[str, Any]]:
    def registered(
        mid: str, cid: str, in_service: bool, moment: str, project: str | None = None
    ) -> dict:
        return event(
            "lianxi.member.registered",
            mid,
            moment,
            {
                "member_id": mid,
                "community_id": cid,
                "street_id": "s-0" + cid[3],
                "in_service": in_service,
                "unit_id": "u-1",
                "project": project,
            },
        )

    # In service, no project: m-1 (registered twice, counts once), m-2 -> 2. Builders' home: m-4 -> 1.
    ev = [
        registered("m-1", "c-01-01", True, "2026-01-15T02:00:00Z"),
        registered("m-1", "c-01-02", True, "2026-02-15T02:00:00Z"),
        registered("m-2", "c-02-01", True, "2026-01-16T02:00:00Z"),
        registered("m-3", "c-01-01", False, "2026-01-17T02:00:00Z"),
        registered("m-4", "c-01-01", True, "2026-01-18T02:00:00Z", project="builders_home"),
    ]
    # Three check-ins.
    for i, mid in enumerate(("m-1", "m-2", "m-3")):
        ev.append(
            event(
                "lianxi.member.checked_in",
                mid,
                f"2026-03-0{i + 1}T02:00:00Z",
                {
                    "member_id": mid,
                    "activity_id": "a-1",
                    "community_id": "c-01-01",
                    "street_id": "s-01",
                },
            )
        )
    return ev


def _wishes() -> list[dict[str, Any]]:
    def posted(wid: str, moment: str) -> dict:
        return event(
            "lianxi.wish.posted",
            wid,
            moment,
            {
                "wish_id": wid,
                "community_id": "c-01-01",
                "street_id": "s-01",
                "category": "elderly_care",
                "resident_id": "r-1",
            },
        )

    # Posted 4, claimed 2 (w-1, w-2), fulfilled 1 (w-1), cancelled 1 (w-3).
    return [
        posted("w-1", "2026-03-01T02:00:00Z"),
        event(
            "lianxi.wish.claimed",
            "w-1",
            "2026-03-01T08:00:00Z",
            {"wish_id": "w-1", "member_id": "m-1", "unit_id": None},
        ),
        event(
            "lianxi.wish.fulfilled",
            "w-1",
            "2026-03-03T02:00:00Z",
            {"wish_id": "w-1", "member_id": "m-1"},
        ),
        posted("w-2", "2026-03-02T02:00:00Z"),
        event(
            "lianxi.wish.claimed",
            "w-2",
            "2026-03-02T14:00:00Z",
            {"wish_id": "w-2", "member_id": "m-2", "unit_id": "u-1"},
        ),
        posted("w-3", "2026-03-03T02:00:00Z"),
        event(
            "lianxi.wish.cancelled",
            "w-3",
            "2026-03-04T02:00:00Z",
            {"wish_id": "w-3", "reason": "resolved elsewhere"},
        ),
        posted("w-4", "2026-03-04T02:00:00Z"),
    ]


def _volunteering() -> list[dict[str, Any]]:
    def published(pid: str, cid: str) -> dict:
        return event(
            "lianxi.volunteer.post_published",
            pid,
            "2026-04-01T02:00:00Z",
            {
                "post_id": pid,
                "community_id": cid,
                "street_id": "s-0" + cid[3],
                "category": "environment",
                "slots": 3,
            },
        )

    # Claims 3 (p-1/m-1, p-1/m-2, p-2/m-3); hours 2.5 + 1.5 + 3 = 7.
    return [
        published("p-1", "c-01-01"),
        published("p-2", "c-02-01"),
        event(
            "lianxi.volunteer.post_claimed",
            "p-1",
            "2026-04-02T02:00:00Z",
            {"post_id": "p-1", "member_id": "m-1"},
        ),
        event(
            "lianxi.volunteer.post_claimed",
            "p-1",
            "2026-04-02T03:00:00Z",
            {"post_id": "p-1", "member_id": "m-2"},
        ),
        event(
            "lianxi.volunteer.post_claimed",
            "p-2",
            "2026-04-02T04:00:00Z",
            {"post_id": "p-2", "member_id": "m-3"},
        ),
        event(
            "lianxi.volunteer.hours_logged",
            "p-1",
            "2026-04-03T02:00:00Z",
            {"post_id": "p-1", "member_id": "m-1", "hours": 2.5},
        ),
        event(
            "lianxi.volunteer.hours_logged",
            "p-1",
            "2026-04-04T02:00:00Z",
            {"post_id": "p-1", "member_id": "m-1", "hours": 1.5},
        ),
        event(
            "lianxi.volunteer.hours_logged",
            "p-2",
            "2026-04-03T02:00:00Z",
            {"post_id": "p-2", "member_id": "m-3", "hours": 3},
        ),
    ]


def _resources() -> list[dict[str, Any]]:
    # One match (d-1 with sp-1); d-2 stays open.
    return [
        event(
            "lianxi.resources.demand_listed",
            "d-1",
            "2026-04-05T02:00:00Z",
            {
                "demand_id": "d-1",
                "community_id": "c-01-01",
                "street_id": "s-01",
                "category": "venue",
            },
        ),
        event(
            "lianxi.resources.demand_listed",
            "d-2",
            "2026-04-05T03:00:00Z",
            {
                "demand_id": "d-2",
                "community_id": "c-02-01",
                "street_id": "s-02",
                "category": "funding",
            },
        ),
        event(
            "lianxi.resources.supply_listed",
            "sp-1",
            "2026-04-05T04:00:00Z",
            {
                "supply_id": "sp-1",
                "unit_id": "u-1",
                "community_id": "c-01-01",
                "street_id": "s-01",
                "category": "venue",
            },
        ),
        event(
            "lianxi.resources.matched",
            "mt-1",
            "2026-04-06T02:00:00Z",
            {
                "match_id": "mt-1",
                "demand_id": "d-1",
                "supply_id": "sp-1",
                "community_id": "c-01-01",
                "street_id": "s-01",
            },
        ),
    ]


def ticket_opened(
    tid: str,
    moment: datetime | str,
    channel: str,
    project: str | None = None,
    *,
    category: str = "road_traffic",
    community_id: str = "c-01-01",
    street_id: str = "s-01",
    description: str = "路口缺少护栏",
) -> dict[str, Any]:
    """A ticket opened in a community (by default one of s-01's, as the scenario's own)."""
    return event(
        "lianxi.ticket.opened",
        tid,
        moment,
        {
            "ticket_id": tid,
            "channel": channel,
            "category": category,
            "community_id": community_id,
            "street_id": street_id,
            "grid_id": None,
            "project": project,
            "reporter_id": None,
            "description": description,
        },
    )


def _tickets() -> list[dict[str, Any]]:
    opened = ticket_opened

    def step(name: str, tid: str, moment: datetime, **data: Any) -> dict:
        return event(f"lianxi.ticket.{name}", tid, moment, {"ticket_id": tid, **data})

    h = timedelta(hours=1)
    t1, t2, t3, t4, t5 = (
        at("2026-02-01T02:00:00Z"),
        at("2026-02-05T02:00:00Z"),
        at("2026-02-10T02:00:00Z"),
        at("2026-02-20T02:00:00Z"),
        at("2026-07-02T01:00:00Z"),
    )
    return [
        # t-1: responded after 2 h, solved after 10 h, satisfied.
        opened("t-1", t1, "hotline"),
        step("assigned", "t-1", t1 + h, assignee_unit_id="u-1"),
        step("responded", "t-1", t1 + 2 * h),
        step("resolved", "t-1", t1 + 10 * h, resolution="加装护栏"),
        step("rated", "t-1", t1 + 12 * h, satisfaction="satisfied"),
        # t-2 (industrial park): resolved, rated unsatisfied, reopened -> not solved.
        opened("t-2", t2, "enterprise", "industrial_park"),
        step("responded", "t-2", t2 + h),
        step("resolved", "t-2", t2 + 5 * h, resolution="已处理"),
        step("rated", "t-2", t2 + 6 * h, satisfaction="unsatisfied"),
        step("reopened", "t-2", t2 + 7 * h, reason="未解决"),
        # t-3 (industrial park): resolved, reopened, resolved again after 30 h -> solved.
        opened("t-3", t3, "enterprise", "industrial_park"),
        step("resolved", "t-3", t3 + 5 * h, resolution="初步处理"),
        step("reopened", "t-3", t3 + 20 * h, reason="反复"),
        step("resolved", "t-3", t3 + 30 * h, resolution="彻底解决"),
        # t-4: only opened.
        opened("t-4", t4, "grid_manager"),
        # t-5 (July: KPI version 2): responded after 30 h (> 24 h), solved after 40 h,
        # rated basically satisfied (no longer counts as satisfied under v2).
        opened("t-5", t5, "one_key_call"),
        step("responded", "t-5", t5 + 30 * h),
        step("resolved", "t-5", t5 + 40 * h, resolution="已修复"),
        step("rated", "t-5", t5 + 41 * h, satisfaction="basically_satisfied"),
    ]


def _meetings() -> list[dict[str, Any]]:
    def meeting(
        mid: str, level: str, street: str, community: str | None, scheduled: str, held: str | None
    ) -> list[dict]:
        scope = {"level": level, "street_id": street, "community_id": community}
        out = [
            event(
                "lianxi.meeting.scheduled",
                mid,
                at(scheduled) - timedelta(days=7),
                {"meeting_id": mid, **scope, "scheduled_for": scheduled},
            )
        ]
        if held:
            out.append(
                event(
                    "lianxi.meeting.held",
                    mid,
                    held,
                    {
                        "meeting_id": mid,
                        **scope,
                        "chair_role": "street_secretary"
                        if level == "street"
                        else "community_secretary",
                        "held_at": held,
                        "attending_unit_ids": ["u-1", "u-2"],
                        "agenda_items": 3,
                    },
                )
            )
        return out

    ev: list[dict] = []
    # Streets (quarterly). s-01 Q1: held 23:30 +08 on 31 March -> Q1, on time.
    ev += meeting("sm-1", "street", "s-01", None, "2026-03-31T15:00:00Z", "2026-03-31T15:30:00Z")
    # s-02 Q1: scheduled 23:00 +08 on 31 March, held 00:30 +08 on 1 April (still 31 March
    # in UTC) -> late for Q1. Q2 then has no meeting of its own and is still running: pending.
    ev += meeting("sm-2", "street", "s-02", None, "2026-03-31T15:00:00Z", "2026-03-31T16:30:00Z")
    # s-01 Q2: held in May -> held (the running period counts once held).
    ev += meeting("sm-3", "street", "s-01", None, "2026-05-10T02:00:00Z", "2026-05-10T02:00:00Z")
    # c-01-01: January to May on time; June is running -> pending.
    for month in range(1, 6):
        moment = f"2026-0{month}-20T02:00:00Z"
        ev += meeting(f"cm-1-{month}", "community", "s-01", "c-01-01", moment, moment)
    # c-01-02: Jan and Mar on time, Feb missed, April late (held 00:30 +08 on 1 May), May
    # missed (the 1 May meeting belongs to April), June pending.
    ev += meeting(
        "cm-2-1", "community", "s-01", "c-01-02", "2026-01-20T02:00:00Z", "2026-01-20T02:00:00Z"
    )
    ev += meeting("cm-2-2", "community", "s-01", "c-01-02", "2026-02-20T02:00:00Z", None)
    ev += meeting(
        "cm-2-3", "community", "s-01", "c-01-02", "2026-03-20T02:00:00Z", "2026-03-20T02:00:00Z"
    )
    ev += meeting(
        "cm-2-4", "community", "s-01", "c-01-02", "2026-04-30T15:00:00Z", "2026-04-30T16:30:00Z"
    )
    # c-02-01: never meets -> January to May missed, June pending.
    ev.append(
        event(
            "lianxi.meeting.resolution_recorded",
            "sm-1",
            "2026-04-01T02:00:00Z",
            {
                "meeting_id": "sm-1",
                "resolution_id": "res-1",
                "topic": "道路安全",
                "ticket_id": "t-1",
            },
        )
    )
    return ev


def _assessments() -> list[dict[str, Any]]:
    return [
        event(
            "lianxi.assessment.quarterly_scored",
            "as-1",
            "2026-04-02T02:00:00Z",
            {
                "assessment_id": "as-1",
                "level": "street",
                "street_id": "s-01",
                "community_id": None,
                "quarter": "2026-Q1",
                "score": 92.5,
            },
        ),
        event(
            "lianxi.assessment.secretary_reviewed",
            "rv-1",
            "2026-01-10T02:00:00Z",
            {
                "review_id": "rv-1",
                "level": "community",
                "street_id": "s-01",
                "community_id": "c-01-01",
                "year": 2025,
                "rating": "excellent",
            },
        ),
    ]


def events() -> list[dict[str, Any]]:
    _ids.clear()
    return (
        _org()
        + _members()
        + _wishes()
        + _volunteering()
        + _resources()
        + _tickets()
        + _meetings()
        + _assessments()
    )


# What marts.fct_headline_indicators must hold for events() as of AS_OF.
EXPECTED_HEADLINE: dict[str, Any] = {
    "streets": 2,
    "communities": 3,
    "units_linked": 3,
    "party_members_linked": 90,
    "building_party_groups": 2,
    "in_service_members_registered": 2,
    "builders_home_members": 1,
    "micro_wishes_posted": 4,
    "micro_wishes_claimed": 2,
    "micro_wishes_fulfilled": 1,
    "volunteer_posts_claimed": 3,
    "volunteer_hours": 7.0,
    "tickets_opened": 5,
    "tickets_resolved": 3,
    "enterprise_problems_solved": 1,
    # v1 months count any response (t-1, t-2 of t-1..t-4); July (v2) needs <= 24 h: t-5 fails.
    "response_rate": 2 / 5,
    "resolution_rate": 3 / 5,
    # rated: t-1 satisfied (v1 ok), t-2 unsatisfied, t-5 basically satisfied (v2: not ok).
    "satisfaction_rate": 1 / 3,
    # hours to the standing resolution: t-1 10, t-3 30, t-5 40.
    "median_hours_to_resolve": 30.0,
    # Q1 (v1, late counts): s-01 held, s-02 late; Q2 s-01 held, s-02 pending (not required).
    "street_meeting_compliance": 3 / 3,
    # v1 (Jan-Mar): c-01-01 3/3, c-01-02 2/3, c-02-01 0/3; v2 (Apr-May, on time only):
    # c-01-01 2/2, c-01-02 0/2 (late, missed), c-02-01 0/2 -> (3+2+0+2+0+0) / 15.
    "community_meeting_compliance": 7 / 15,
    "resource_matches": 1,
    "open_demands": 1,
}

# (level, entity, period) -> status, the meeting-compliance rows the tests pin down.
EXPECTED_MEETING_STATUS = {
    ("street", "s-01", "2026-Q1"): "held",
    ("street", "s-02", "2026-Q1"): "late",
    ("street", "s-01", "2026-Q2"): "held",
    ("street", "s-02", "2026-Q2"): "pending",
    ("community", "c-01-01", "2026-05"): "held",
    ("community", "c-01-01", "2026-06"): "pending",
    ("community", "c-01-02", "2026-02"): "missed",
    ("community", "c-01-02", "2026-04"): "late",
    ("community", "c-01-02", "2026-05"): "missed",
    ("community", "c-02-01", "2026-01"): "missed",
}
