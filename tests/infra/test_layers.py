"""The dependency rule of CONTRIBUTING.md, checked on the imports themselves: `core` at the
bottom imports no stage; a stage imports `core` and the stages before it; `infra` (the stack
and the CLI root) sits on top and may import anything."""

import ast
from pathlib import Path

from infra.config import REPO_ROOT

# What each package may import of ours (itself always).
ALLOWED = {
    "core": set(),
    "warehouse": {"core"},
    "ingest": {"core"},
    "streams": {"core", "ingest", "warehouse"},
    "dbt_project": {"core"},
    "dashboards": {"core"},
    # alerts reads the warehouse and publishes through ingest's producer; it is not read by
    # any stage (its events reach raw through Kafka and the stream worker).
    "alerts": {"core", "ingest", "warehouse"},
    "reports": {"core"},
    "infra": {
        "core",
        "warehouse",
        "ingest",
        "streams",
        "dbt_project",
        "dashboards",
        "alerts",
        "reports",
    },
}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


def test_every_package_imports_only_what_comes_before_it() -> None:
    broken = []
    for package, allowed in ALLOWED.items():
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for imported in imports_of(path) - allowed - {package}:
                broken.append(f"{path.relative_to(REPO_ROOT)} imports {imported}")
    assert broken == []


def test_the_rule_catches_a_stage_importing_the_stack(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from infra import config\nimport streams.rows\n")
    assert imports_of(module) == {"infra", "streams"}
