"""`lianxi up/down/status/logs`, `lianxi kafka …`, `lianxi superset …`: the local stack."""

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer


def _echo(message: str) -> None:
    typer.echo(message)


@contextmanager
def _clear_errors(as_json: bool = False) -> Iterator[None]:
    """StackError and bad settings become one readable message and exit 1, never a traceback."""
    from pydantic import ValidationError

    from infra.errors import StackError

    try:
        yield
    except StackError as error:
        _fail(error.as_dict(), as_json)
    except ValidationError as error:
        first = error.errors()[0]
        field = "LIANXI_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        _fail({"error": f"{field}: {first['msg']}", "field": field, "rule": first["type"]}, as_json)
    except ValueError as error:
        _fail({"error": str(error)}, as_json)


def _fail(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False), err=True)
    else:
        typer.echo(f"error: {payload['error']}", err=True)
        if payload.get("fix"):
            typer.echo(f"  fix: {payload['fix']}", err=True)
    raise typer.Exit(1)


def _stack() -> Any:
    from infra.config import get_settings
    from infra.stack import Stack

    return Stack(get_settings())


def up(
    services: Annotated[
        list[str] | None, typer.Argument(help="Only these services (default: all).")
    ] = None,
) -> None:
    """Start the local stack in the background (idempotent), each service after its health."""
    with _clear_errors():
        stack = _stack()
        typer.echo(f"lianxi stack in {stack.settings.var_dir} ({stack.settings.env})")
        stack.up(services or [], _echo)
        typer.echo("stack up: `lianxi status` for health, `lianxi logs SERVICE` for logs")


def down() -> None:
    """Stop every service and supervisord; checks no process and no port is left behind."""
    with _clear_errors():
        problems = _stack().down(_echo)
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("stack down: no service process left, every port released")


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List each service with its URL, supervisor state and health."""
    from core.status_details import detail_of

    with _clear_errors(as_json):
        rows = _stack().status()
    for row in rows:
        detail = detail_of(row["service"]) if row["state"] != "DOWN" else None
        if detail is not None:
            row["detail"] = detail
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'service':<12} {'state':<9} {'health':<8} {'pid':>7}  url")
    for row in rows:
        health = "ok" if row["healthy"] else "-"
        typer.echo(
            f"{row['service']:<12} {row['state']:<9} {health:<8} {row['pid'] or '':>7}  "
            f"{row['url']}{_detail_text(row.get('detail'))}"
        )


def _detail_text(detail: dict | None) -> str:
    if not detail:
        return ""
    if "error" in detail:
        return f"  ({detail['error']})"
    if "lag" in detail:
        return f"  lag {detail['lag']:,} ({detail['partitions']} partitions)"
    return "  " + ", ".join(f"{k} {v}" for k, v in detail.items())


def logs(
    service: Annotated[str | None, typer.Argument(help="One service (default: all).")] = None,
    lines: Annotated[int, typer.Option("-n", "--lines", min=1)] = 50,
    follow: Annotated[bool, typer.Option("-f", "--follow")] = False,
) -> None:
    """Show the last lines of a service's log (all services when none is named)."""
    from infra.stack import tail_lines

    with _clear_errors():
        stack = _stack()
        names = [s.name for s in stack.services] + ["supervisord"]
        if service is not None and service not in names:
            from infra.errors import StackError

            raise StackError(
                f"unknown service {service!r}", fix=f"choose among: {', '.join(names)}"
            )
        chosen = [service] if service else names
        files = [stack.paths.log_of(name) for name in chosen]
    if follow:
        os.execvp("tail", ["tail", "-n", str(lines), "-F", *map(str, files)])
    for name, path in zip(chosen, files, strict=True):
        if len(files) > 1:
            typer.echo(f"==> {name} ({path}) <==")
        typer.echo(tail_lines(path, lines))


kafka_app = typer.Typer(help="The stack's Kafka broker.", no_args_is_help=True)
superset_app = typer.Typer(help="The stack's Superset.", no_args_is_help=True)


@kafka_app.command("fetch")
def kafka_fetch() -> None:
    """Download the broker jars with Maven into LIANXI_KAFKA_LIBS_DIR (idempotent)."""
    from infra.config import get_settings
    from infra.kafka.broker import fetch_jars

    with _clear_errors():
        libs = get_settings().kafka_libs_dir
        assert libs is not None
        fetched = fetch_jars(libs)
        typer.echo(f"kafka jars in {libs}" + ("" if fetched else " (already there)"))


@kafka_app.command("serve")
def kafka_serve() -> None:
    """Run the broker in the foreground (what supervisor runs; use `lianxi up` instead)."""
    from infra.config import get_settings
    from infra.kafka.broker import Broker

    with _clear_errors():
        settings = get_settings()
        assert settings.kafka_libs_dir is not None
        Broker(
            home=settings.var_dir / "kafka",
            port=settings.kafka_port,
            controller_port=settings.kafka_controller,
            libs_dir=settings.kafka_libs_dir,
            host=settings.kafka_host,
            heap=settings.kafka_heap,
        ).exec_foreground()


@superset_app.command("bootstrap")
def superset_bootstrap(
    force: Annotated[bool, typer.Option(help="Run even if already done.")] = False,
) -> None:
    """Migrate Superset's metadata, create the admin user and roles (skipped once done)."""
    from infra.config import get_settings
    from infra.superset.bootstrap import bootstrap

    with _clear_errors():
        bootstrap(get_settings(), _echo, force=force)


@superset_app.command("serve")
def superset_serve() -> None:
    """Bootstrap if needed, then run Superset under gunicorn (what supervisor runs)."""
    from infra.config import get_settings
    from infra.superset.bootstrap import serve

    with _clear_errors():
        serve(get_settings(), _echo)


mailbox_app = typer.Typer(
    help="The local mailbox (Mailpit): SMTP sink + web UI for the alerts.", no_args_is_help=True
)


@mailbox_app.command("fetch")
def mailbox_fetch() -> None:
    """Build the pinned Mailpit with its web UI into var/mailpit/ (idempotent; needs Go and npm)."""
    from infra import mailbox
    from infra.config import get_settings

    with _clear_errors():
        settings = get_settings()
        built = mailbox.fetch(settings, _echo)
        typer.echo(f"mailpit in {mailbox.binary(settings)}" + ("" if built else " (already there)"))


@mailbox_app.command("serve")
def mailbox_serve() -> None:
    """Run Mailpit in the foreground on 127.0.0.1 (what supervisor runs)."""
    import os

    from infra import mailbox
    from infra.config import get_settings

    with _clear_errors():
        settings = get_settings()
        if not mailbox.binary(settings).exists():
            from infra.errors import StackError

            raise StackError(
                "Mailpit is not built", fix="run `make setup` (or `lianxi mailbox fetch`)"
            )
        (settings.var_dir / "mailpit").mkdir(parents=True, exist_ok=True)
        argv = mailbox.command(settings)
        os.execv(argv[0], argv)


COMMANDS: tuple[Callable[..., None], ...] = (up, down, status, logs)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    for command in COMMANDS:
        app.command()(command)
    app.add_typer(kafka_app, name="kafka")
    app.add_typer(superset_app, name="superset")
    app.add_typer(mailbox_app, name="mailbox")
