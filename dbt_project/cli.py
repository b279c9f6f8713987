"""`lianxi dbt build|test|docs|refresh`: run the dbt project against the configured warehouse."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

dbt_app = typer.Typer(
    help="Transform raw events into staging, intermediate and marts (dbt).", no_args_is_help=True
)

SelectOption = Annotated[
    str | None,
    typer.Option("--select", "-s", help="dbt node selection, e.g. 'marts' or '+fct_tickets'."),
]
FullRefreshOption = Annotated[
    bool, typer.Option("--full-refresh", help="Rebuild incremental facts from scratch.")
]


def _settings():
    from dbt_project.config import DbtSettings

    try:
        settings = DbtSettings()
        settings.check()
    except ValueError as error:
        typer.echo(
            json.dumps(
                {"error": "invalid_configuration", "detail": str(error)}, ensure_ascii=False
            ),
            err=True,
        )
        raise typer.Exit(2) from None
    return settings


def _run(args: list[str]) -> int:
    from dbt_project.runner import run_dbt

    return run_dbt(args, _settings()).returncode


def _selection(select: str | None) -> list[str]:
    return ["--select", select] if select else []


@dbt_app.command()
def build(select: SelectOption = None, full_refresh: FullRefreshOption = False) -> None:
    """Seed, run and test every model (dbt build)."""
    # A full refresh also re-reads the whole project: dbt's partial-parse state from an older
    # checkout can keep a unit test whose YAML was since removed (seen with dbt 1.11).
    refresh = ["--full-refresh", "--no-partial-parse"] if full_refresh else []
    raise typer.Exit(_run(["build", *_selection(select), *refresh]))


@dbt_app.command()
def test(select: SelectOption = None) -> None:
    """Run the data tests and unit tests (dbt test)."""
    raise typer.Exit(_run(["test", *_selection(select)]))


@dbt_app.command()
def docs(
    serve: Annotated[bool, typer.Option(help="Serve the generated site on --port.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve (127.0.0.1 only).")] = 8580,
) -> None:
    """Generate the dbt docs site (target/index.html); --serve to browse it."""
    code = _run(["docs", "generate"])
    if code == 0 and serve:
        code = _run(["docs", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-browser"])
    raise typer.Exit(code)


@dbt_app.command()
def refresh(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep refreshing until interrupted.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            min=1.0,
            help="Seconds between runs (default LIANXI_DBT_REFRESH_INTERVAL).",
        ),
    ] = None,
) -> None:
    """Incremental run of the models (no tests), once or every --interval seconds."""
    if not loop:
        raise typer.Exit(_run(["run"]))
    from dbt_project.runner import WarmDbt

    settings = _settings()
    pause = interval if interval is not None else settings.dbt_refresh_interval
    # dbt in this process, the parsed project kept: a tick pays no import or parse (runner.py).
    dbt = WarmDbt(settings)
    seeded = False
    while True:
        started = time.monotonic()
        # The models read the seeds (kpi_definitions, code_labels): on an empty warehouse the
        # first tick loads them, and every tick tries again until that has worked once.
        if not seeded:
            seeded = dbt.invoke(["seed"]).success
        # A failed run is retried on the next tick: a warehouse restart must not end the loop.
        dbt.invoke(["run"])
        time.sleep(max(0.0, pause - (time.monotonic() - started)))


def register(app: typer.Typer) -> None:
    """Add `lianxi dbt …` to the top-level app."""
    app.add_typer(dbt_app, name="dbt")
