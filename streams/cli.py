"""Command-line commands of this stage; registered on the `lianxi` app by infra/cli.py."""

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
