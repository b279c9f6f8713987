"""The stack's services run as an unprivileged system user, never as root.

`make setup` creates the user (`lianxi`, no login, no home). When `lianxi up` runs as root it
hands the runtime directories to that user's group — var/ and dbt's target/ and logs/ — and
supervisord starts every program as that user. The CLI keeps umask 002, so files root's
commands create there (tokens, dbt artifacts) stay writable for the services.

When the user cannot run the stack from this checkout (no such user, or the repository or the
var directory sits below a directory it may not enter, as in a private test folder under
/tmp/pytest-of-root), the services run as the invoking user and `lianxi up` says why.
"""

import os
import pwd
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.config import REPO_ROOT, InfraSettings


@dataclass(frozen=True)
class ServiceUser:
    name: str | None  # None: the invoking user
    reason: str


def runtime_dirs(settings: InfraSettings) -> list[Path]:
    """What the services write: var/, and dbt's target/ and logs/ under the project."""
    return [
        settings.var_dir,
        REPO_ROOT / "dbt_project" / "target",
        REPO_ROOT / "dbt_project" / "logs",
    ]


def resolve(settings: InfraSettings) -> ServiceUser:
    name = settings.service_user
    if not name:
        return ServiceUser(None, "LIANXI_SERVICE_USER is empty")
    if os.geteuid() != 0:
        return ServiceUser(
            None, f"not started as root: services run as {pwd.getpwuid(os.geteuid()).pw_name}"
        )
    try:
        pwd.getpwnam(name)
    except KeyError:
        return ServiceUser(None, f"no system user {name!r} (`make setup` creates it)")
    return ServiceUser(name, f"services run as {name}")


def prepare(settings: InfraSettings, user: ServiceUser) -> ServiceUser:
    """Give the runtime directories to the service user's group; check it can run from here."""
    if user.name is None:
        return user
    entry = pwd.getpwnam(user.name)
    for top in runtime_dirs(settings):
        top.mkdir(parents=True, exist_ok=True)
        _share(top, entry.pw_uid, entry.pw_gid)
    probe = (
        f"test -r {_q(REPO_ROOT / 'pyproject.toml')} && test -x {_q(Path(sys.executable))} "
        f"&& test -w {_q(settings.var_dir)} && test -w {_q(REPO_ROOT / 'dbt_project' / 'target')}"
    )
    reachable = (
        subprocess.run(
            ["runuser", "-u", user.name, "--", "sh", "-c", probe], check=False
        ).returncode
        == 0
    )
    if not reachable:
        return ServiceUser(
            None,
            f"{user.name} cannot reach {REPO_ROOT} or {settings.var_dir} (a parent directory is closed to it): "
            "services run as root; clone the repository where other users may read it",
        )
    return user


def _share(top: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(top):
        os.chown(root, uid, gid)
        os.chmod(root, 0o2775)  # setgid: what anyone creates here keeps the group
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chown(path, uid, gid)
                os.chmod(path, os.stat(path).st_mode | 0o660)
        for name in dirs:
            if os.path.islink(os.path.join(root, name)):
                dirs.remove(name)


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"
