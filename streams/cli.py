"""`lianxi stream`, `lianxi replay`, `lianxi dlq list|replay`; registered by infra/cli.py."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, NoReturn

import typer

dlq_app = typer.Typer(help="Dead letters: records the worker could not load.", no_args_is_help=True)


def _settings():
    from streams.config import get_settings

    try:
        return get_settings()
    except ValueError as exc:
        _fail("invalid_settings", str(exc))


def _fail(code: str, message: str, exit_code: int = 2, **extra) -> NoReturn:
    sys.stderr.write(
        json.dumps({"error": code, "message": message, **extra}, ensure_ascii=False) + "\n"
    )
    raise typer.Exit(exit_code)


@contextmanager
def _service_errors():
    """Failures of the services a command talks to, as one JSON line instead of a traceback."""
    from aiokafka.errors import KafkaError as AioKafkaError
    from clickhouse_driver.errors import Error as ClickHouseError
    from kafka.errors import KafkaError

    # The driver logs each failed connect with a traceback; the JSON line below says it all.
    logging.getLogger("clickhouse_driver").setLevel(logging.CRITICAL)
    try:
        yield
    except ClickHouseError as exc:
        _fail(
            "warehouse_error",
            str(exc).splitlines()[0],
            server_code=getattr(exc, "code", None),
            exit_code=1,
        )
    except (KafkaError, AioKafkaError) as exc:
        _fail("kafka_error", f"{type(exc).__name__}: {exc}", exit_code=1)
    except (OSError, EOFError) as exc:
        _fail("unreachable", f"{type(exc).__name__}: {exc}", exit_code=1)


def _echo_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def stream(
    loglevel: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Run the stream worker: Kafka topics -> validation -> ClickHouse raw tables."""
    from streams.worker import run

    run(_settings(), loglevel=loglevel)


def replay(
    since: Annotated[str | None, typer.Option("--from", help="RFC 3339 time to start at")] = None,
    from_beginning: Annotated[bool, typer.Option("--from-beginning")] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="with --from-beginning: keep existing rows instead of truncating"
        ),
    ] = False,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            help="loader processes (default: LIANXI_STREAMS_REPLAY_PROCESSES, else one per core)",
        ),
    ] = None,
) -> None:
    """Rebuild the raw tables from Kafka, from the beginning or from a time."""
    from streams.replay import replay as run_replay

    if from_beginning == (since is not None):
        _fail("usage", "give exactly one of --from TIME or --from-beginning")
    if processes is not None and processes < 1:
        _fail("usage", "--processes must be 1 or more", field="processes")
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
            if start.tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError as exc:
            _fail("invalid_time", f"--from must be RFC 3339 with offset: {exc}", field="from")

    def show(p) -> None:
        sys.stderr.write(f"\rreplay {p.done}/{p.total} events, {p.rate:,.0f}/s")
        sys.stderr.flush()

    settings = _settings()
    with _service_errors():
        progress = run_replay(
            settings,
            since=start,
            truncate=from_beginning and not keep,
            on_progress=show,
            processes=processes,
        )
    sys.stderr.write("\n")
    _echo_json(progress.as_dict())


@dlq_app.command("list")
def dlq_list(
    include_replayed: Annotated[bool, typer.Option("--all", help="include replayed")] = False,
    error_code: Annotated[str | None, typer.Option(help="only this error_code")] = None,
    limit: int = 100,
) -> None:
    """List dead letters (one JSON object per line), oldest first."""
    from streams.dlq import list_dead_letters

    settings = _settings()
    with _service_errors():
        found = list_dead_letters(settings, include_replayed, error_code, limit)
    for row in found:
        row["raw_value"] = row["raw_value"].decode("utf-8", "replace")
        row["error"] = json.loads(row["error"])
        _echo_json(row)


@dlq_app.command("replay")
def dlq_replay(
    error_code: Annotated[str | None, typer.Option(help="only this error_code")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Re-validate dead letters and publish the ones that pass back to their topic."""
    from streams.dlq import replay_dead_letters

    settings = _settings()
    with _service_errors():
        _echo_json(replay_dead_letters(settings, error_code=error_code, dry_run=dry_run))


def _worker_detail() -> dict:
    from streams.lag import consumer_lag

    return consumer_lag(_settings())


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    from core.status_details import provide

    provide("worker", _worker_detail)
    app.command("stream")(stream)
    app.command("replay")(replay)
    app.add_typer(dlq_app, name="dlq")
