"""`lianxi up/down/status` on a private stack (own var dir, own ports): never the shared one."""

import json
import os
import socket

from infra_private_stack import PrivateStack

from infra.health import kafka_answers, port_free


def _status(stack: PrivateStack) -> dict[str, dict[str, object]]:
    result = stack.lianxi("status", "--json")
    assert result.returncode == 0, result.stderr
    return {row["service"]: row for row in json.loads(result.stdout)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_up_twice_is_harmless_and_down_leaves_nothing(private_stack: PrivateStack) -> None:
    first = private_stack.lianxi("up", "kafka")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "kafka        healthy" in first.stdout
    kafka_pid = _status(private_stack)["kafka"]["pid"]
    supervisord_pid = int((private_stack.var_dir / "supervisord.pid").read_text())

    second = private_stack.lianxi("up", "kafka")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already running" in second.stdout
    status = _status(private_stack)["kafka"]
    # Same process: the second `up` neither restarted nor duplicated the broker.
    assert status["pid"] == kafka_pid
    assert status["state"] == "RUNNING" and status["healthy"] is True
    assert kafka_answers("127.0.0.1", private_stack.ports["kafka"])
    logs = private_stack.lianxi("logs", "kafka", "-n", "200")
    assert logs.returncode == 0 and "Kafka Server started" in logs.stdout

    down = private_stack.lianxi("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert isinstance(kafka_pid, int)
    assert not _alive(kafka_pid)
    assert not _alive(supervisord_pid)
    for port in private_stack.ports.values():
        assert port_free("127.0.0.1", port), port
    assert all(row["state"] == "DOWN" for row in _status(private_stack).values())

    # Down on a stopped stack is harmless too.
    again = private_stack.lianxi("down")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "not running" in again.stdout


def test_port_already_taken_is_named_with_its_fix(private_stack: PrivateStack) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", private_stack.ports["kafka"]))
        squatter.listen()
        result = private_stack.lianxi("up", "kafka")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"port {private_stack.ports['kafka']} that kafka needs is already in use" in result.stderr
    )
    assert f"pid {os.getpid()}" in result.stderr
    assert "LIANXI_KAFKA_BOOTSTRAP" in result.stderr
    # Nothing half-started stays behind: supervisord went down with the failed start.
    assert not (private_stack.var_dir / "supervisord.pid").exists()
    assert all(row["state"] == "DOWN" for row in _status(private_stack).values())


def test_missing_kafka_jars_name_the_fix(private_stack: PrivateStack) -> None:
    private_stack.env["LIANXI_KAFKA_LIBS_DIR"] = str(private_stack.var_dir / "no-jars")
    result = private_stack.lianxi("up", "kafka")
    assert result.returncode == 1
    assert "Kafka jars missing" in result.stderr
    assert "make setup" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_service_lists_the_known_ones(private_stack: PrivateStack) -> None:
    result = private_stack.lianxi("up", "zookeeper")
    assert result.returncode == 1
    assert "unknown service(s): zookeeper" in result.stderr
    assert "kafka" in result.stderr and "superset" in result.stderr


def test_bad_setting_is_a_machine_readable_error(private_stack: PrivateStack) -> None:
    private_stack.env["LIANXI_SUPERSET_PORT"] = "not-a-port"
    result = private_stack.lianxi("status", "--json")
    assert result.returncode == 1
    error = json.loads(result.stderr)
    assert error["field"] == "LIANXI_SUPERSET_PORT"
    assert error["rule"] == "int_parsing"


def test_service_that_cannot_start_is_reported_with_its_log(private_stack: PrivateStack) -> None:
    # The JVM refuses this heap size at once, every retry: a stack that cannot come up.
    private_stack.env["LIANXI_KAFKA_HEAP"] = "lots"
    result = private_stack.lianxi("up", "kafka")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "kafka exited (FATAL) while starting" in result.stderr
    assert "Invalid maximum heap size" in result.stderr  # the log tail, shown in the message
    assert "lianxi logs kafka" in result.stderr
    assert not (private_stack.var_dir / "supervisord.pid").exists()
    assert all(row["state"] == "DOWN" for row in _status(private_stack).values())


def test_missing_java_and_maven_name_the_package_to_install(
    private_stack: PrivateStack, tmp_path
) -> None:
    # A PATH with nothing but the venv: neither java nor mvn can be found.
    private_stack.env["PATH"] = str(tmp_path)
    up = private_stack.lianxi("up", "kafka")
    assert up.returncode == 1
    assert "java not found" in up.stderr and "openjdk-17-jre-headless" in up.stderr

    private_stack.env["LIANXI_KAFKA_LIBS_DIR"] = str(tmp_path / "libs")
    fetch = private_stack.lianxi("kafka", "fetch")
    assert fetch.returncode == 1
    assert "mvn not found" in fetch.stderr and "maven" in fetch.stderr
    assert "Traceback" not in up.stderr + fetch.stderr
