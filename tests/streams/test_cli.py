"""The commands answer bad input and unreachable services with one JSON line, no traceback."""

import json

from support.process import run_lianxi


def test_unreachable_warehouse_is_a_json_error(free_port):
    done = run_lianxi({"LIANXI_WAREHOUSE_NATIVE_PORT": str(free_port())}, "dlq", "list")
    assert done.returncode == 1
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] in {"warehouse_error", "unreachable"} and error["message"]
    assert "Traceback" not in done.stderr


def test_invalid_setting_names_the_field():
    done = run_lianxi({"LIANXI_STREAMS_BATCH_SIZE": "zero"}, "dlq", "list")
    assert done.returncode == 2
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] == "invalid_settings" and "streams_batch_size" in error["message"]


def test_placeholder_secret_refused_outside_development():
    done = run_lianxi({"LIANXI_ENV": "production"}, "dlq", "list")
    assert done.returncode == 2
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] == "invalid_settings" and "PASSWORD" in error["message"]
