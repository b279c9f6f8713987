"""The `lianxi` console script: one entry point, each stage registers its own commands."""

import importlib
import os

import typer

app = typer.Typer(help="Lianxi (联席): community-governance data platform.", no_args_is_help=True)

# Each stage owns its commands in <stage>/cli.py and exposes register(app).
# Order follows the data flow; infra (the local stack) comes first.
STAGES = (
    "infra.stack_cli",
    "warehouse.cli",
    "ingest.cli",
    "streams.cli",
    "dbt_project.cli",
    "dashboards.cli",
    "alerts.cli",
    "reports.cli",
)

for _module in STAGES:
    importlib.import_module(_module).register(app)


def main() -> None:
    # Files this command writes under var/ stay writable for the services' group
    # (infra/service_user.py).
    os.umask(0o002)
    app()
