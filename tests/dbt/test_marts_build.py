"""dbt build over a small hand-written district (tests/dbt/scenario.py) on the real warehouse
server: the marts hold the numbers derived by hand, facts reconcile with raw per event type,
the 31-March quarter boundary follows Shanghai time, and an incremental run after new events
updates the facts without duplicating them. Tests in this module share one build and run in
file order; the incremental test comes last because it adds events."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tests.dbt import scenario
from tests.dbt.private_warehouse import DbtWarehouse, failure_summary
from tests.dbt.raw_loader import load_events

DOMAINS_IN_FACTS = {
    # event type -> SQL counting the events behind marts rows of that type
    "lianxi.org.unit_linked": "marts.dim_unit",
    "lianxi.org.unit_unlinked": "marts.dim_unit",
    "lianxi.member.registered": "marts.fct_registrations",
    "lianxi.meeting.scheduled": "marts.fct_meeting_compliance",
    "lianxi.meeting.held": "marts.fct_meeting_compliance",
    "lianxi.wish.posted": "marts.fct_wishes",
    "lianxi.wish.claimed": "marts.fct_wishes",
    "lianxi.wish.fulfilled": "marts.fct_wishes",
    "lianxi.wish.cancelled": "marts.fct_wishes",
    "lianxi.volunteer.post_claimed": "marts.fct_volunteering",
    "lianxi.volunteer.hours_logged": "marts.fct_volunteering",
    "lianxi.resources.matched": "marts.fct_resource_matches",
    "lianxi.ticket.opened": "marts.fct_tickets",
    "lianxi.ticket.assigned": "marts.fct_tickets",
    "lianxi.ticket.responded": "marts.fct_tickets",
    "lianxi.ticket.resolved": "marts.fct_tickets",
    "lianxi.ticket.rated": "marts.fct_tickets",
    "lianxi.ticket.reopened": "marts.fct_tickets",
    "lianxi.assessment.quarterly_scored": "marts.fct_assessments",
    "lianxi.assessment.secretary_reviewed": "marts.fct_assessments",
}
# Types that feed dimensions or counters rather than a fact with event_refs.
COUNTED_ELSEWHERE = {
    "lianxi.org.street_registered": "select count() from marts.dim_street",
    "lianxi.org.community_registered": "select count() from marts.dim_community",
    "lianxi.org.building_group_formed": "select building_party_groups from marts.fct_headline_indicators",
    "lianxi.member.checked_in": "select sum(check_ins) from marts.fct_daily_indicators",
}


@pytest.fixture(scope="module")
def built(dbt_warehouse: DbtWarehouse) -> Iterator[DbtWarehouse]:
    writer = dbt_warehouse.writer()
    events = scenario.events()
    load_events(writer, events)
    # Re-delivery: the same events again under new Kafka offsets, as after a worker crash.
    load_events(writer, events[::7])
    result = dbt_warehouse.dbt("build", as_of=scenario.AS_OF)
    assert result.returncode == 0, failure_summary(result)
    yield dbt_warehouse


def _rows(built: DbtWarehouse, sql: str) -> list:
    """The rows of sql on the built warehouse (as the admin)."""
    return built.client().query(sql).result_rows


def _row(client, sql: str) -> dict:
    result = client.query(sql)
    return dict(zip(result.column_names, result.result_rows[0], strict=True))


def test_databases_are_exactly_staging_intermediate_marts(built: DbtWarehouse) -> None:
    tables = _rows(
        built,
        "select database, name from system.tables where database not in ('system', 'raw') "
        "and match(name, '^(stg_|int_|fct_|dim_|live_|kpi_definitions)')",
    )
    layers = {name.split("_")[0]: database for database, name in tables}
    assert {
        "stg": "staging",
        "int": "intermediate",
        "fct": "marts",
        "dim": "marts",
        "live": "marts",
        "kpi": "marts",
    } == layers
    counts: dict[str, int] = {}
    for database, _name in tables:
        counts[database] = counts.get(database, 0) + 1
    # + stg_raw__alert_events (#14); intermediate + int_source_outcomes; marts + the six
    # 数据质量 views (#17), fct_alerts (#14) and fct_rankings, fct_ranking_components (#14)
    assert counts == {"staging": 9, "intermediate": 10, "marts": 26}


def test_headline_indicators_match_the_scenario(built: DbtWarehouse) -> None:
    row = _row(built.client(), "select * from marts.fct_headline_indicators")
    for name, expected in scenario.EXPECTED_HEADLINE.items():
        assert math.isclose(row[name], expected, rel_tol=1e-9), (
            name,
            row[name],
            expected,
        )
    assert row["as_of"].isoformat().startswith("2026-06-15T00:00")


def test_meeting_compliance_uses_shanghai_periods(built: DbtWarehouse) -> None:
    rows = _rows(
        built,
        "select level, if(level = 'street', street_id, community_id), period, status "
        "from marts.fct_meeting_compliance",
    )
    statuses = {(level, entity, period): status for level, entity, period, status in rows}
    for key, expected in scenario.EXPECTED_MEETING_STATUS.items():
        assert statuses[key] == expected, key
    # 2 streets x 2 quarters + 3 communities x 6 months, nothing else.
    assert len(rows) == 2 * 2 + 3 * 6


def test_quarter_boundary_meeting_counts_by_local_day(built: DbtWarehouse) -> None:
    # The late Q1 meeting of s-02 was held at 16:30 UTC on 31 March = 00:30 on 1 April (+08).
    day = _rows(
        built,
        "select day, meetings_held from marts.fct_daily_indicators "
        "where street_id = 's-02' and community_id = '' and meetings_held > 0",
    )
    assert [(d.isoformat(), n) for d, n in day] == [("2026-04-01", 1)]


def test_facts_reconcile_with_raw_per_event_type(built: DbtWarehouse) -> None:
    client = built.client()
    raw = dict(
        client.query(
            "select type, uniqExact(source, event_id) from merge('raw', '_events$') group by type"
        ).result_rows
    )
    for event_type, fact in DOMAINS_IN_FACTS.items():
        carried = client.query(
            f"select uniqExact(ref.2, ref.3) from {fact} array join event_refs as ref "
            f"where ref.1 = '{event_type}'"
        ).result_rows[0][0]
        assert carried == raw[event_type], event_type
    for event_type, sql in COUNTED_ELSEWHERE.items():
        assert client.query(sql).result_rows[0][0] == raw[event_type], event_type


def test_daily_indicators_add_up_to_the_headline(built: DbtWarehouse) -> None:
    client = built.client()
    daily = _row(
        client,
        "select sum(wishes_posted) as p, sum(wishes_claimed) as c, sum(wishes_fulfilled) as f, "
        "sum(volunteer_claims) as v, sum(volunteer_hours) as h, sum(tickets_opened) as o, "
        "sum(tickets_resolved) as r, sum(members_registered) as m from marts.fct_daily_indicators",
    )
    head = _row(client, "select * from marts.fct_headline_indicators")
    assert (daily["p"], daily["c"], daily["f"]) == (
        head["micro_wishes_posted"],
        head["micro_wishes_claimed"],
        head["micro_wishes_fulfilled"],
    )
    assert daily["v"] == head["volunteer_posts_claimed"] and math.isclose(
        daily["h"], head["volunteer_hours"]
    )
    assert (daily["o"], daily["r"]) == (
        head["tickets_opened"],
        head["tickets_resolved"],
    )
    assert (
        daily["m"] == 4
    )  # four members (m-1 registered twice), each on its first registration day


def test_daily_indicators_have_every_day_with_zeros(built: DbtWarehouse) -> None:
    """A row per day of the calendar spine for every place, 0 on days without events: from the
    first active day to the day before the as-of day or the last active day, whichever is later
    (the scenario's last event, t-5's rating, is in July, after the June as-of)."""
    client = built.client()
    first, last, days, places, rows = client.query(
        "select min(day), max(day), uniqExact(day), uniqExact(street_id, community_id), count() "
        "from marts.fct_daily_indicators"
    ).result_rows[0]
    assert first.isoformat() == "2026-01-15"  # m-1's registration, the first counted activity
    as_of_day = datetime.fromisoformat(scenario.AS_OF).astimezone(ZoneInfo("Asia/Shanghai")).date()
    last_event = client.query(
        "select max(toDate(time, 'Asia/Shanghai')) from merge('raw', '_events$')"
    ).result_rows[0][0]
    assert last == max(as_of_day - timedelta(days=1), last_event)
    assert days == (last - first).days + 1
    assert places == 3 + 2  # three communities and the two streets' street-level rows
    assert rows == days * places
    quiet = client.query(
        "select count(), countIf(members_registered + check_ins + wishes_posted + wishes_claimed + wishes_fulfilled"
        " + volunteer_claims + tickets_opened + tickets_resolved + meetings_held = 0 and volunteer_hours = 0)"
        " from marts.fct_daily_indicators where day = '2026-05-20'"
    ).result_rows[0]
    assert quiet[0] == places and quiet[1] >= 1  # every place has the day, quiet ones with zeros


def test_every_fact_row_traces_back_to_raw_events(built: DbtWarehouse) -> None:
    client = built.client()
    refs = client.query(
        "select event_refs from marts.fct_tickets where ticket_id = 't-3'"
    ).result_rows[0][0]
    assert sorted(r[0] for r in refs) == sorted(
        [
            "lianxi.ticket.opened",
            "lianxi.ticket.resolved",
            "lianxi.ticket.reopened",
            "lianxi.ticket.resolved",
        ]
    )
    for _type, source, event_id in refs:
        found = client.query(
            "select count() from raw.ticket_events where source = {s:String} and event_id = {e:String}",
            parameters={"s": source, "e": event_id},
        ).result_rows[0][0]
        assert found >= 1


def test_ticket_lifecycle_rows(built: DbtWarehouse) -> None:
    rows = _rows(
        built,
        "select ticket_id, status, is_solved, reopen_count, hours_to_respond, hours_to_resolve, rated_satisfaction "
        "from marts.fct_tickets order by ticket_id",
    )
    assert rows == [
        ("t-1", "resolved", True, 0, 2.0, 10.0, "satisfied"),
        ("t-2", "reopened", False, 1, 1.0, None, "unsatisfied"),
        ("t-3", "resolved", True, 1, None, 30.0, None),
        ("t-4", "open", False, 0, None, None, None),
        ("t-5", "resolved", True, 0, 30.0, 40.0, "basically_satisfied"),
    ]


def test_kpi_versions_are_applied_per_month(built: DbtWarehouse) -> None:
    rows = _rows(
        built,
        "select toString(period_start), version, sum(numerator), sum(denominator) from marts.fct_kpi_monthly "
        "where kpi = 'response_rate' group by period_start, version order by period_start",
    )
    assert rows == [("2026-02-01", 1, 2, 4), ("2026-07-01", 2, 0, 1)]


def test_ticket_deadlines_and_overdue(built: DbtWarehouse) -> None:
    """seeds/ticket_deadlines.csv on the scenario, derived by hand. Every ticket is road_traffic,
    so the category row (v1: 12 h response, 72 h resolution) beats the channel row of t-5's
    one_key_call (1 h / 48 h). As of 2026-06-15 00:00 UTC: t-2 (reopened) has been open since
    its deadline 02-08 02:00, 127 days less 2 h = 3046 h; t-4 (never answered) since 02-23 02:00,
    112 days less 2 h = 2686 h; t-3 was never answered (response overdue) but resolved in time;
    t-5 answered 30 h after opening (due at 12 h)."""
    rows = _rows(
        built,
        "select ticket_id, deadline_version, response_due_at, resolution_due_at, "
        "is_response_overdue, is_resolution_overdue, hours_overdue, ageing_bucket, ageing_bucket_zh "
        "from marts.fct_tickets order by ticket_id",
    )

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=None)

    assert [
        (t, v, r.replace(tzinfo=None), d.replace(tzinfo=None), ro, do, h, b, zh)
        for t, v, r, d, ro, do, h, b, zh in rows
    ] == [
        (
            "t-1",
            1,
            at("2026-02-01T14:00"),
            at("2026-02-04T02:00"),
            0,
            0,
            0.0,
            "not_overdue",
            "未超期",
        ),
        (
            "t-2",
            1,
            at("2026-02-05T14:00"),
            at("2026-02-08T02:00"),
            0,
            1,
            3046.0,
            "overdue_over_7d",
            "超期7天以上",
        ),
        (
            "t-3",
            1,
            at("2026-02-10T14:00"),
            at("2026-02-13T02:00"),
            1,
            0,
            0.0,
            "not_overdue",
            "未超期",
        ),
        (
            "t-4",
            1,
            at("2026-02-20T14:00"),
            at("2026-02-23T02:00"),
            1,
            1,
            2686.0,
            "overdue_over_7d",
            "超期7天以上",
        ),
        (
            "t-5",
            1,
            at("2026-07-02T13:00"),
            at("2026-07-05T01:00"),
            1,
            0,
            0.0,
            "not_overdue",
            "未超期",
        ),
    ]
    # 超期率 by the Shanghai month of the deadline, deadlines passed as of the build only:
    # February: t-2 and t-4 of t-1..t-4; t-5 is due in July, after the as-of.
    kpi = _rows(
        built,
        "select toString(period_start), community_id, version, numerator, denominator, kpi_zh "
        "from marts.fct_kpi_monthly where kpi = 'overdue_rate' order by period_start",
    )
    assert kpi == [("2026-02-01", "c-01-01", 1, 2, 4, "超期率")]


# Dashboard charts that show a headline figure somewhere else: they must give the headline's value.
ONE_TRUTH = {
    "tk_response_rate": "response_rate",
    "tk_resolution_rate": "resolution_rate",
    "tk_satisfaction_rate": "satisfaction_rate",
    "mt_street_rate": "street_meeting_compliance",
    "mt_community_rate": "community_meeting_compliance",
    "vo_in_service": "in_service_members_registered",
    "wi_fulfilled": "micro_wishes_fulfilled",
    "tk_opened": "tickets_opened",
}


def test_dashboard_charts_agree_with_the_headline(built: DbtWarehouse) -> None:
    """One truth: the chart SQL of dashboards/spec, run on the marts dbt built, gives the same
    figure as fct_headline_indicators (the rates through fct_kpi_monthly's versioned
    numerators and denominators, e.g. t-5's 30 h response is late under July's v2)."""
    from dashboards import bundle_build

    client = built.client()
    head = _row(client, "select * from marts.fct_headline_indicators")
    _, dashboards = bundle_build.load_spec()
    charts = {chart["key"]: chart for chart in bundle_build.iter_charts(dashboards)}
    for key, column in ONE_TRUTH.items():
        chart = charts[key]
        sql, _ = chart["metric"]
        where = f" where {chart['where']}" if chart.get("where") else ""
        value = client.query(f"select {sql} from marts.{chart['dataset']}{where}").result_rows[0][0]
        assert math.isclose(value, head[column], rel_tol=1e-9), (
            key,
            value,
            head[column],
        )
    rate = _row(
        client,
        "select sum(numerator) / sum(denominator) as r from marts.fct_kpi_monthly "
        "where kpi = 'wish_fulfilment_rate'",
    )["r"]
    assert math.isclose(rate, head["micro_wishes_fulfilled"] / head["micro_wishes_posted"])


def test_street_rankings_recompute_from_the_metric_layer(built: DbtWarehouse) -> None:
    """fct_street_rankings on the scenario equals a recomputation in Python from
    fct_kpi_monthly and seeds/ranking_weights.csv / ranking_thresholds.csv: quarter rates as
    sum(numerator) / sum(denominator), weights re-normalised over KPIs with data, competition
    ranks, rank_change against the previous quarter, RAG bands."""
    import csv
    from collections import defaultdict

    seeds = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
    weights = list(csv.DictReader((seeds / "ranking_weights.csv").open(encoding="utf-8")))
    bands = sorted(
        (
            (float(r["min_score"]), r["rag"])
            for r in csv.DictReader((seeds / "ranking_thresholds.csv").open(encoding="utf-8"))
        ),
        reverse=True,
    )
    client = built.client()
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for kpi, quarter, street, num, den in client.query(
        "select kpi, toStartOfQuarter(period_start), street_id, numerator, denominator "
        "from marts.fct_kpi_monthly where street_id != ''"
    ).result_rows:
        sums[(quarter, street, kpi)][0] += num
        sums[(quarter, street, kpi)][1] += den
    expected: dict[tuple, dict] = {}
    for quarter in sorted({q for q, _, _ in sums}):
        in_force = max(
            (r for r in weights if r["effective_from"] <= quarter.isoformat()),
            key=lambda r: r["effective_from"],
        )["version"]
        version = {r["kpi"]: r for r in weights if r["version"] == in_force}
        for street in sorted({s for q, s, _ in sums if q == quarter}):
            total = weighted = 0.0
            for (q, s, kpi), (num, den) in sums.items():
                if q != quarter or s != street or den == 0 or kpi not in version:
                    continue
                rate = num / den
                w = float(version[kpi]["weight"])
                total += w
                weighted += w * (1 - rate if version[kpi]["direction"] == "lower_better" else rate)
            score = round(100 * weighted / total, 2) if total else None
            expected[(quarter, street)] = {"version": int(in_force), "score": score}
    for quarter in {q for q, _ in expected}:
        scores = [
            e["score"] for (q, _), e in expected.items() if q == quarter and e["score"] is not None
        ]
        for (q, _), e in expected.items():
            if q == quarter and e["score"] is not None:
                e["rank"] = 1 + sum(1 for other in scores if other > e["score"])
                e["rag"] = next(rag for low, rag in bands if e["score"] >= low)
    rows = client.query(
        "select period_start, street_id, weights_version, score, rank, previous_rank, rank_change, rag, rag_zh "
        "from marts.fct_street_rankings order by period_start, street_id"
    ).result_rows
    assert rows, "no rankings on the scenario"
    assert {(q, s) for q, s, *_ in rows} == set(expected)
    labels = {"green": "绿", "amber": "黄", "red": "红", None: "未排名"}
    for quarter, street, version, score, rank, previous_rank, rank_change, rag, rag_zh in rows:
        e = expected[(quarter, street)]
        assert (version, score) == (e["version"], e["score"]), (quarter, street)
        assert (rank, rag) == (e.get("rank"), e.get("rag")), (quarter, street)
        assert rag_zh == labels.get(rag)
        before = expected.get(
            (
                quarter.replace(month=quarter.month - 3)
                if quarter.month > 3
                else quarter.replace(year=quarter.year - 1, month=10),
                street,
            ),
            {},
        )
        assert previous_rank == before.get("rank")
        assert rank_change == (
            None if previous_rank is None or rank is None else previous_rank - rank
        )


def test_rankings_scores_add_up_from_their_components(built: DbtWarehouse) -> None:
    """Every unit's score in fct_rankings (quarters and months, streets and communities) is
    the sum of its components' points, each component's rate is Σ numerator / Σ denominator
    of fct_kpi_monthly for that unit and period, and fct_street_rankings is exactly the
    quarter × street slice (one definition)."""
    from collections import defaultdict

    client = built.client()
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for kpi, month, street, community, num, den in client.query(
        "select kpi, period_start, street_id, community_id, numerator, denominator "
        "from marts.fct_kpi_monthly where street_id != ''"
    ).result_rows:
        quarter = month.replace(month=3 * ((month.month - 1) // 3) + 1)
        for grain, start in (("quarter", quarter), ("month", month)):
            sums[(grain, start, "street", street, kpi)][0] += num
            sums[(grain, start, "street", street, kpi)][1] += den
            if community:
                sums[(grain, start, "community", community, kpi)][0] += num
                sums[(grain, start, "community", community, kpi)][1] += den
    components = client.query(
        "select period_grain, period_start, level, unit_id, kpi, numerator, denominator, rate, points "
        "from marts.fct_ranking_components"
    ).result_rows
    assert {(g, p, lv, u, k) for g, p, lv, u, k, *_ in components} == set(sums)
    points: dict[tuple, float] = defaultdict(float)
    for grain, start, level, unit, kpi, num, den, rate, pts in components:
        assert [num, den] == sums[(grain, start, level, unit, kpi)]
        assert rate == (None if den == 0 else pytest.approx(num / den))
        if pts is not None:
            points[(grain, start, level, unit)] += pts
    rankings = client.query(
        "select period_grain, period_start, level, unit_id, score from marts.fct_rankings"
    ).result_rows
    assert len(rankings) == len({key[:4] for key in sums})
    for grain, start, level, unit, score in rankings:
        key = (grain, start, level, unit)
        assert score == (round(points[key], 2) if key in points else None), key
    street_slice = client.query(
        "select period_start, street_id, score, rank, rank_change, rag from marts.fct_rankings "
        "where period_grain = 'quarter' and level = 'street' order by period_start, street_id"
    ).result_rows
    view = client.query(
        "select period_start, street_id, score, rank, rank_change, rag from marts.fct_street_rankings "
        "order by period_start, street_id"
    ).result_rows
    assert view == street_slice and view


def test_live_headline_today_reads_raw_directly(built: DbtWarehouse) -> None:
    client = built.client()

    def open_live_ticket(moment: str, description: str) -> None:
        """A walk-in ticket of s-02, loaded into raw: the tile reads raw, no dbt run between."""
        ticket = scenario.ticket_opened(
            "t-live",
            moment,
            "walk_in",
            category="other",
            community_id="c-02-01",
            street_id="s-02",
            description=description,
        )
        load_events(built.writer(), [ticket])

    before = _row(client, "select * from marts.live_headline_today")
    now = scenario.iso(datetime.now(UTC))
    open_live_ticket(now, "路灯不亮")
    after = _row(client, "select * from marts.live_headline_today")
    assert after["tickets_opened"] == before["tickets_opened"] + 1
    # Later today (Shanghai) but not yet happened: the tile counts up to now, never ahead.
    now = datetime.now(UTC)
    end_of_day = datetime.combine(
        now.astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1),
        time(),
        ZoneInfo("Asia/Shanghai"),
    )
    later = now + min(timedelta(hours=1), (end_of_day - now) / 2)
    open_live_ticket(scenario.iso(later), "预约事项")
    assert (
        _row(client, "select * from marts.live_headline_today")["tickets_opened"]
        == after["tickets_opened"]
    )
    # Not part of the incremental check below: remove it again.
    client.command("DELETE FROM raw.ticket_events WHERE subject = 't-live'")


def test_source_freshness_and_docs(built: DbtWarehouse) -> None:
    freshness = built.dbt("source", "freshness")
    assert freshness.returncode == 0, failure_summary(freshness)
    docs = built.dbt("docs", "generate")
    assert docs.returncode == 0, failure_summary(docs)
    target = Path(built.dbt_env()["DBT_TARGET_PATH"])
    assert (target / "index.html").exists() and (target / "catalog.json").exists()


def test_cli_refuses_placeholder_secret_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typer

    from dbt_project.cli import register

    app = typer.Typer()
    register(app)
    monkeypatch.setenv("LIANXI_ENV", "production")
    monkeypatch.setenv("LIANXI_WAREHOUSE_TRANSFORMER_PASSWORD", "dev-transformer")
    result = CliRunner().invoke(app, ["dbt", "build"])
    assert result.exit_code == 2
    assert '"error": "invalid_configuration"' in result.output
    assert "LIANXI_WAREHOUSE_TRANSFORMER_PASSWORD" in result.output


def test_incremental_refresh_updates_touched_rows_only(
    built: DbtWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from dbt_project.cli import register

    client = built.client()
    before = dict(client.query("select ticket_id, refreshed_at from marts.fct_tickets").result_rows)
    t4_resolved = scenario.event(
        "lianxi.ticket.resolved",
        "t-4",
        "2026-02-21T02:00:00Z",
        {"ticket_id": "t-4", "resolution": "已修复"},
    )
    t6 = scenario.ticket_opened(
        "t-6",
        "2026-03-05T02:00:00Z",
        "hotline",
        category="environment",
        community_id="c-02-01",
        street_id="s-02",
        description="垃圾清运",
    )
    w4_claim = scenario.event(
        "lianxi.wish.claimed",
        "w-4",
        "2026-03-05T02:00:00Z",
        {"wish_id": "w-4", "member_id": "m-3", "unit_id": None},
    )
    load_events(built.writer(), [t4_resolved, t6, w4_claim])

    # Through the `lianxi dbt refresh` command, as the stack runs it.
    settings = built.settings(scenario.AS_OF)
    for name, value in {
        "LIANXI_ENV": "development",
        "LIANXI_WAREHOUSE_HTTP_PORT": str(settings.warehouse_http_port),
        "LIANXI_WAREHOUSE_NATIVE_PORT": str(settings.warehouse_native_port),
        "LIANXI_DBT_AS_OF": scenario.AS_OF,
        # No look-back: the rows loaded by the first build must count as already seen.
        "LIANXI_DBT_LOOKBACK_SECONDS": "0",
        **built.dbt_env(),
    }.items():
        monkeypatch.setenv(name, value)
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["dbt", "refresh"])
    assert result.exit_code == 0, result.output

    rows = dict(client.query("select ticket_id, status from marts.fct_tickets").result_rows)
    assert rows["t-4"] == "resolved" and rows["t-6"] == "open" and len(rows) == 6
    # t-4 resolved on 02-21, before its 02-23 deadline: no longer overdue. t-6 (environment,
    # opened 03-05, before the summer rule of 05-15: the 24 h / 120 h default) is open since its
    # deadline 03-10 02:00: 97 days less 2 h = 2326 h.
    overdue = {
        t: (o, h)
        for t, o, h in client.query(
            "select ticket_id, is_resolution_overdue, hours_overdue from marts.fct_tickets"
        ).result_rows
    }
    assert overdue["t-4"] == (0, 0.0) and overdue["t-6"] == (1, 2326.0)
    assert client.query("select count() from marts.fct_tickets").result_rows[0][0] == 6
    after = dict(client.query("select ticket_id, refreshed_at from marts.fct_tickets").result_rows)
    # Untouched tickets keep their rows (not rebuilt), touched ones were replaced.
    assert all(after[t] == before[t] for t in ("t-1", "t-2", "t-3", "t-5"))
    head = _row(client, "select * from marts.fct_headline_indicators")
    assert head["tickets_opened"] == 6 and head["tickets_resolved"] == 4
    assert head["micro_wishes_claimed"] == 3
    tests = built.dbt("test", as_of=scenario.AS_OF)
    assert tests.returncode == 0, failure_summary(tests)


def test_refresh_loop_dbt_in_process(built: DbtWarehouse) -> None:
    """`refresh --loop` runs dbt in its own process with the parsed project kept (WarmDbt):
    repeated runs reuse the manifest, leave the facts as they were (nothing new: no duplicates),
    and a failed run (warehouse unreachable) is followed by a good one. In a child process,
    because WarmDbt sets the environment of the process it runs in."""
    import subprocess
    import sys
    import textwrap

    client = built.client()
    before = (
        client.query("select count() from marts.fct_tickets").result_rows[0][0],
        _row(client, "select * except (as_of) from marts.fct_headline_indicators"),
    )
    script = textwrap.dedent(f"""
        from dbt_project.config import DbtSettings
        from dbt_project.runner import WarmDbt

        good = DbtSettings(warehouse_http_port={built.http_port}, dbt_as_of={scenario.AS_OF!r})
        target = {built.dbt_env()!r}
        dbt = WarmDbt(good, target)
        assert dbt.invoke(["run"]).success
        manifest = dbt._manifest
        assert dbt.invoke(["run"]).success and dbt._manifest is manifest
        # A WarmDbt sets this process's environment: point it at a port nothing listens on.
        WarmDbt(good.model_copy(update={{"warehouse_http_port": 9}}), target)
        failed = dbt.invoke(["run", "--select", "dim_street"])
        assert not failed.success and dbt._manifest is None
        WarmDbt(good, target)
        assert dbt.invoke(["run"]).success
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = (
        client.query("select count() from marts.fct_tickets").result_rows[0][0],
        _row(client, "select * except (as_of) from marts.fct_headline_indicators"),
    )
    assert after == before


def test_incremental_run_keeps_overdue_current(built: DbtWarehouse) -> None:
    """fct_tickets is incremental, overdue depends on the as-of: a run one day later recomputes
    the tickets still open past their deadline (t-2, t-6: 24 h more overdue) although no event
    touched them, and keeps the rows whose clocks have stopped (same refreshed_at)."""
    from dbt_project.runner import run_dbt

    client = built.client()

    def state() -> dict[str, tuple]:
        return {
            t: (h, r)
            for t, h, r in client.query(
                "select ticket_id, hours_overdue, refreshed_at from marts.fct_tickets"
            ).result_rows
        }

    before = state()
    later = "2026-06-16T00:00:00Z"
    settings = built.settings(later).model_copy(update={"dbt_lookback_seconds": 0})
    result = run_dbt(
        ["run", "--select", "fct_tickets"],
        settings,
        extra_env=built.dbt_env(),
        capture=True,
    )
    assert result.returncode == 0, failure_summary(result)
    after = state()
    assert after["t-2"][0] == before["t-2"][0] + 24 == 3070.0
    assert after["t-6"][0] == before["t-6"][0] + 24 == 2350.0
    assert after["t-2"][1] > before["t-2"][1] and after["t-6"][1] > before["t-6"][1]
    assert all(after[t] == before[t] for t in ("t-1", "t-3", "t-4", "t-5"))
    assert client.query("select count() from marts.fct_tickets").result_rows[0][0] == 6
    assert (
        client.query(
            "select count() from marts.fct_tickets where overdue_as_of = '2026-06-16 00:00:00'"
        ).result_rows[0][0]
        == 2
    )
