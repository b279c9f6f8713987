"""The rendered supervisord.conf: what supervisor itself will parse and run."""

import configparser
import shlex
from pathlib import Path

import pytest

from infra.config import InfraSettings
from infra.services import Service
from infra.supervision import render
from infra.supervision.render import Paths


def _settings(tmp_path: Path) -> InfraSettings:
    return InfraSettings(var_dir=tmp_path, kafka_bootstrap="127.0.0.1:19092", superset_port=18088)


def test_every_service_becomes_a_supervised_program(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    services = [
        Service(name="kafka", command=["/x/lianxi", "kafka", "serve"], stopwaitsecs=60),
        Service(name="superset", command=["/x/lianxi", "superset", "serve"]),
    ]
    paths = Paths(tmp_path)
    assert render.write(settings, services, paths) is True
    assert render.write(settings, services, paths) is False  # unchanged: no reload needed

    parser = configparser.RawConfigParser()
    parser.read(paths.config)
    assert parser.get("unix_http_server", "file") == str(tmp_path / "supervisord.sock")
    kafka = parser["program:kafka"]
    assert shlex.split(kafka["command"]) == ["/x/lianxi", "kafka", "serve"]
    assert kafka["autorestart"] == "true"
    assert kafka["stopwaitsecs"] == "60"
    assert kafka["stdout_logfile"] == str(tmp_path / "log" / "kafka.log")
    assert 'LIANXI_KAFKA_BOOTSTRAP="127.0.0.1:19092"' in kafka["environment"]
    assert 'LIANXI_SUPERSET_PORT="18088"' in parser["program:superset"]["environment"]
    assert f'LIANXI_VAR_DIR="{tmp_path}"' in kafka["environment"]


def test_supervisor_parses_the_rendered_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A comma would separate variables, a quote end the value, unless quoted just right.
    var_dir = tmp_path / 'odd "dir", yes'
    monkeypatch.setenv("LIANXI_SUPERSET_SECRET_KEY", "a-secret-that-stays-in-memory")
    settings = _settings(var_dir)
    paths = Paths(var_dir)
    render.write(settings, [Service(name="kafka", command=["/x/lianxi", "kafka", "serve"])], paths)

    from supervisor.options import ServerOptions

    options = ServerOptions()
    options.configfile = str(paths.config)
    options.process_config(do_usage=False)
    [group] = options.process_group_configs
    [program] = group.process_configs
    assert program.name == "kafka"
    assert program.environment["LIANXI_VAR_DIR"] == str(var_dir)
    assert "a-secret-that-stays-in-memory" not in paths.config.read_text()
    assert program.environment["LIANXI_KAFKA_CONTROLLER_PORT"] == "19093"
    assert program.stopasgroup and program.killasgroup


def test_unrepresentable_value_is_refused_clearly(tmp_path: Path) -> None:
    from infra.errors import StackError

    var_dir = tmp_path / "both\"and'quotes"
    with pytest.raises(StackError, match="contains both quote characters"):
        render.render(_settings(var_dir), [Service(name="k", command=["x"])], Paths(var_dir))
    var_dir = tmp_path / "100%"
    with pytest.raises(StackError, match="contains '%'"):
        render.render(_settings(var_dir), [Service(name="k", command=["x"])], Paths(var_dir))
