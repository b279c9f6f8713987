"""The stack's settings: private ports honoured, placeholders refused outside development."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.config import InfraSettings
from infra.services import all_services


def test_private_ports_reach_every_service(
    other_ports_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other_ports_env.setenv("LIANXI_API_PORT", "18000")
    other_ports_env.setenv("LIANXI_SUPERSET_PORT", "18088")
    settings = InfraSettings()
    assert settings.var_dir == tmp_path.resolve()
    assert settings.kafka_libs_dir == tmp_path.resolve() / "kafka" / "libs"
    assert (settings.kafka_port, settings.kafka_controller) == (19092, 19093)
    services = {service.name: service for service in all_services(settings)}
    assert services["kafka"].ports == (19092, 19093)
    assert services["superset"].ports == (18088,)
    assert services["superset"].url == "http://127.0.0.1:18088"
    for service in services.values():
        assert len(service.ports) == len(service.port_variables)


def test_placeholder_secrets_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXI_ENV", "production")
    with pytest.raises(ValueError, match="placeholder secrets refused.*LIANXI_SUPERSET_SECRET_KEY"):
        InfraSettings().check_secrets()
    monkeypatch.setenv("LIANXI_SUPERSET_SECRET_KEY", "a-real-secret-9f2c1e")
    monkeypatch.setenv("LIANXI_SUPERSET_ADMIN_PASSWORD", "a-real-password-71d")
    monkeypatch.setenv("LIANXI_WAREHOUSE_ADMIN_PASSWORD", "another-real-one-0be")
    InfraSettings().check_secrets()


def test_development_allows_the_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXI_ENV", "development")
    monkeypatch.delenv("LIANXI_SUPERSET_SECRET_KEY", raising=False)
    InfraSettings().check_secrets()


@pytest.mark.parametrize("bootstrap", ["localhost", "127.0.0.1:", "127.0.0.1:99999", ":9092"])
def test_malformed_bootstrap_names_the_rule(
    monkeypatch: pytest.MonkeyPatch, bootstrap: str
) -> None:
    monkeypatch.setenv("LIANXI_KAFKA_BOOTSTRAP", bootstrap)
    with pytest.raises(ValidationError) as error:
        InfraSettings()
    assert error.value.errors()[0]["loc"] == ("kafka_bootstrap",)
    assert "host:port" in str(error.value)


def test_the_stack_runs_every_stage_in_data_flow_order() -> None:
    names = [service.name for service in all_services(InfraSettings())]
    assert names == [
        "kafka",
        "warehouse",
        "superset",
        "api",
        "worker",
        "dbt-refresh",
        "mailbox",
        "alerts",
        "reports",
    ]


def test_only_registered_commands_count() -> None:
    from infra.services import command_registered

    assert command_registered(["up"])
    assert command_registered(["kafka", "serve"])
    assert not command_registered(["kafka", "no-such-command"])
    assert not command_registered(["no-such-group", "serve"])
