"""tests/perf/report.py: the table a benchmark prints and the JSON lines it keeps."""

import json
from pathlib import Path

import pytest

from tests.perf.report import record, table


def test_record_prints_a_table_and_appends_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"measure": "baseline", "seconds": 2.0},
        {"measure": "candidate", "seconds": 1.0, "x_baseline": 0.5, "events": 20000},
    ]
    target = record("demo", rows, var_dir=tmp_path)
    record("demo", rows[:1], var_dir=tmp_path)

    assert target == tmp_path / "bench" / "demo.jsonl"
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["measure"] for line in lines] == ["baseline", "candidate", "baseline"]
    assert lines[1]["x_baseline"] == 0.5 and lines[1]["events"] == 20000
    assert all(line["bench"] == "demo" and line["at"] and line["commit"] for line in lines)

    printed = capsys.readouterr().out
    assert "measure" in printed and "x_baseline" in printed and "20,000" in printed


def test_table_aligns_columns_from_every_row() -> None:
    text = table([{"a": "x"}, {"a": "longer", "b": 1234567}])
    header, rule, first, second = text.splitlines()
    assert header.split() == ["a", "b"]
    assert first.startswith("x ") and len(rule) == len(second)
    assert "1,234,567" in second
