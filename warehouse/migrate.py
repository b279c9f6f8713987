"""Apply warehouse/migrations/<timestamp>_<verb>_<what>.sql in file-name order, once each.

Applied versions and their checksums are kept in default.schema_migrations. ClickHouse has
no transactional DDL, so a file is recorded only after all its statements succeeded, and
statements are written to be re-runnable (IF NOT EXISTS), which makes a re-run after a
failure safe. A migration edited after it was applied is refused rather than re-run.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from warehouse.errors import BAD_ARGUMENTS, QueryError
from warehouse.statement import split_statements

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LEDGER_SQL = MIGRATIONS_DIR / "schema_migrations.sql"
_NAME = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")

# Runs one statement and returns its TabSeparated output.
Runner = Callable[[str], str]


@dataclass(frozen=True)
class Migration:
    timestamp: str
    name: str
    path: Path

    @property
    def version(self) -> str:
        # Several files may share a timestamp (one per table); the whole stem is the key
        # and file-name order breaks ties.
        return self.path.stem

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match:
            migrations.append(Migration(match.group(1), match.group(2), path))
    return migrations


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def applied_versions(run: Runner) -> dict[str, str]:
    for statement in split_statements(LEDGER_SQL.read_text(encoding="utf-8")):
        run(statement)
    out = run(
        "SELECT version, argMax(checksum, applied_at) FROM default.schema_migrations GROUP BY version"
    )
    return dict(line.split("\t", 1) for line in out.splitlines() if line)  # type: ignore[misc]


def apply_migrations(run: Runner, directory: Path = MIGRATIONS_DIR) -> Iterator[str]:
    """Apply pending migrations; yields one human-readable line per migration."""
    done = applied_versions(run)
    for migration in discover(directory):
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise QueryError(
                    BAD_ARGUMENTS,
                    f"Migration {migration.path.name} changed after it was applied; add a new migration instead",
                )
            yield f"up to date  {migration.path.name}"
            continue
        for statement in split_statements(migration.sql):
            run(statement)
        run(
            "INSERT INTO default.schema_migrations (version, name, checksum) VALUES "
            f"({_quote(migration.version)}, {_quote(migration.name)}, {_quote(migration.checksum)})"
        )
        yield f"applied     {migration.path.name}"


def http_runner(url: str, user: str, password: str) -> Runner:
    """Run statements against a running server, over its HTTP interface."""
    import httpx

    client = httpx.Client(
        base_url=url, headers={"X-ClickHouse-User": user, "X-ClickHouse-Key": password}, timeout=300
    )

    def run(sql: str) -> str:
        response = client.post("/", content=sql.encode())
        if response.status_code != 200:
            raise QueryError.from_engine(response.text)
        return response.text

    return run
