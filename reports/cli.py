"""`lianxi report quarterly|archive`: the quarterly joint-meeting briefing packs."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

report_app = typer.Typer(
    help="Quarterly joint-meeting briefing packs (PDF) from the marts.",
    no_args_is_help=True,
)


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, sort_keys=True))


def _fail(error: str, detail: str, code: int = 1, **extra: Any) -> None:
    # One JSON line on stderr: scripts can parse it, people can read it.
    typer.echo(
        json.dumps({"error": error, "detail": detail, **extra}, ensure_ascii=False),
        err=True,
    )
    raise typer.Exit(code)


def _settings() -> Any:
    from pydantic import ValidationError

    from reports.config import ReportsSettings

    try:
        return ReportsSettings()
    except ValidationError as exc:
        errors = [
            {"field": ".".join(map(str, e["loc"])) or "settings", "rule": e["msg"]}
            for e in exc.errors()
        ]
        _fail("invalid_settings", "LIANXI_ settings are invalid", 2, errors=errors)


def _quarter(text: str) -> Any:
    from reports.quarter import Quarter

    try:
        return Quarter.parse(text)
    except ValueError as exc:
        _fail("invalid_argument", str(exc), 2, field="quarter", rule="YYYYQn, n in 1-4")


@report_app.command("quarterly")
def quarterly(
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q3 (Shanghai calendar)")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write")],
    street: Annotated[
        str,
        typer.Option("--street", help="a street id (e.g. s-01); omit for the district"),
    ] = "",
) -> None:
    """Write one quarter's briefing pack (district, or one street) as a Chinese PDF."""
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    from reports import pack

    settings, q = _settings(), _quarter(quarter)
    try:
        built = pack.build(settings, q, street.strip(), out)
    except OperationalError as exc:
        _fail(
            "warehouse_unreachable",
            f"{str(exc).splitlines()[0]}: is the warehouse up (lianxi status)?",
        )
    except DatabaseError as exc:
        _fail(
            "warehouse_error",
            f"{str(exc).splitlines()[0]}: run `lianxi dbt build` (marts missing or stale?)",
        )
    except LookupError as exc:
        _fail("not_found", str(exc), 2, field="street" if street else "marts")
    except (FileNotFoundError, RuntimeError) as exc:
        _fail("render_failed", str(exc))
    except OSError as exc:
        _fail("warehouse_unreachable", f"{exc}: is the warehouse up (lianxi status)?")
    _emit(
        {
            "quarter": str(q),
            "street": street or None,
            "unit": built.unit_name,
            "out": str(out),
            "sha256": built.sha256(),
            "as_of": built.as_of.isoformat(),
        }
    )


@report_app.command("archive")
def archive_command(
    quarter: Annotated[str, typer.Option("--quarter", help="archive this quarter (YYYYQn)")] = "",
    due: Annotated[bool, typer.Option("--due", help="archive the latest closed quarter")] = False,
    loop: Annotated[
        bool,
        typer.Option(
            "--loop",
            help="with --due: check again every LIANXI_REPORTS_ARCHIVE_INTERVAL s",
        ),
    ] = False,
    now: Annotated[
        str,
        typer.Option("--now", help="the instant to judge 'closed' by (ISO 8601; default now)"),
    ] = "",
) -> None:
    """Build, archive (var/reports/<quarter>/, manifest.json) and mail the district's and every
    street's pack. A quarter already archived is not rebuilt, a pack already mailed not re-sent."""
    from clickhouse_connect.driver.exceptions import Error as WarehouseError

    from reports import archive

    if bool(quarter) == due:
        _fail(
            "invalid_argument",
            "give exactly one of --quarter YYYYQn and --due",
            2,
            field="quarter",
        )
    if loop and not due:
        _fail("invalid_argument", "--loop goes with --due", 2, field="loop")
    settings = _settings()
    while True:
        moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
        target = _quarter(quarter) if quarter else archive.due_quarter(moment)
        try:
            _emit(archive.archive(settings, target, moment).as_json())
        except (OSError, WarehouseError) as exc:
            # the loop survives an outage (warehouse, SMTP) and tries again next interval
            if not loop:
                _fail(
                    "archive_failed",
                    f"{str(exc).splitlines()[0]}: is the warehouse (and the SMTP server) up?",
                )
            _emit(
                {
                    "quarter": str(target),
                    "status": "failed",
                    "detail": str(exc).splitlines()[0],
                }
            )
        except RuntimeError as exc:
            if not loop:
                _fail("render_failed", str(exc))
            _emit({"quarter": str(target), "status": "failed", "detail": str(exc)})
        if not loop:
            return
        time.sleep(settings.reports_archive_interval)


def register(app: typer.Typer) -> None:
    """Add `lianxi report …` to the top-level app."""
    app.add_typer(report_app, name="report")
