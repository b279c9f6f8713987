"""数据质量 on the real stack: two systems publish (over the API and straight into Kafka), the
real worker loads raw, real dbt builds the quality views, and the marts show the right counts,
one feed issue per new error code, and a system late once its cadence has passed; the real
alerts service (`lianxi alerts run`) tells each system's owner of each issue once, over SMTP.

Cadences are test configuration: rows for the test's systems are added to the seeded
marts.source_cadences (never to the versioned seed). Time is the report instant (dbt's as_of)
placed relative to when the events were loaded, so the test holds on any day and hour."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.alerts.harness import AlertsProcess, SmtpSink, count_types, free_port
from tests.dbt.private_warehouse import DbtWarehouse, failure_summary
from tests.quality.raw_counts import counts_per_source, tickets
from tests.streams.harness import publish, wait_until

HOTLINE = "/systems/q-mart-hotline"
GRID = "/systems/q-mart-grid"
UNCONFIGURED = "/systems/q-mart-new"
QUALITY_MODELS = "int_source_outcomes fct_source_quality_hourly fct_source_rejections fct_source_freshness fct_street_freshness fct_dashboard_freshness fct_feed_issues"
# The test's own feed configuration: 10-minute cadences; the grid's rate threshold can never be
# passed (a rate is at most 1), so only the hotline's rate shows as an issue.
CADENCES = [
    (
        HOTLINE,
        1,
        date(2020, 1, 1),
        "测试热线",
        "ticket",
        10,
        0.05,
        "测试热线中心",
        "hotline@test.local",
        "",
    ),
    (
        GRID,
        1,
        date(2020, 1, 1),
        "测试网格",
        "ticket",
        10,
        1.0,
        "测试网格中心",
        "grid@test.local",
        "",
    ),
]


def _dbt(wh: DbtWarehouse, *args: str, as_of: str = "") -> None:
    result = wh.dbt(*args, "--vars", json.dumps({"quality_min_events_for_rate": 1}), as_of=as_of)
    assert result.returncode == 0, failure_summary(result)


def _rows(wh: DbtWarehouse, sql: str) -> list[dict[str, Any]]:
    result = wh.client().query(sql)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


@pytest.fixture(scope="module")
def loaded(api, worker, topics, warehouse_server) -> dict[str, Any]:
    """Hotline: 20 good, 3 bad (two enum, one required) over HTTP. Grid: 10 good over HTTP,
    2 bad straight into Kafka (dead letters). The unconfigured system: 1 good."""
    hotline = api.client(api.token(HOTLINE, ["lianxi.ticket.*"]))
    grid = api.client(api.token(GRID, ["lianxi.ticket.*"]))
    newcomer = api.client(api.token(UNCONFIGURED, ["lianxi.ticket.*"]))
    assert hotline.post("/v1/events", json=tickets(20, HOTLINE)).status_code == 202
    for change in ({"channel": "fax"}, {"channel": "telex"}, {"category": None}):
        bad = tickets(1, HOTLINE)[0]
        bad["data"].update(change)
        if change.get("category", "") is None:
            del bad["data"]["category"]
        assert hotline.post("/v1/events", json=bad).status_code == 422
    assert grid.post("/v1/events", json=tickets(10, GRID)).status_code == 202
    assert newcomer.post("/v1/events", json=tickets(1, UNCONFIGURED)).status_code == 202
    direct = tickets(2, GRID)
    for e in direct:
        e["data"]["category"] = "no-such-category"
    publish(topics.bootstrap, topics.prefix, direct)
    expected = {
        HOTLINE: {"accepted": 20, "rejected": 3, "dead_lettered": 0},
        GRID: {"accepted": 10, "rejected": 0, "dead_lettered": 2},
        UNCONFIGURED: {"accepted": 1, "rejected": 0, "dead_lettered": 0},
    }
    wait_until(
        lambda: counts_per_source(warehouse_server) == expected,
        180,
        "every outcome in raw",
    )
    last = (
        warehouse_server.client()
        .query(
            "SELECT max(t) FROM (SELECT max(ingested_at) AS t FROM raw.ticket_events UNION ALL "
            "SELECT max(ingested_at) FROM raw.quality_events UNION ALL SELECT max(failed_at) FROM raw.dead_letters)"
        )
        .result_rows[0][0]
    )
    _dbt(warehouse_server, "seed")
    _dbt(warehouse_server, "run")
    warehouse_server.client().insert(
        "marts.source_cadences",
        CADENCES,
        column_names=[
            "source",
            "version",
            "effective_from",
            "label_zh",
            "domains",
            "cadence_minutes",
            "rejection_rate_threshold",
            "owner_zh",
            "owner_contact",
            "notes",
        ],
    )
    return {"last_loaded": last}


def _at(wh: DbtWarehouse, loaded: dict[str, Any], minutes_after: float) -> None:
    """Rebuild the quality views as of `minutes_after` the last load."""
    as_of = (loaded["last_loaded"] + timedelta(minutes=minutes_after)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    _dbt(wh, "run", "--select", *QUALITY_MODELS.split(), as_of=as_of)


def test_hourly_counts_rules_and_issues_per_source(loaded, warehouse_server) -> None:
    _at(warehouse_server, loaded, 1)
    per_source = {
        r["source"]: r
        for r in _rows(
            warehouse_server,
            "SELECT source, any(source_zh) AS source_zh, sum(accepted) AS accepted, sum(rejected) AS rejected, "
            "sum(dead_lettered) AS dead_lettered, sum(replayed) AS replayed, max(last_event_time) AS last_event_time, "
            "max(lag_max_seconds) AS lag FROM marts.fct_source_quality_hourly GROUP BY source",
        )
    }
    assert {
        s: (r["accepted"], r["rejected"], r["dead_lettered"], r["replayed"])
        for s, r in per_source.items()
    } == {
        HOTLINE: (20, 3, 0, 0),
        GRID: (10, 0, 2, 0),
        UNCONFIGURED: (1, 0, 0, 0),
    }
    assert (
        per_source[HOTLINE]["source_zh"] == "测试热线"
        and per_source[UNCONFIGURED]["source_zh"] == UNCONFIGURED
    )
    assert per_source[HOTLINE]["lag"] > 0  # the examples' event time lies before their loading

    rules = _rows(
        warehouse_server,
        "SELECT source, outcome, rule, sum(events) AS n FROM marts.fct_source_rejections GROUP BY source, outcome, rule",
    )
    assert sorted((r["source"], r["outcome"], r["rule"], r["n"]) for r in rules) == [
        (GRID, "dead_lettered", "schema_violation", 2),
        (HOTLINE, "rejected", "enum", 2),
        (HOTLINE, "rejected", "required", 1),
    ]

    issues = _rows(warehouse_server, "SELECT * FROM marts.fct_feed_issues")
    new_codes = sorted(
        (i["source"], i["rule"], i["owner_name"]) for i in issues if i["kind"] == "new_error_code"
    )
    assert new_codes == [
        (GRID, "schema_violation", "测试网格中心"),
        (HOTLINE, "enum", "测试热线中心"),
        (HOTLINE, "required", "测试热线中心"),
    ]
    rate = [i for i in issues if i["kind"] == "rejection_rate"]
    assert rate and {i["source"] for i in rate} == {HOTLINE}
    assert not [i for i in issues if i["kind"] == "silent"]
    loaded["new_code_ids"] = {i["issue_id"] for i in issues if i["kind"] == "new_error_code"}

    freshness = {
        r["source"]: r for r in _rows(warehouse_server, "SELECT * FROM marts.fct_source_freshness")
    }
    assert freshness[HOTLINE]["status"] == "on_time" and freshness[GRID]["status"] == "on_time"
    assert freshness[UNCONFIGURED]["status"] == "unconfigured"
    assert freshness[HOTLINE]["cadence_minutes"] == 10 and freshness[HOTLINE]["status_zh"] == "正常"
    boards = {
        r["dashboard"]: r
        for r in _rows(warehouse_server, "SELECT * FROM marts.fct_dashboard_freshness")
    }
    assert (
        boards["tickets"]["late_sources"] == 0
        and boards["tickets"]["warning_text"] == "各数据源均按约定频率送达"
    )


def test_a_source_that_stops_is_late_after_its_cadence(loaded, warehouse_server) -> None:
    _at(warehouse_server, loaded, 25)
    freshness = {
        r["source"]: r for r in _rows(warehouse_server, "SELECT * FROM marts.fct_source_freshness")
    }
    assert freshness[HOTLINE]["status"] == "late" and freshness[HOTLINE]["status_zh"] == "迟到"
    assert freshness[GRID]["status"] == "late"
    assert 24 <= freshness[HOTLINE]["silence_minutes"] <= 26
    assert freshness[UNCONFIGURED]["status"] == "unconfigured"  # no cadence: never late

    issues = _rows(warehouse_server, "SELECT * FROM marts.fct_feed_issues")
    silent = sorted((i["source"], i["kind_zh"]) for i in issues if i["kind"] == "silent")
    assert silent == [(GRID, "数据源静默"), (HOTLINE, "数据源静默")]
    # The same problems keep their ids from one build to the next: an alert goes out once.
    assert {i["issue_id"] for i in issues if i["kind"] == "new_error_code"} == loaded[
        "new_code_ids"
    ]

    boards = {
        r["dashboard"]: r
        for r in _rows(warehouse_server, "SELECT * FROM marts.fct_dashboard_freshness")
    }
    tickets_board = boards["tickets"]
    assert tickets_board["late_sources"] == 2
    assert "测试热线 已 25 分钟未送数（约定每 10 分钟）" in tickets_board["warning_text"]
    assert tickets_board["complete_to"] <= freshness[HOTLINE]["last_received_at"]
    assert boards["wishes"]["late_sources"] == 0  # no late system feeds the wish domain

    streets = {
        r["street_id"]: r
        for r in _rows(warehouse_server, "SELECT * FROM marts.fct_street_freshness")
    }
    assert (
        streets["s-01"]["late_sources"] == 2 and "测试热线" in streets["s-01"]["late_sources_text"]
    )


def _feed_alerts(smtp: SmtpSink) -> dict[str, list[tuple[str, str]]]:
    """issue id → [(recipient, subject)] of the feed alerts the sink received."""
    out: dict[str, list[tuple[str, str]]] = {}
    for mail in smtp.all():
        issue = ISSUE_ID.search(mail.body)
        if "数据源" in mail.subject:
            assert issue, f"a feed alert names its issue: {mail.body}"
            out.setdefault(issue.group(0), []).extend((to, mail.subject) for to in mail.to)
    return out


ISSUE_ID = re.compile(r"(new_error_code|rejection_rate|silent)-[0-9a-f]{32}")


def _passes(env: dict[str, str]) -> int:
    """Passes the alerts service has completed without error (its health endpoint)."""
    try:
        status = httpx.get(f"http://127.0.0.1:{env['LIANXI_ALERTS_HEALTH_PORT']}/livez").json()
    except httpx.HTTPError:
        return 0
    return int(status["ticks"]) if not status["last_error"] else 0


def test_feed_issues_reach_their_owners_once(loaded, warehouse_server, topics, tmp_path) -> None:
    """Each issue of fct_feed_issues reaches its system's owner once, and nobody else; not
    again after kill -9, nor after the ledger is lost (rebuilt from raw); a silence ends
    (resolved, feed_recovered) when the system is no longer late."""
    _at(warehouse_server, loaded, 25)
    issues = _rows(warehouse_server, "SELECT * FROM marts.fct_feed_issues")
    owners = {HOTLINE: "hotline@test.local", GRID: "grid@test.local"}
    expected = {i["issue_id"]: owners[i["source"]] for i in issues}
    kinds = sorted(i["kind"] for i in issues)
    assert kinds.count("new_error_code") == 3 and kinds.count("silent") == 2
    assert "rejection_rate" in kinds

    smtp = SmtpSink()
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        "district: [{id: district-leader, email: leader@test.local}]\n"
        "defaults: {id: 'secretary-{unit}', email: '{unit}@test.local'}\n"
        "feeds:\n"
        "  defaults: {id: 'owner-{source}', email: '{owner_contact}'}\n"
        "  unregistered: [{id: platform-team, email: platform@test.local}]\n",
        encoding="utf-8",
    )
    env = {
        "LIANXI_ENV": "development",
        "LIANXI_VAR_DIR": str(tmp_path / "var"),
        "LIANXI_KAFKA_BOOTSTRAP": topics.bootstrap,
        "LIANXI_KAFKA_TOPIC_PREFIX": topics.prefix,
        "LIANXI_WAREHOUSE_HTTP_PORT": str(warehouse_server.http_port),
        "LIANXI_ALERTS_INTERVAL_SECONDS": "1",
        "LIANXI_ALERTS_FEED_INTERVAL_SECONDS": "1",
        "LIANXI_ALERTS_SMTP_PORT": str(smtp.port),
        "LIANXI_ALERTS_RECIPIENTS_FILE": str(recipients),
        "LIANXI_ALERTS_HEALTH_PORT": str(free_port()),
        "LIANXI_ALERTS_MEETING_WARN_HOURS": "0",
        "LIANXI_ALERTS_RETRY_MAX_SECONDS": "1",
    }
    raised_where = "type = 'lianxi.alert.raised' AND stage = 'owner'"
    process = AlertsProcess(env, tmp_path / "alerts.log").start()
    try:
        wait_until(lambda: len(_feed_alerts(smtp)) == len(expected), 120, "every feed alert sent")
        wait_until(
            lambda: (
                count_types(warehouse_server, "stage = 'owner'").get("delivered", 0)
                == len(expected)
            ),
            120,
            "the deliveries in raw",
        )
        got = _feed_alerts(smtp)
        assert {issue: [to for to, _ in sent] for issue, sent in got.items()} == {
            issue: [owner] for issue, owner in expected.items()
        }
        subjects = {subject for sent in got.values() for _, subject in sent}
        assert any("测试热线" in s and "数据源静默" in s for s in subjects), subjects

        # kill -9 and start again on the same ledger, then on a lost one (rebuilt from raw):
        # several passes later nobody is told twice
        sent_before = len(smtp.all())
        for var in ("var", "var-new"):
            process.kill()
            env["LIANXI_VAR_DIR"] = str(tmp_path / var)
            env["LIANXI_ALERTS_HEALTH_PORT"] = str(free_port())
            process = AlertsProcess(env, tmp_path / f"alerts-{var}.log").start()
            wait_until(lambda: _passes(env) >= 3, 120, f"three passes of the service on {var}")
            assert len(smtp.all()) == sent_before
        assert count_types(warehouse_server, raised_where)["raised"] == len(expected)

        # the systems are no longer late (views as of 1 minute after the load): silences end
        _at(warehouse_server, loaded, 1)
        silent = sum(1 for i in issues if i["kind"] == "silent")
        wait_until(
            lambda: (
                count_types(
                    warehouse_server, "type = 'lianxi.alert.resolved' AND reason = 'feed_recovered'"
                ).get("resolved", 0)
                == silent
            ),
            120,
            "the silences resolved",
        )
    finally:
        process.kill()
        smtp.stop()
    alerts = _rows(
        warehouse_server, "SELECT count() AS n FROM raw.alert_events FINAL WHERE " + raised_where
    )
    assert alerts[0]["n"] == len(expected)
