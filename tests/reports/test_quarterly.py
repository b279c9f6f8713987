"""The quarterly briefing pack on real parts: marts built by real dbt on a private warehouse,
read as the reader, printed by headless Chromium; its text (pdftotext) is compared with
figures the test reads from the marts itself, and its pages are turned into PNGs."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC
from pathlib import Path

import pytest
from support.ports import free_port
from support.process import run_lianxi

from reports.quarter import Quarter
from tests.dbt import scenario
from tests.dbt.private_warehouse import REPO, DbtWarehouse

QUARTER = "2026Q1"  # closed before the scenario's as-of (2026-06-15)
START = "2026-01-01"
PAGES_DIR = REPO / "var" / "reports-test-pages"


def run_cli(
    http_port: int, *args: str, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """`lianxi report <args>` against the warehouse on http_port, as an operator runs it."""
    return run_lianxi(
        {
            "LIANXI_ENV": "development",
            "LIANXI_WAREHOUSE_HTTP_PORT": str(http_port),
            "PYTHONPATH": str(REPO),
            **env,
        },
        *("report", *args),
        timeout=timeout,
    )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def line_with(text: str, *parts: str) -> str:
    """The one line of text holding every part (table rows stay on one line with -layout)."""
    found = [line for line in text.splitlines() if all(p in line for p in parts)]
    assert found, f"no line with {parts}"
    return found[0]


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


@pytest.fixture(scope="module")
def district_pdf(built_marts: DbtWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs") / "district.pdf"
    result = run_cli(built_marts.http_port, "quarterly", "--quarter", QUARTER, "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["unit"] == "全区"
    return out


@pytest.fixture(scope="module")
def street_pdf(built_marts: DbtWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs") / "s-01.pdf"
    result = run_cli(
        built_marts.http_port,
        "quarterly",
        "--quarter",
        QUARTER,
        "--street",
        "s-01",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_district_pack_holds_the_marts_figures(
    built_marts: DbtWarehouse, district_pdf: Path
) -> None:
    text = pdf_text(district_pdf)
    client = built_marts.client("lianxi_analyst")
    assert "2026年第一季度" in text and "联席会议季度简报" in text
    # as of the build, in Shanghai time
    assert "2026-06-15 08:00" in text
    rates = client.query(
        "SELECT kpi_zh, sum(numerator), sum(denominator), groupUniqArray(version) FROM marts.fct_kpi_monthly "
        f"WHERE period_start >= '{START}' AND period_start < addMonths(toDate('{START}'), 3) GROUP BY kpi_zh"
    ).result_rows
    assert len(rates) >= 6
    for name, num, den, versions in rates:
        row = line_with(text, name, f"{num:,} / {den:,}")
        assert (pct(num / den) if den else "—") in row, row
        assert all(f"v{v}" in row for v in versions), row
    tickets = client.query(
        "SELECT count(), countIf(resolved_at IS NOT NULL) FROM marts.fct_tickets "
        f"WHERE toDate(opened_at, 'Asia/Shanghai') >= '{START}' AND toDate(opened_at, 'Asia/Shanghai') < '2026-04-01'"
    ).result_rows[0]
    assert re.search(rf"\b{tickets[0]}\s*受理诉求", text) and re.search(
        rf"\b{tickets[1]}\s*其中已办结", text
    )
    ranks = client.query(
        "SELECT unit_name, score, rank, rag_zh, rank_change_zh FROM marts.fct_rankings "
        f"WHERE period_grain = 'quarter' AND level = 'street' AND period_start = '{START}'"
    ).result_rows
    assert len(ranks) == 2
    for name, score, rank, rag_zh, change in ranks:
        row = line_with(text, name, f"{score:.2f}", rag_zh)
        assert row.split()[0] == str(rank) and change in row, row
    overdue = client.query(
        "SELECT ticket_id, hours_overdue FROM marts.fct_tickets WHERE is_resolution_overdue = 1 "
        f"AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') >= '{START}' "
        "AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') < '2026-04-01'"
    ).result_rows
    assert overdue, "the scenario has overdue tickets in Q1"
    for ticket_id, hours in overdue:
        assert f"{hours:,.1f}" in line_with(text, f"{ticket_id} ")
    # 超期率's numerator is exactly the overdue tickets listed
    assert line_with(text, "超期率", f"{len(overdue)} / ")
    meetings = client.query(
        "SELECT street_name, sum(required), sum(held), sum(on_time) FROM marts.fct_meeting_compliance "
        f"WHERE level = 'street' AND period_start = '{START}' GROUP BY street_name"
    ).result_rows
    assert meetings
    section = text.split("四、联席会议履约")[1]
    for name, required, held, on_time in meetings:
        assert line_with(section, name, "街道 ").split()[2:5] == [
            str(required),
            str(held),
            str(on_time),
        ]


def test_street_pack_holds_only_its_street(built_marts: DbtWarehouse, street_pdf: Path) -> None:
    text = pdf_text(street_pdf)
    client = built_marts.client("lianxi_analyst")
    own, others = {}, {}
    for street_id, name in client.query(
        "SELECT street_id, street_name FROM marts.dim_street"
    ).result_rows:
        (own if street_id == "s-01" else others)[street_id] = name
    assert own["s-01"] in text
    for name in others.values():
        assert name not in text
    foreign_communities = client.query(
        "SELECT community_name FROM marts.dim_community WHERE street_id != 's-01'"
    ).result_rows
    assert foreign_communities and not any(name in text for (name,) in foreign_communities)
    foreign_tickets = [
        t
        for (t,) in client.query(
            "SELECT ticket_id FROM marts.fct_tickets WHERE street_id != 's-01'"
        ).result_rows
    ]
    assert foreign_tickets
    words = set(re.findall(r"[A-Za-z0-9-]+", text))
    assert not words & set(foreign_tickets)
    own_tickets = {
        t
        for (t,) in client.query(
            "SELECT ticket_id FROM marts.fct_tickets WHERE street_id = 's-01' AND is_resolution_overdue = 1 "
            f"AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') >= '{START}' "
            "AND toDate(assumeNotNull(resolution_due_at), 'Asia/Shanghai') < '2026-04-01'"
        ).result_rows
    }
    assert own_tickets and own_tickets <= words
    score, rank, units = client.query(
        "SELECT score, rank, units_ranked FROM marts.fct_rankings WHERE period_grain = 'quarter' "
        f"AND level = 'street' AND street_id = 's-01' AND period_start = '{START}'"
    ).result_rows[0]
    sentence = re.sub(r"\s+", "", text)
    assert f"得分{score:.2f}分，在全区{units}个街道中排名第{rank}名" in sentence


def test_fonts_are_embedded_and_pages_render(district_pdf: Path, street_pdf: Path) -> None:
    for pdf in (district_pdf, street_pdf):
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(re.search(r"\byes\s+\S+\s+yes\b", row) for row in rows), fonts
        target = PAGES_DIR / pdf.stem
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(target / "page")], check=True)
        pages = sorted(target.glob("page-*.png"))
        assert len(pages) >= 2 and all(p.stat().st_size > 10_000 for p in pages)


@pytest.mark.parametrize(
    ("args", "key", "refusal"),
    [
        (["--quarter", "2026Q5"], "field", "quarter"),
        (["--quarter", QUARTER, "--street", "s-99"], "error", "not_found"),
    ],
    ids=["bad-quarter", "unknown-street"],
)
def test_bad_arguments_get_a_clear_refusal(
    built_marts: DbtWarehouse, tmp_path: Path, args: list[str], key: str, refusal: str
) -> None:
    result = run_cli(built_marts.http_port, "quarterly", *args, "--out", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    assert json.loads(result.stderr.strip().splitlines()[-1])[key] == refusal
    assert not (tmp_path / "x.pdf").exists()


def test_quarter_calendar_is_shanghai() -> None:
    from datetime import datetime

    q = Quarter.parse("2026q3")
    assert (str(q), q.start.isoformat(), q.label) == (
        "2026Q3",
        "2026-07-01",
        "2026年第三季度",
    )
    # 30 September 16:00 UTC is already 1 October in Shanghai: Q4
    assert Quarter.containing(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == Quarter(2026, 4)
    assert q.ends_at.isoformat() == "2026-10-01T00:00:00+08:00"
    assert Quarter(2026, 1).previous() == Quarter(2025, 4) and Quarter(2025, 4).next() == Quarter(
        2026, 1
    )
    assert scenario.AS_OF.startswith("2026-06-15")


def test_an_unreachable_warehouse_is_named_not_a_traceback(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    for args in (
        ["quarterly", "--quarter", QUARTER, "--out", str(tmp_path / "x.pdf")],
        ["archive", "--quarter", QUARTER],
    ):
        result = run_cli(port, *args, timeout=120, LIANXI_VAR_DIR=str(tmp_path))
        assert result.returncode == 1, result.stderr[-2000:]
        error = json.loads(result.stderr.strip().splitlines()[-1])
        assert (
            error["error"] in {"warehouse_unreachable", "archive_failed"}
            and "warehouse" in error["detail"]
        )
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "reports").exists()
