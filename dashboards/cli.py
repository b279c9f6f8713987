"""`lianxi dashboards build|import|export|roles`: the Superset bundle as code, roles and RLS."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

dashboards_app = typer.Typer(
    help="Superset dashboards as code: bundle, import/export, roles and RLS.", no_args_is_help=True
)


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, sort_keys=True))


def _fail(error: str, detail: str, **extra: Any) -> None:
    # One JSON line on stderr, exit 1: scripts can parse it, people can read it.
    typer.echo(
        json.dumps({"error": error, "detail": detail, **extra}, ensure_ascii=False), err=True
    )
    raise typer.Exit(1)


@contextmanager
def _superset() -> Iterator[Any]:
    import httpx
    from pydantic import ValidationError

    from dashboards.config import DashboardsSettings
    from dashboards.superset_api import SupersetError, SupersetSession

    try:
        settings = DashboardsSettings()
    except ValidationError as exc:
        errors = [
            {"field": ".".join(map(str, e["loc"])) or "settings", "rule": e["msg"]}
            for e in exc.errors()
        ]
        _fail("invalid_settings", "LIANXI_ settings are invalid", errors=errors)
    try:
        with SupersetSession(
            settings.superset_url, settings.superset_admin_user, settings.superset_admin_password
        ) as session:
            yield settings, session
    except SupersetError as exc:
        _fail("superset_refused", str(exc), status=exc.status)
    except httpx.HTTPError as exc:
        _fail("superset_unreachable", f"{settings.superset_url}: {exc}")


def _guard(action: Callable[[], None]) -> None:
    try:
        action()
    except (LookupError, ValueError, OSError) as exc:
        _fail(type(exc).__name__, str(exc))


@dashboards_app.command("build")
def build_command() -> None:
    """Regenerate dashboards/bundle/ from dashboards/spec/."""
    from dashboards import bundle_build

    _emit({"written": len(bundle_build.write()), "bundle": str(bundle_build.BUNDLE_DIR)})


@dashboards_app.command("import")
def import_command(
    bundle: Annotated[
        Path | None, typer.Option(help="bundle folder (default: dashboards/bundle)")
    ] = None,
) -> None:
    """Import (or re-import) the bundle into Superset; warehouse passwords come from the env."""
    from dashboards import bundle_build, importer

    with _superset() as (settings, session):
        _guard(
            lambda: _emit(
                {
                    "imported": importer.import_bundle(
                        session, settings, bundle or bundle_build.BUNDLE_DIR
                    )
                }
            )
        )


@dashboards_app.command("export")
def export_command(
    out: Annotated[
        Path | None, typer.Option(help="target folder (default: dashboards/bundle)")
    ] = None,
    check: Annotated[bool, typer.Option(help="exit 1 if Superset differs from the folder")] = False,
) -> None:
    """Export Superset's assets in canonical form; unchanged assets give no diff."""
    import shutil
    import tempfile

    from dashboards import bundle_build, exporter

    target = out or bundle_build.BUNDLE_DIR
    with _superset() as (_, session):
        if check:
            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / "bundle"
                if target.exists():
                    shutil.copytree(target, copy)
                report = exporter.write_export(session, copy)
        else:
            report = exporter.write_export(session, target)
    _emit({"target": str(target), **report})
    if check and any(report.values()):
        raise typer.Exit(1)


@dashboards_app.command("roles")
def roles_command(
    demo_users: Annotated[bool, typer.Option(help="create one demo user per role")] = True,
    reset_passwords: Annotated[
        bool, typer.Option(help="set existing demo users' passwords again")
    ] = False,
) -> None:
    """Create roles, RLS rules and demo users from the org tree in marts.dim_street/dim_community."""
    from clickhouse_connect.driver.exceptions import ClickHouseError

    from dashboards import org_tree, roles

    with _superset() as (settings, session):

        def run() -> None:
            try:
                streets = org_tree.read(settings)
            except (ClickHouseError, OSError) as exc:
                _fail(
                    "warehouse_unreachable", f"{settings.warehouse_hostport}: {exc}".splitlines()[0]
                )
            if not streets:
                _fail("empty_org_tree", "marts.dim_street has no rows: build the marts first")
            _emit(
                roles.provision(
                    session,
                    settings,
                    streets,
                    demo_users=demo_users,
                    reset_passwords=reset_passwords,
                )
            )

        _guard(run)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    app.add_typer(dashboards_app, name="dashboards")
