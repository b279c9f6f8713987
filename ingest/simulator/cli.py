"""`lianxi simulate seed|load`: publish the seed year or load at scale to Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_BAD_INPUT = 2
EXIT_PUBLISH_FAILED = 1


def _fail(code: int, error: dict[str, Any]) -> NoReturn:
    """Machine-readable error on stderr: which field, which rule; never a stack trace."""
    typer.echo(json.dumps({"error": error}, ensure_ascii=False), err=True)
    raise typer.Exit(code)


def _check_settings() -> Any:
    """Read LIANXI_SIMULATOR_* once up front so a bad value is reported, not raised later."""
    from pydantic import ValidationError

    from ingest.simulator.config import SimulatorSettings

    try:
        return SimulatorSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "LIANXI_SIMULATOR_" + "_".join(str(p) for p in first["loc"]).upper()
        _fail(EXIT_BAD_INPUT, {"field": field, "rule": first["type"], "message": first["msg"]})


def _progress_printer(label: str) -> Any:
    def show(p: Any) -> None:
        of = f"/{p.total:,}" if p.total else ""
        typer.echo(
            f"{label}: {p.acknowledged:,}{of} events acknowledged, {p.rate:,.0f} events/s", err=True
        )

    return show


def _write_jsonl(events: Any, path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            n += 1
    return n


def _publish(events: Any, label: str, *, total: int | None, rate: float | None) -> None:
    from ingest.simulator.publishing import InvalidSimulatedEvent, publish

    try:
        result = publish(
            events,
            rate=rate,
            total=total,
            on_progress=_progress_printer(label),
            progress_interval_s=_check_settings().progress_interval_s,
        )
    except InvalidSimulatedEvent as exc:
        _fail(EXIT_PUBLISH_FAILED, exc.error)
    except Exception as exc:  # noqa: BLE001 - Kafka errors of any kind become one clear line
        _fail(
            EXIT_PUBLISH_FAILED,
            {"error": "publish_failed", "message": f"{type(exc).__name__}: {exc}"},
        )
    typer.echo(
        json.dumps(
            {
                "published": result.published,
                "seconds": round(result.seconds, 3),
                "events_per_s": round(result.rate),
                "by_topic": result.by_topic,
            }
        )
    )


def register(app: typer.Typer) -> None:
    """Add `lianxi simulate seed` and `lianxi simulate load`."""
    simulate = typer.Typer(
        help="District simulator: the seed year and load at scale.", no_args_is_help=True
    )

    @simulate.command("seed")
    def seed(
        seed: Annotated[
            int | None, typer.Option(help="Random seed (default: seed.yaml's default_seed).")
        ] = None,
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Print what the scenario produces; publish nothing."),
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the expectations as JSON.")
        ] = False,
        output: Annotated[
            Path | None, typer.Option(help="Write the events as JSON lines here instead of Kafka.")
        ] = None,
    ) -> None:
        """Publish the seed district year whose indicators equal seed.yaml (idempotent downstream)."""
        from ingest.simulator.expectations import expectations, render
        from ingest.simulator.seed_year import default_seed, seed_events

        _check_settings()
        chosen = default_seed() if seed is None else seed
        events = seed_events(chosen)
        expected = expectations(chosen, events)
        typer.echo(json.dumps(expected, ensure_ascii=False) if as_json else render(expected))
        if dry_run:
            return
        if output is not None:
            typer.echo(json.dumps({"written": _write_jsonl(events, output), "path": str(output)}))
            return
        _publish(events, "seed", total=len(events), rate=None)

    @simulate.command("load")
    def load(
        rate: Annotated[
            float | None, typer.Option(help="Events per second (default: as fast as possible).")
        ] = None,
        duration: Annotated[float | None, typer.Option(help="Seconds to run at --rate.")] = None,
        events: Annotated[
            int | None, typer.Option(help="Number of events (instead of --duration).")
        ] = None,
        seed: Annotated[
            int, typer.Option(help="Random seed; the same seed gives the same events.")
        ] = 1,
        output: Annotated[
            Path | None, typer.Option(help="Write the events as JSON lines here instead of Kafka.")
        ] = None,
    ) -> None:
        """Publish load: `--rate N --duration T` or `--events N [--rate N]`."""
        _check_settings()
        if rate is not None and rate <= 0:
            _fail(
                EXIT_BAD_INPUT,
                {"field": "--rate", "rule": "exclusiveMinimum", "message": "--rate must be > 0"},
            )
        if (duration is None) == (events is None):
            _fail(
                EXIT_BAD_INPUT,
                {
                    "field": "--events",
                    "rule": "oneOf",
                    "message": "give exactly one of --events N or --rate N --duration T",
                },
            )
        if duration is not None:
            if rate is None:
                _fail(
                    EXIT_BAD_INPUT,
                    {
                        "field": "--rate",
                        "rule": "required",
                        "message": "--duration needs --rate (events = rate x duration)",
                    },
                )
            if duration <= 0:
                _fail(
                    EXIT_BAD_INPUT,
                    {
                        "field": "--duration",
                        "rule": "exclusiveMinimum",
                        "message": "--duration must be > 0",
                    },
                )
            events = round(rate * duration)
        if events is None or events < 1:
            _fail(
                EXIT_BAD_INPUT,
                {"field": "--events", "rule": "minimum", "message": "--events must be >= 1"},
            )
        from ingest.simulator.load import generate_load

        stream = generate_load(events, seed)
        if output is not None:
            typer.echo(json.dumps({"written": _write_jsonl(stream, output), "path": str(output)}))
            return
        _publish(stream, "load", total=events, rate=rate)

    app.add_typer(simulate, name="simulate")
