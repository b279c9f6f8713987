"""Render var/supervisord.conf from the settings and the service list."""

import shlex
from pathlib import Path
from string import Template

from infra.config import REPO_ROOT, InfraSettings
from infra.errors import StackError
from infra.services import Service

HERE = Path(__file__).resolve().parent
MAIN_TEMPLATE = HERE / "supervisord.conf.tmpl"
PROGRAM_TEMPLATE = HERE / "program.conf.tmpl"


class Paths:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.config = var_dir / "supervisord.conf"
        self.socket = var_dir / "supervisord.sock"
        self.pidfile = var_dir / "supervisord.pid"
        self.log_dir = var_dir / "log"

    def log_of(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"


def service_environment(settings: InfraSettings) -> dict[str, str]:
    """The resolved stack settings every service must agree on (ports, var dir, env).

    Written into the config so a changed port reaches the services on the next `lianxi up`.
    Everything else (secrets included) the services inherit from supervisord, which keeps the
    environment `lianxi up` was started with: secrets never land in a file.
    """
    return {
        "LIANXI_ENV": settings.env,
        "LIANXI_VAR_DIR": str(settings.var_dir),
        "LIANXI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LIANXI_KAFKA_CONTROLLER_PORT": str(settings.kafka_controller),
        "LIANXI_KAFKA_LIBS_DIR": str(settings.kafka_libs_dir),
        "LIANXI_WAREHOUSE_HOST": settings.warehouse_host,
        "LIANXI_WAREHOUSE_HTTP_PORT": str(settings.warehouse_http_port),
        "LIANXI_WAREHOUSE_NATIVE_PORT": str(settings.warehouse_native_port),
        "LIANXI_API_PORT": str(settings.api_port),
        "LIANXI_SUPERSET_PORT": str(settings.superset_port),
        # Logs reach var/log/ as they happen, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    }


def _supervisor_value(name: str, value: str) -> str:
    # supervisor splits environment= with a non-POSIX shlex (no escapes: a quote can only sit
    # inside the other kind of quote) and expands %(x)s, so a literal % must be doubled.
    for quote in ('"', "'"):
        if quote not in value and "\n" not in value:
            return quote + value.replace("%", "%%") + quote
    raise StackError(
        f"{name} contains both quote characters or a newline, which supervisor cannot pass on",
        fix=f"choose a value for {name} without them",
    )


def render(
    settings: InfraSettings, services: list[Service], paths: Paths, user: str | None = None
) -> str:
    # supervisor expands %(x)s in paths more than once, so no escaping survives: refuse.
    for name, path in (("LIANXI_VAR_DIR", paths.var_dir), ("the repository path", REPO_ROOT)):
        if "%" in str(path):
            raise StackError(f"{name} ({path}) contains '%'", fix="use a path without '%'")
    common = {
        "repo_root": str(REPO_ROOT),
        "log_dir": str(paths.log_dir),
        "socket": str(paths.socket),
        "pidfile": str(paths.pidfile),
    }
    text = Template(MAIN_TEMPLATE.read_text()).substitute(common)
    base_env = service_environment(settings)
    # Not root (infra/service_user.py): the programs get the user, a home of their own under
    # var/ and umask 002, so root's commands and the services share what is written there.
    user_line = f"user={user}\numask=002\n" if user else ""
    if user:
        base_env["HOME"] = str(settings.var_dir / "home")
    program = Template(PROGRAM_TEMPLATE.read_text())
    for service in services:
        env = {**base_env, **service.environment}
        text += program.substitute(
            common,
            name=service.name,
            user_line=user_line,
            command=shlex.join(service.command).replace("%", "%%"),
            startsecs=service.startsecs,
            stopwaitsecs=service.stopwaitsecs,
            environment=",".join(f"{k}={_supervisor_value(k, v)}" for k, v in sorted(env.items())),
        )
    return text


def write(
    settings: InfraSettings, services: list[Service], paths: Paths, user: str | None = None
) -> bool:
    """Write the config; True when it changed (supervisord then needs to reread it)."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    if user:
        (settings.var_dir / "home").mkdir(parents=True, exist_ok=True)
    text = render(settings, services, paths, user)
    if paths.config.exists() and paths.config.read_text() == text:
        return False
    paths.config.write_text(text)
    return True
