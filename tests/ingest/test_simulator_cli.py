"""`lianxi simulate`: expectations, JSON-lines output and machine-readable refusals (no Kafka)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from ingest.simulator import expected_counts, expected_figures
from ingest.simulator.cli import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()
    register(root)
    return root


def run(app: typer.Typer, *args: str):
    return CliRunner().invoke(app, ["simulate", *args])


def test_seed_dry_run_prints_the_expected_figures_as_json(app):
    result = run(app, "seed", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["figures"] == expected_figures()
    assert printed["counts"] == expected_counts()
    assert printed["indicators"]["wishes_posted"] > printed["figures"]["micro_wishes_claimed"]
    assert printed["total"] == sum(expected_counts().values())


def test_seed_dry_run_table_is_readable(app):
    result = run(app, "seed", "--dry-run")
    assert result.exit_code == 0
    assert "45,991" in result.stdout and "联系辖区单位党组织" in result.stdout


def test_load_to_a_file(app, tmp_path):
    out = tmp_path / "load.jsonl"
    result = run(app, "load", "--events", "250", "--seed", "3", "--output", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 250
    assert json.loads(lines[0])["source"] == "/simulator/load"


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (["--duration", "5"], "--rate", "required"),
        (["--rate", "0", "--events", "5"], "--rate", "exclusiveMinimum"),
        (["--rate", "10", "--duration", "-1"], "--duration", "exclusiveMinimum"),
        (["--events", "0"], "--events", "minimum"),
        ([], "--events", "oneOf"),
        (["--events", "5", "--rate", "5", "--duration", "1"], "--events", "oneOf"),
    ],
)
def test_bad_load_options_get_a_machine_readable_error(app, args, field, rule):
    result = run(app, "load", *args)
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert (error["field"], error["rule"]) == (field, rule)
    assert "Traceback" not in result.output


def test_a_bad_setting_is_reported_as_data(app, monkeypatch):
    monkeypatch.setenv("LIANXI_SIMULATOR_PROGRESS_INTERVAL_S", "-1")
    result = run(app, "seed", "--dry-run")
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert (error["field"], error["rule"]) == (
        "LIANXI_SIMULATOR_PROGRESS_INTERVAL_S",
        "greater_than",
    )
