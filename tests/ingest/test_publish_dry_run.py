"""`lianxi publish --dry-run FILE` (issue #17): every problem with line, field, rule and a Chinese
message, a summary line, exit 0/1/2, and no Kafka at all (the bootstrap points nowhere)."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from ingest_events import event, tickets
from support.ports import free_port
from support.process import REPO, run_lianxi
from typer.testing import CliRunner

from infra.cli import app
from ingest.config import get_settings


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(
        "LIANXI_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}"
    )  # nothing listens there
    monkeypatch.setenv(
        "LIANXI_KAFKA_MAX_BLOCK_MS", "60000"
    )  # a dry run that tried Kafka would hang
    monkeypatch.setenv("LIANXI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["publish", *args])
    return result.exit_code, result.stdout


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _write(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


def _bad_file(tmp_path: Path) -> Path:
    good = tickets(3)
    wrong = event("lianxi.ticket.opened", channel="fax")
    wrong["data"]["phone"] = "13800000000"
    wrong["subject"] = "t-someone-else"
    return _write(
        tmp_path / "events.jsonl",
        [
            json.dumps(good[0]),  # 1
            json.dumps(wrong, ensure_ascii=False),  # 2
            "",  # 3: blank, skipped
            "{not json",  # 4
            json.dumps(good[1]),  # 5
            b'{"id": "\xff"}',  # 6: not UTF-8
            json.dumps({k: v for k, v in good[2].items() if k != "time"}),  # 7
            "[1, 2]",  # 8
        ],
    )


def test_dry_run_json_lists_every_problem_with_line_pointer_rule_and_chinese_message(
    tmp_path: Path,
) -> None:
    code, out = _run("--dry-run", "--json", str(_bad_file(tmp_path)))
    assert code == 1
    *problems, summary = _json_lines(out)
    assert {(p["line"], p["pointer"], p["rule"]) for p in problems} == {
        (2, "/data/channel", "enum"),
        (2, "/data/phone", "additionalProperties"),
        (2, "/subject", "subject_matches_aggregate"),
        (4, "", "json"),
        (6, "", "utf8"),
        (7, "/time", "required"),
        (8, "", "type"),
    }
    assert all(p["kind"] == "problem" for p in problems)
    by_rule = {p["rule"]: p for p in problems}
    # field is the API's dotted path, the same as a 422 from POST /v1/events names it.
    assert by_rule["enum"]["field"] == "data.channel"
    assert "12345热线" in by_rule["enum"]["message"] and "hotline" in by_rule["enum"]["message"]
    assert by_rule["additionalProperties"]["message"].startswith("不允许的字段 phone")
    assert by_rule["required"]["message"] == "缺少必填字段 time"
    assert (
        by_rule["subject_matches_aggregate"]["message"] == "subject 须等于聚合编号 data.ticket_id"
    )
    assert by_rule["utf8"]["message"] == "此行不是合法的 UTF-8 编码"
    assert all(p["detail"] for p in problems)  # the validator's English stays available
    assert summary == {
        "kind": "summary",
        "file": str(tmp_path / "events.jsonl"),
        "lines": 7,
        "valid": 2,
        "invalid": 5,
        "published": 0,
        "reasons": summary["reasons"],
    }


def test_dry_run_text_prints_each_problem_and_the_chinese_summary(
    tmp_path: Path,
) -> None:
    code, out = _run("--dry-run", str(_bad_file(tmp_path)))
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[-1] == "检查 7 条，有效 2 条，无效 5 条"
    assert len(lines) == 8  # seven problems, one summary
    assert '第 2 行  /data/channel  [enum]  取值 "fax" 不在允许的取值之中' in out
    assert "第 4 行  （整条）  [json]" in out


def test_dry_run_of_a_valid_file_exits_0(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.jsonl", [json.dumps(e, ensure_ascii=False) for e in tickets(5)])
    code, out = _run("--dry-run", str(path))
    assert code == 0 and out.strip() == "检查 5 条，有效 5 条，无效 0 条"
    code, out = _run("--dry-run", "--json", str(path))
    assert code == 0 and _json_lines(out)[-1]["valid"] == 5


def test_dry_run_csv_reports_the_line_where_the_record_starts(tmp_path: Path) -> None:
    ok = event("lianxi.ticket.opened")
    bad = event("lianxi.ticket.opened", channel="fax", description="第一行\n第二行")
    envelope = ["id", "source", "type", "specversion", "time", "subject", "dataschema"]
    cols = sorted(ok["data"])
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(envelope + [f"data.{c}" for c in cols])
        for ev in (bad, ok):  # bad spans lines 2-3 (a quoted newline); ok is line 4
            writer.writerow(
                [ev[k] for k in envelope]
                + ["" if ev["data"].get(c) is None else ev["data"][c] for c in cols]
            )
        writer.writerow(["x", "/s"])  # line 5: short row, missing cells are empty
    code, out = _run("--dry-run", "--json", str(path))
    assert code == 1
    *problems, summary = _json_lines(out)
    assert (2, "/data/channel", "enum") in {(p["line"], p["pointer"], p["rule"]) for p in problems}
    assert {p["line"] for p in problems} == {2, 5}
    assert summary["lines"] == 3 and summary["valid"] == 1


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,source\n1,/s\n2,caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(app, ["publish", "--dry-run", str(path)])
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"] == "unreadable_file" and "第 3 行" in result.stderr
    assert (
        CliRunner().invoke(app, ["publish", "--dry-run", str(tmp_path / "missing.jsonl")]).exit_code
        == 2
    )
    if os.geteuid() != 0:
        locked = _write(tmp_path / "locked.jsonl", ["{}"])
        locked.chmod(0)
        assert CliRunner().invoke(app, ["publish", "--dry-run", str(locked)]).exit_code == 2


def test_dry_run_process_needs_no_broker(tmp_path: Path) -> None:
    """The real command in its own process, with the bootstrap on a port nobody listens on and
    Kafka's wait for metadata set to a minute: it answers at once and never opens a socket to it."""
    path = _bad_file(tmp_path)
    started = time.monotonic()
    proc = run_lianxi(
        {"PYTHONPATH": str(REPO)},
        *("publish", "--dry-run", str(path)),
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "检查 7 条，有效 2 条，无效 5 条"
    assert time.monotonic() - started < 30
    assert "kafka" not in proc.stderr.lower()
