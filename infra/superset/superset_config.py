"""Superset's configuration for Lianxi, loaded by Superset through SUPERSET_CONFIG_PATH.

Everything comes from the LIANXI_ settings (infra/config.py), so the stack, the tests and a
production deployment configure Superset the same way: by environment variables.
"""

import secrets
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from superset.config import THEME_DEFAULT as _SUPERSET_THEME

from infra.config import get_settings
from infra.superset.security_manager import LianxiSecurityManager

_settings = get_settings()
_home = _settings.var_dir / "superset"
_home.mkdir(parents=True, exist_ok=True)

# get_settings() has already refused the development default outside LIANXI_ENV=development.
SECRET_KEY = _settings.superset_secret_key

# SQLite is enough for one machine; production points this at PostgreSQL via the env var.
SQLALCHEMY_DATABASE_URI = _settings.superset_database_uri or (
    f"sqlite:///{_home / 'superset.db'}?check_same_thread=false"
)

# SQLite (one machine): every request writes its row of Superset's event log (the audit of who
# opened what) and a dashboard load writes its filter state. In SQLite's default rollback
# journal each of those writes locks every reader out and syncs to disk, so a dashboard's
# parallel chart requests queue behind one another's log rows. Write-ahead logging lets
# readers go on during a write, and synchronous=NORMAL syncs at checkpoints instead of at
# every commit (a power cut may lose the last few commits, never corrupt the database).
# tests/perf/bench_browser.py measured it; PostgreSQL in production needs neither.
if SQLALCHEMY_DATABASE_URI.startswith("sqlite:"):

    @event.listens_for(Engine, "connect")
    def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
        if isinstance(connection, sqlite3.Connection):  # not the warehouse's engines
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    # SQLAlchemy 1.4 opens a new SQLite connection per session (NullPool): a pool of them
    # (check_same_thread=false above) spares every request that connect and its pragmas.
    SQLALCHEMY_ENGINE_OPTIONS = {"poolclass": QueuePool, "pool_size": 10, "max_overflow": 10}


# The dashboards' readers are district and street officials: Chinese first.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}

FEATURE_FLAGS = {
    # Street and community secretaries see only their own dashboards' rows and objects.
    "DASHBOARD_RBAC": True,
    # Jinja in virtual datasets lets RLS clauses refer to the current user.
    "ENABLE_TEMPLATE_PROCESSING": True,
    # Dashboards can be shown inside the district's own portal, but only with a guest-token
    # secret of our own: Superset's default one is public, so anyone could sign a guest.
    "EMBEDDED_SUPERSET": _settings.superset_embedding,
    "ALERT_REPORTS": False,
}

# get_settings() has refused a placeholder or Superset's default outside development. Without
# a secret, guest tokens get a random one no one knows, so even a flag turned on elsewhere
# (env override, a later edit) cannot admit tokens signed with the published default.
_nobody_knows = secrets.token_urlsafe(48)
GUEST_TOKEN_JWT_SECRET = _settings.superset_guest_token_secret or _nobody_knows

# Tests and the provisioning code call the REST API with a session: a CSRF token fetched once
# from /api/v1/security/csrf_token/ must stay valid for the whole run.
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None

# Live tiles refresh every minute; a short data cache keeps them live and the warehouse calm.
if _settings.superset_redis_url:
    # Several gunicorn workers or hosts must share one cache and one rate-limit counter.
    CACHE_CONFIG = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": _settings.superset_redis_url,
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_KEY_PREFIX": "lianxi_superset_",
    }
    DATA_CACHE_CONFIG = {**CACHE_CONFIG, "CACHE_DEFAULT_TIMEOUT": 60}
    RATELIMIT_STORAGE_URI = _settings.superset_redis_url
else:
    CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
    DATA_CACHE_CONFIG = {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(_home / "cache"),
        "CACHE_DEFAULT_TIMEOUT": 60,
    }
    RATELIMIT_STORAGE_URI = "memory://"

ROW_LIMIT = 50000

if _settings.development:
    # Plain http on 127.0.0.1; production sits behind TLS and keeps Talisman's defaults.
    TALISMAN_ENABLED = False
    CONTENT_SECURITY_POLICY_WARNING = False
    SESSION_COOKIE_SECURE = False

# Charts appear drawn, without ECharts' one-second entry animation: on a leader's screen the
# figures are there at once, and a dashboard of 18 charts no longer animates them all on the
# browser's one main thread while the rest are still arriving (bench_browser). Superset's own
# theme is kept; only the chart option is added (Superset merges it into every ECharts chart).
THEME_DEFAULT = {**_SUPERSET_THEME, "echartsOptionsOverrides": {"animation": False}}

# Superset's lookup of a user's readable datasets, asked index-first (see the module).
CUSTOM_SECURITY_MANAGER = LianxiSecurityManager
