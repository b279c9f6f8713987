"""The deployment files parse, use the official images, and speak the settings' language."""

import re
from pathlib import Path

import yaml

from infra.config import REPO_ROOT
from infra.settings_catalog import all_variables

DEPLOY = REPO_ROOT / "infra" / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_parses_and_uses_the_official_images() -> None:
    services = _compose()["services"]
    images = {name: service.get("image", "") for name, service in services.items()}
    assert images["kafka"].startswith("apache/kafka:3.9.")
    assert images["clickhouse"].startswith("clickhouse/clickhouse-server:")
    superset_base = (DEPLOY / "superset.Dockerfile").read_text()
    assert re.search(r"^FROM apache/superset:6\.1\.0$", superset_base, re.MULTILINE)
    # Every image is pinned to a tag, never an implicit :latest from a registry.
    for name, image in images.items():
        assert ":" in image, name
    for name in ("api", "worker", "dbt-refresh", "migrate"):
        assert images[name] == "lianxi:latest"
    assert services["migrate"]["build"]["dockerfile"] == "infra/deploy/Dockerfile"


def test_platform_dockerfile_builds_the_lianxi_cli() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["lianxi"]' in dockerfile
    assert re.search(r"^USER lianxi$", dockerfile, re.MULTILINE)


def _lianxi_names(node: object) -> set[str]:
    """Every LIANXI_ variable set in or interpolated into the compose file."""
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("LIANXI_"):
                names.add(key)
            names |= _lianxi_names(value)
    elif isinstance(node, list):
        for item in node:
            names |= _lianxi_names(item)
    elif isinstance(node, str):
        names |= set(re.findall(r"\$\{?(LIANXI_[A-Z0-9_]+)", node))
    return names


def test_every_variable_in_compose_is_a_setting() -> None:
    known = set(all_variables())
    used = _lianxi_names(_compose())
    assert used, "compose sets no LIANXI_ variable"
    assert used - known == set()


def test_compose_services_run_in_production_mode_with_required_secrets() -> None:
    text = COMPOSE.read_text()
    compose = _compose()
    for name in ("api", "worker", "superset"):
        assert compose["services"][name]["environment"]["LIANXI_ENV"] == "production"
    # Secrets have no default: compose refuses to start without them.
    for secret in ("LIANXI_SUPERSET_SECRET_KEY", "LIANXI_WAREHOUSE_WRITER_PASSWORD"):
        assert f"${{{secret}:?" in text


def test_env_example_documents_every_variable() -> None:
    documented = set(
        re.findall(
            r"^#?\s*(LIANXI_[A-Z0-9_]+)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE
        )
    )
    missing = sorted(set(all_variables()) - documented)
    assert missing == [], f"run `python -m infra.env_example`; missing: {missing}"


def test_pom_pins_kafka_3_9() -> None:
    pom = (Path(REPO_ROOT) / "infra" / "kafka" / "pom.xml").read_text()
    assert re.search(r"<kafka.version>3\.9\.\d+</kafka.version>", pom)
    assert "slf4j-reload4j" in pom
