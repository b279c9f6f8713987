"""One settings base (core/settings.py): the stages extend it with only what is theirs, read the
shared variables under their old names, and share one placeholder rule."""

import inspect

import pytest

from core.settings import PlatformSettings
from infra.settings_catalog import settings_classes


def stage_classes() -> list[type[PlatformSettings]]:
    return [cls for cls in settings_classes() if cls is not PlatformSettings]


def test_every_stage_extends_the_base() -> None:
    names = {cls.__name__ for cls in stage_classes()}
    assert names == {
        "InfraSettings",
        "WarehouseSettings",
        "IngestSettings",
        "SimulatorSettings",
        "StreamsSettings",
        "DbtSettings",
        "DashboardsSettings",
        "AlertsSettings",
        "ReportsSettings",
    }


def redeclared(cls: type[PlatformSettings]) -> list[str]:
    """Base fields the class declares again itself (its own annotations only)."""
    return sorted(set(PlatformSettings.model_fields) & set(inspect.get_annotations(cls)))


def test_no_stage_redeclares_a_base_field() -> None:
    assert {cls.__name__: redeclared(cls) for cls in stage_classes() if redeclared(cls)} == {}


def test_no_two_stages_declare_the_same_variable() -> None:
    """A variable two stages read belongs in the base, with one default and one comment."""
    declared: dict[str, list[str]] = {}
    for cls in stage_classes():
        for field in inspect.get_annotations(cls):
            if field in cls.model_fields:
                declared.setdefault(cls.env_name(field), []).append(cls.__name__)
    assert {name: classes for name, classes in declared.items() if len(classes) > 1} == {}


def test_the_rule_catches_a_redeclared_field() -> None:
    class Stage(PlatformSettings):
        warehouse_host: str = "elsewhere"

    assert redeclared(Stage) == ["warehouse_host"]


def test_every_stage_reads_the_shared_variables_by_their_names(
    other_ports_env: pytest.MonkeyPatch, tmp_path
) -> None:
    other_ports_env.setenv("LIANXI_ENV", "development")
    other_ports_env.setenv("LIANXI_KAFKA_TOPIC_PREFIX", "t1.")
    other_ports_env.setenv("LIANXI_WAREHOUSE_HOST", "127.0.0.2")
    other_ports_env.setenv("LIANXI_WAREHOUSE_WRITER_PASSWORD", "w-secret")
    for cls in stage_classes():
        settings = cls()
        seen = (
            settings.var_dir,
            settings.kafka_bootstrap,
            settings.kafka_topic_prefix,
            settings.warehouse_host,
            settings.warehouse_http_port,
            settings.warehouse_native_port,
            settings.role_password("writer"),
        )
        assert seen == (
            tmp_path.resolve(),
            "127.0.0.1:19092",
            "t1.",
            "127.0.0.2",
            18123,
            19000,
            "w-secret",
        ), cls


def test_the_warehouse_keeps_its_own_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from warehouse.config import WarehouseSettings

    monkeypatch.setenv("LIANXI_WAREHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIANXI_WAREHOUSE_ADMIN_USER", "boss")
    settings = WarehouseSettings()
    assert (settings.resolved_data_dir, settings.role_user("admin")) == (
        tmp_path.resolve(),
        "boss",
    )
    assert WarehouseSettings.env_name("data_dir") == "LIANXI_WAREHOUSE_DATA_DIR"
    assert WarehouseSettings.env_name("warehouse_admin_user") == "LIANXI_WAREHOUSE_ADMIN_USER"


def test_one_placeholder_rule_names_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIANXI_ENV", "production")
    monkeypatch.setenv("LIANXI_WAREHOUSE_READER_PASSWORD", "a-real-one-5e1")
    settings = PlatformSettings()
    with pytest.raises(
        ValueError, match="development: LIANXI_WAREHOUSE_WRITER_PASSWORD \\(set real"
    ):
        settings.refuse_placeholders("warehouse_reader_password", "warehouse_writer_password")
    monkeypatch.setenv("LIANXI_ENV", "development")
    PlatformSettings().refuse_placeholders("warehouse_writer_password")


def test_unset_env_means_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIANXI_ENV", raising=False)
    assert PlatformSettings(_env_file=None).env == "production"
