"""First start of Superset: metadata schema, admin user, roles. Skipped once done (it is slow)."""

import os
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from infra.config import InfraSettings
from infra.errors import run_or_fail

CONFIG = Path(__file__).resolve().parent / "superset_config.py"


def superset_environment(settings: InfraSettings) -> dict[str, str]:
    env = dict(os.environ)
    env["SUPERSET_CONFIG_PATH"] = str(CONFIG)
    env["SUPERSET_HOME"] = str(settings.var_dir / "superset")
    env["FLASK_APP"] = "superset.app:create_app()"
    env["LIANXI_VAR_DIR"] = str(settings.var_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _marker(settings: InfraSettings) -> Path:
    return settings.var_dir / "superset" / "bootstrapped"


def bootstrapped(settings: InfraSettings) -> bool:
    # The marker names the Superset version: an upgrade runs the migrations again.
    marker = _marker(settings)
    return marker.exists() and marker.read_text().strip() == version("apache-superset")


def bootstrap(settings: InfraSettings, echo: Callable[[str], None], force: bool = False) -> None:
    if bootstrapped(settings) and not force:
        echo("superset metadata already initialised")
        return
    superset = str(Path(sys.executable).parent / "superset")
    env = superset_environment(settings)
    steps = [
        ("migrating the metadata database", [superset, "db", "upgrade"]),
        (
            f"creating admin user {settings.superset_admin_user!r}",
            [
                superset,
                "fab",
                "create-admin",
                "--username",
                settings.superset_admin_user,
                "--firstname",
                "Lianxi",
                "--lastname",
                "Admin",
                "--email",
                settings.superset_admin_email,
                "--password",
                settings.superset_admin_password,
            ],
        ),
        ("creating roles and permissions (superset init)", [superset, "init"]),
    ]
    for label, command in steps:
        echo(f"superset: {label}")
        run_or_fail(
            command,
            f"`{' '.join(command[1:3])}` failed",
            fix="fix the cause above, then `lianxi up` again",
            tail=3000,
            env=env,
        )
    _marker(settings).write_text(version("apache-superset") + "\n")


def gunicorn_command(settings: InfraSettings) -> list[str]:
    """How Superset is served, by the stack and by the dashboards' tests and benchmarks alike."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{settings.superset_port}",
        "--workers",
        str(settings.superset_workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(settings.superset_threads),
        # Chart queries over 10 M events may take a while on two shared cores.
        "--timeout",
        "120",
        "--limit-request-line",
        "0",
        "--limit-request-field_size",
        "0",
        "superset.app:create_app()",
    ]


def serve(settings: InfraSettings, echo: Callable[[str], None]) -> None:
    """Bootstrap if needed, then become gunicorn (supervisor's signals reach it directly)."""
    bootstrap(settings, echo)
    command = gunicorn_command(settings)
    os.execve(command[0], command, superset_environment(settings))
