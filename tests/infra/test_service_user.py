"""The running stack's services are not root: started by root, they run as the service user."""

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from infra import service_user
from infra.config import InfraSettings
from infra.supervision.control import Supervisord
from infra.supervision.render import Paths


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


@pytest.mark.stack
def test_every_service_of_the_stack_runs_unprivileged(stack_settings: InfraSettings) -> None:
    processes = Supervisord(Paths(stack_settings.var_dir)).processes()
    pids = {name: info["pid"] for name, info in processes.items() if info.get("pid")}
    assert pids, "the stack is not running (`make test` starts it)"
    user = service_user.resolve(stack_settings)
    if os.geteuid() != 0 or user.name is None:
        pytest.skip(f"not started by root with a service user: {user.reason}")
    reachable = (
        subprocess.run(
            ["runuser", "-u", user.name, "--", "test", "-w", str(stack_settings.var_dir)],
            check=False,
        ).returncode
        == 0
    )
    assert reachable, (
        f"{user.name} cannot write {stack_settings.var_dir}: `make setup` should have made that possible"
    )
    expected = pwd.getpwnam(user.name).pw_uid
    assert {name: _uid(pid) for name, pid in pids.items()} == {name: expected for name in pids}


def test_the_service_user_cannot_read_root_files(stack_settings: InfraSettings) -> None:
    user = service_user.resolve(stack_settings)
    if os.geteuid() != 0 or user.name is None:
        pytest.skip(user.reason)
    secret = stack_settings.var_dir / "root-only.txt"
    secret.write_text("root only\n")
    os.chmod(secret, 0o600)
    os.chown(secret, 0, 0)
    try:
        denied = subprocess.run(
            ["runuser", "-u", user.name, "--", "cat", str(secret)], capture_output=True, check=False
        )
        assert denied.returncode != 0 and b"root only" not in denied.stdout
    finally:
        secret.unlink()
