"""`lianxi publish FILE` and `lianxi tokens|topics` through the real CLI, against a real broker of
the session's own (`--dry-run` alone: test_publish_dry_run.py)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_events import event, tickets
from support.kafka import read_events
from typer.testing import CliRunner

from infra.cli import app
from ingest.config import IngestSettings, get_settings


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


@pytest.fixture
def cli_env(
    ingest_settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IngestSettings]:
    monkeypatch.setenv("LIANXI_KAFKA_BOOTSTRAP", ingest_settings.kafka_bootstrap)
    monkeypatch.setenv("LIANXI_KAFKA_TOPIC_PREFIX", ingest_settings.kafka_topic_prefix)
    monkeypatch.setenv("LIANXI_VAR_DIR", str(ingest_settings.var_dir))
    get_settings.cache_clear()
    yield ingest_settings
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def test_publish_jsonl_reports_rejected_lines_and_sends_the_rest(
    cli_env: IngestSettings, tmp_path: Path
) -> None:
    good = tickets(30)
    bad_enum = event("lianxi.ticket.opened", channel="carrier_pigeon")
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(e, ensure_ascii=False) for e in good[:10]]
    lines += ["{not json", json.dumps(bad_enum), ""]
    lines += [json.dumps(e, ensure_ascii=False) for e in good[10:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "rejected.json"

    code, out = _run("publish", str(path), "--json", "--report", str(report))
    assert code == 2
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["lines"] == 32 and summary["published"] == 30 and summary["rejected"] == 2
    assert {(r["field"], r["rule"]) for r in summary["reasons"]} == {
        ("", "json"),
        ("data.channel", "enum"),
    }
    rejected = json.loads(report.read_text(encoding="utf-8"))
    assert [r["line"] for r in rejected] == [11, 12]

    topic = f"{cli_env.kafka_topic_prefix}lianxi.ticket"
    assert sorted(e["id"] for e in read_events(cli_env.kafka_bootstrap, topic)) == sorted(
        e["id"] for e in good
    )

    # A re-run sends the same ids again (the pipeline deduplicates on (source, id)).
    code, _ = _run("publish", str(path), "--json")
    assert code == 2
    stored = [e["id"] for e in read_events(cli_env.kafka_bootstrap, topic)]
    assert len(stored) == 60 and set(stored) == {e["id"] for e in good}


def test_publish_csv_types_cells_from_the_schema(cli_env: IngestSettings, tmp_path: Path) -> None:
    rows = [
        event("lianxi.org.unit_linked", unit_id=f"u-csv-{i}", party_members=i) for i in range(5)
    ]
    for ev in rows:
        ev["subject"] = ev["data"]["unit_id"]
    meeting = event("lianxi.meeting.held")
    envelope = ["id", "source", "type", "specversion", "time", "subject", "dataschema"]
    data_cols = sorted({k for ev in [*rows, meeting] for k in ev["data"]})
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(envelope + [f"data.{c}" for c in data_cols])
        for ev in [*rows, meeting]:
            cells = []
            for c in data_cols:
                value = ev["data"].get(c)
                cells.append(
                    ""
                    if value is None
                    else json.dumps(value)
                    if isinstance(value, list)
                    else str(value)
                )
            writer.writerow([ev[k] for k in envelope] + cells)
        writer.writerow(["x"] * len(envelope) + ["1"] * len(data_cols))

    code, out = _run("publish", str(path), "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 2 and summary["published"] == 6 and summary["rejected"] == 1
    org = read_events(cli_env.kafka_bootstrap, f"{cli_env.kafka_topic_prefix}lianxi.org")
    assert sorted(e["data"]["party_members"] for e in org) == [0, 1, 2, 3, 4]
    assert all(e["data"]["community_id"] is None for e in org)
    held = read_events(cli_env.kafka_bootstrap, f"{cli_env.kafka_topic_prefix}lianxi.meeting")
    assert held[0]["data"]["attending_unit_ids"] == meeting["data"]["attending_unit_ids"]


def test_dry_run_and_strict_send_nothing_when_invalid(
    cli_env: IngestSettings, tmp_path: Path
) -> None:
    path = tmp_path / "e.jsonl"
    bad = event("lianxi.ticket.opened")
    bad["subject"] = "not-the-ticket"
    path.write_text("\n".join(json.dumps(e) for e in [*tickets(3), bad]) + "\n", encoding="utf-8")
    code, out = _run("publish", str(path), "--strict", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 2 and summary["published"] == 0
    assert summary["reasons"] == [
        {"field": "subject", "rule": "subject_matches_aggregate", "lines": 1}
    ]
    code, out = _run("publish", str(path), "--dry-run", "--json")
    *problems, summary = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 1 and summary["published"] == 0 and summary["invalid"] == 1
    assert [(p["line"], p["field"], p["rule"]) for p in problems] == [
        (4, "subject", "subject_matches_aggregate")
    ]
    assert read_events(cli_env.kafka_bootstrap, f"{cli_env.kafka_topic_prefix}lianxi.ticket") == []
    ok = tmp_path / "ok.jsonl"
    ok.write_text("\n".join(json.dumps(e) for e in tickets(4)) + "\n", encoding="utf-8")
    code, out = _run("publish", str(ok), "--strict", "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["published"] == 4


def test_tokens_and_topics_commands(cli_env: IngestSettings) -> None:
    code, out = _run(
        "tokens", "create", "--source", "/systems/grid", "--types", "lianxi.ticket.*", "--json"
    )
    assert code == 0
    created = json.loads(out)
    assert created["token"].startswith("lx_") and created["types"] == ["lianxi.ticket.*"]
    code, out = _run("tokens", "list", "--json")
    assert [t["token_id"] for t in json.loads(out)] == [created["token_id"]] and "lx_" not in out
    code, out = _run("tokens", "create", "--source", "/s", "--types", "lianxi.nothing.*")
    assert code == 2
    assert _run("tokens", "revoke", created["token_id"])[0] == 0
    assert _run("tokens", "revoke", created["token_id"])[0] == 2
    code, out = _run("topics", "create", "--json")
    assert code == 0 and set(json.loads(out).values()) == {"exists"}
