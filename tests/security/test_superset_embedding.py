"""Superset embedding (guest tokens) is off unless a real guest-token secret is configured
(issue #16): a token signed with Superset's published default secret must never be a guest.

Imports infra/superset/superset_config.py in a subprocess under different LIANXI_ env vars, as
Superset would load it; Superset itself is not started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "infra" / "superset" / "superset_config.py"
# Superset's own default (superset/config.py), published in its source and docs.
SUPERSET_DEFAULT_GUEST_SECRET = "test-guest-secret-change-me"
REAL = "Zk3v9Qp1Lx7Wm2Nc8Rt4Yb6Hd0Jf5Ga-" + "x" * 8
PROD_SECRETS = {
    "LIANXI_SUPERSET_SECRET_KEY": "a-real-secret-key-of-the-deployment-0123456789",
    "LIANXI_SUPERSET_ADMIN_PASSWORD": "a-real-admin-password-0123",
    "LIANXI_WAREHOUSE_ADMIN_PASSWORD": "a-real-warehouse-password-0123",
}

LOAD = f"""
import importlib.util, json
spec = importlib.util.spec_from_file_location("superset_config", {str(CONFIG)!r})
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
print(json.dumps({{
    "embedded": mod.FEATURE_FLAGS["EMBEDDED_SUPERSET"],
    # Unset, Superset falls back to its own published default.
    "secret": getattr(mod, "GUEST_TOKEN_JWT_SECRET", {SUPERSET_DEFAULT_GUEST_SECRET!r}),
    "algo": getattr(mod, "GUEST_TOKEN_JWT_ALGO", "HS256"),
}}))
"""


def _load(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIANXI_")}
    return subprocess.run(
        [sys.executable, "-c", LOAD],
        check=False,
        env={**clean, "PYTHONPATH": str(ROOT), "LIANXI_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _config(tmp_path: Path, **env: str) -> dict[str, Any]:
    done = _load(tmp_path, **env)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def _forged_guest_token() -> str:
    claims = {
        "user": {"username": "x"},
        "resources": [{"type": "dashboard", "id": "1"}],
        "rls_rules": [],
        "type": "guest",
        "aud": None,
        "iat": 0,
        "exp": 2**31,
    }
    return jwt.encode(claims, SUPERSET_DEFAULT_GUEST_SECRET, algorithm="HS256")


def _accepts(config: dict[str, Any], token: str) -> bool:
    try:
        jwt.decode(
            token,
            config["secret"],
            algorithms=[config["algo"]],
            options={"verify_aud": False},
        )
    except jwt.InvalidTokenError:
        return False
    return True


def test_embedding_is_off_without_a_guest_token_secret(tmp_path: Path) -> None:
    for env in (
        {"LIANXI_ENV": "development"},
        {"LIANXI_ENV": "production", **PROD_SECRETS},
    ):
        config = _config(tmp_path, **env)
        assert config["embedded"] is False, env
        # Even were the flag turned on elsewhere, the published default secret does not sign guests.
        assert config["secret"] != SUPERSET_DEFAULT_GUEST_SECRET
        assert not _accepts(config, _forged_guest_token())


def test_embedding_is_on_with_a_configured_secret(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        LIANXI_ENV="production",
        LIANXI_SUPERSET_GUEST_TOKEN_SECRET=REAL,
        **PROD_SECRETS,
    )
    assert config["embedded"] is True and config["secret"] == REAL
    assert not _accepts(config, _forged_guest_token())
    own = jwt.encode({"type": "guest"}, REAL, algorithm="HS256")
    assert _accepts(config, own)


def test_placeholder_guest_secret_refused_outside_development(tmp_path: Path) -> None:
    for weak in (
        SUPERSET_DEFAULT_GUEST_SECRET,
        "changeme",
        "dev-superset-guest-secret",
        "short-secret",
        PROD_SECRETS["LIANXI_SUPERSET_SECRET_KEY"],
    ):
        done = _load(
            tmp_path,
            LIANXI_ENV="production",
            LIANXI_SUPERSET_GUEST_TOKEN_SECRET=weak,
            **PROD_SECRETS,
        )
        assert done.returncode != 0, weak
        assert "LIANXI_SUPERSET_GUEST_TOKEN_SECRET" in done.stderr, done.stderr[-2000:]
    # A laptop may embed with a placeholder.
    dev = _config(
        tmp_path,
        LIANXI_ENV="development",
        LIANXI_SUPERSET_GUEST_TOKEN_SECRET="dev-superset-guest-secret",
    )
    assert dev["embedded"] is True and dev["secret"] == "dev-superset-guest-secret"
