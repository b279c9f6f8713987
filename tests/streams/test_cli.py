"""The commands answer bad input and unreachable services with one JSON line, no traceback."""

import json
import os
import subprocess

from tests.streams.harness import LIANXI, ROOT


def _run(env, *args):
    return subprocess.run(
        [LIANXI, *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_unreachable_warehouse_is_a_json_error(free_port):
    done = _run({"LIANXI_WAREHOUSE_NATIVE_PORT": str(free_port())}, "dlq", "list")
    assert done.returncode == 1
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] in {"warehouse_error", "unreachable"} and error["message"]
    assert "Traceback" not in done.stderr


def test_invalid_setting_names_the_field():
    done = _run({"LIANXI_STREAMS_BATCH_SIZE": "zero"}, "dlq", "list")
    assert done.returncode == 2
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] == "invalid_settings" and "streams_batch_size" in error["message"]


def test_placeholder_secret_refused_outside_development():
    done = _run({"LIANXI_ENV": "production"}, "dlq", "list")
    assert done.returncode == 2
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert error["error"] == "invalid_settings" and "PASSWORD" in error["message"]
