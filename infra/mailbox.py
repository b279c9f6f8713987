"""The local mailbox: Mailpit (github.com/axllent/mailpit), an SMTP sink with a web UI and a
REST API, so a newcomer sees the alerts arrive (`make demo` prints its URL).

Why Mailpit (alerts/README.md, "The local mailbox"): actively released (v1.33 in 2026), one
static binary with no effect on the shared Python environment, SMTP + web mailbox + REST API
(/api/v1/messages) in one process, binds where it is told. The Python candidates were not
usable here: maildump 1.1 needs Python >= 3.12 (ours is 3.11) and its 3.11-era 1.0 pulls gevent,
Logbook and python-daemon into the venv; aiosmtpd has no mailbox UI; MailHog is unmaintained
since 2020.

`go install github.com/axllent/mailpit@<version>` alone gives a binary whose web UI is an
empty shell: the UI's JavaScript is built by npm in Mailpit's release process and is not in
the Go module. So `lianxi mailbox fetch` (run by `make setup`) does what Mailpit's Dockerfile
does: the module source from the Go module proxy, `npm ci && npm run package`, `go build`.
Needs Go (>= the module's go.mod) and npm; idempotent (skipped when the binary exists).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from infra.config import InfraSettings
from infra.errors import StackError, run_or_fail

MODULE = "github.com/axllent/mailpit"


def binary(settings: InfraSettings) -> Path:
    if settings.mailpit_binary is not None:
        return settings.mailpit_binary.expanduser().resolve()
    return settings.var_dir / "mailpit" / settings.mailpit_version / "mailpit"


def _run(command: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    run_or_fail(
        command,
        f"{what} failed",
        fix="check that Go and npm reach their registries (GOPROXY, npm config get registry)",
        tail=1500,
        cwd=cwd,
        env=env,
    )


def fetch(settings: InfraSettings, echo: object = print) -> bool:
    """Build the pinned Mailpit with its web UI into var/mailpit/<version>/; False if there."""
    target = binary(settings)
    if target.exists():
        return False
    missing = [tool for tool in ("go", "npm") if shutil.which(tool) is None]
    if missing:
        raise StackError(
            f"{' and '.join(missing)} not found: the local mailbox (Mailpit) is built from source",
            fix="install Go (https://go.dev/dl) and npm (apt-get install npm), then `make setup`",
        )
    version = settings.mailpit_version
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CGO_ENABLED": "0",
    }
    with tempfile.TemporaryDirectory(prefix="lianxi-mailpit-") as tmp:
        work = Path(tmp)
        say = echo if callable(echo) else print
        say(f"==> Mailpit {version}: module source from the Go proxy")
        _run(
            ["go", "mod", "download", "-json", f"{MODULE}@{version}"],
            work,
            env,
            "go mod download",
        )
        cache = subprocess.run(
            ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True
        ).stdout.strip()
        src = work / "src"
        shutil.copytree(Path(cache) / f"{MODULE}@{version}", src)
        for path in [src, *src.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
        say("==> Mailpit web UI: npm ci && npm run package (a few minutes the first time)")
        _run(["npm", "ci", "--no-audit", "--no-fund"], src, env, "npm ci")
        _run(["npm", "run", "package"], src, env, "npm run package")
        say("==> Mailpit: go build")
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(
            [
                "go",
                "build",
                "-ldflags",
                f"-s -w -X {MODULE}/config.Version={version}",
                "-o",
                str(target),
            ],
            src,
            env,
            "go build",
        )
    return True


def command(settings: InfraSettings, program: Path | None = None) -> list[str]:
    """Mailpit bound to 127.0.0.1, its store under var/mailpit, no call home."""
    return [
        str(program or binary(settings)),
        "--listen",
        f"127.0.0.1:{settings.mailpit_http_port}",
        "--smtp",
        f"127.0.0.1:{settings.mailpit_smtp_port}",
        "--database",
        str(settings.var_dir / "mailpit" / "mailpit.db"),
        # plain SMTP on loopback: the alerts service is the only sender
        "--smtp-auth-allow-insecure",
        "--disable-version-check",
        "--max",
        "5000",
    ]
