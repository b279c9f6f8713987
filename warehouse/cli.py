"""Command-line commands of this stage; registered on the `lianxi` app by infra/cli.py."""

import typer

warehouse_app = typer.Typer(
    help="Embedded ClickHouse warehouse: server and migrations.", no_args_is_help=True
)


@warehouse_app.command("serve")
def serve_command(
    migrate: bool = typer.Option(
        False, "--migrate", help="Apply pending migrations before listening."
    ),
) -> None:
    """Run the embedded ClickHouse server (HTTP + native protocol) in the foreground."""
    import logging

    from warehouse.config import get_settings
    from warehouse.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(get_settings(), migrate=migrate)


@warehouse_app.command("migrate")
def migrate_command() -> None:
    """Apply pending warehouse/migrations/*.sql to the running server (as the admin user)."""
    from warehouse.config import get_settings
    from warehouse.errors import QueryError
    from warehouse.migrate import apply_migrations, http_runner
    from warehouse.users import user_statements

    settings = get_settings()
    run = http_runner(
        f"http://{settings.warehouse_host}:{settings.warehouse_http_port}",
        settings.warehouse_admin_user,
        settings.warehouse_admin_password,
    )
    try:
        for line in apply_migrations(run):
            typer.echo(line)
        # Users of the access model's roles, from the environment (passwords as hashes only).
        for statement in user_statements(settings):
            run(statement)
        typer.echo("users bound to their roles")
    except QueryError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    app.add_typer(warehouse_app, name="warehouse")
