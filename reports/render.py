"""HTML from the Jinja2 template (reports/templates/), PDF from headless Chromium."""

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import charts
from reports.marts import PackData
from reports.quarter import SHANGHAI

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Order of the indicators on the pack (the metric layer's KPIs).
KPI_ORDER = [
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "overdue_rate",
    "street_meeting_compliance",
    "community_meeting_compliance",
    "wish_fulfilment_rate",
]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def local_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {"pct": pct, "num": num, "local_time": local_time}
    env.globals |= {"bars": charts.bars}
    return env


def definition_versions(data: PackData) -> list[str]:
    """'响应率 v2' etc.: each KPI with the versions the quarter's months applied."""
    found = []
    for kpi in KPI_ORDER:
        rate = data.rates.get(kpi)
        if rate:
            found.append(f"{rate['kpi_zh'] or kpi} " + "、".join(f"v{v}" for v in rate["versions"]))
    return found


def components_by_unit(data: PackData) -> list[tuple[str, dict[str, float | None]]]:
    units: dict[str, dict[str, float | None]] = {}
    for c in data.components:
        units.setdefault(c["unit_name"], {})[c["kpi"]] = c["points"]
    return list(units.items())


def meeting_bars(data: PackData) -> list[tuple[str, float | None, str | None]]:
    """On-time rate (%) per bar: the district's pack shows each street's community meetings
    (the monthly obligation, 9× more periods than the streets' own); a street's pack shows
    the street's own meetings and each community's."""
    bars: list[tuple[str, float | None, str | None]] = []
    for m in data.meetings:
        if data.street_id == "" and m["level"] != "community":
            continue
        label = m["unit_name"] if data.street_id == "" else f"{m['unit_name']}（{m['level_zh']}）"
        bars.append((label, 100 * m["on_time"] / m["required"] if m["required"] else None, None))
    return bars


def html(data: PackData, generated_at: datetime) -> str:
    context: dict[str, Any] = {
        "d": data,
        "district": data.street_id == "",
        "kpis": [data.rates[k] for k in KPI_ORDER if k in data.rates],
        "definitions": definition_versions(data),
        "generated_at": generated_at,
        "component_kpis": sorted(
            {(c["kpi"], c["kpi_zh"]) for c in data.components},
            key=lambda k: KPI_ORDER.index(k[0]) if k[0] in KPI_ORDER else 99,
        ),
        "components_by_unit": components_by_unit(data),
        "score_bars": [(r["unit_name"], r["score"], r["rag"]) for r in data.street_rankings],
        "overdue_bars": [(r["unit_name"], r["overdue"], None) for r in data.overdue_by_unit],
        "meeting_bars": meeting_bars(data),
        "volunteer_bars": [
            (w["unit_name"], w["volunteer_hours"], None) for w in data.wishes_volunteering
        ],
    }
    return environment().get_template("quarterly.html.j2").render(context)


def pdf(page: str, out: Path, chromium: str = "chromium", timeout: float = 120) -> None:
    """Print the HTML to out with headless Chromium (fonts embedded by Chromium's PDF backend)."""
    binary = shutil.which(chromium)
    if binary is None:
        raise FileNotFoundError(
            f"{chromium!r} not found: install Debian's chromium (make setup) "
            "or set LIANXI_REPORTS_CHROMIUM"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lianxi-report-") as work:
        source = Path(work) / "pack.html"
        source.write_text(page, encoding="utf-8")
        partial = Path(work) / "pack.pdf"
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--no-pdf-header-footer",
            f"--user-data-dir={work}/profile",
            f"--print-to-pdf={partial}",
            source.as_uri(),
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
            raise RuntimeError(
                f"chromium could not print the pack (exit {result.returncode}): "
                f"{result.stderr.strip()[-1500:]}"
            )
        # written whole, then moved: a reader never sees half a PDF
        shutil.move(str(partial), out)
