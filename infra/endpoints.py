"""Print where the local stack answers and how to log in (`make demo` ends with this)."""

import os

from infra.config import InfraSettings, get_settings


def lines(settings: InfraSettings) -> list[str]:
    warehouse = f"{settings.warehouse_host}:{settings.warehouse_http_port}"
    superset_login = (
        f"{settings.superset_admin_user} / {_shown(settings, settings.superset_admin_password)}"
    )
    rows = [
        "Lianxi (联席) local stack",
        f"  Superset (dashboards, SQL Lab)  http://127.0.0.1:{settings.superset_port}   login "
        + superset_login,
        f"  Kafka bootstrap                 {settings.kafka_bootstrap}",
        f"  Warehouse HTTP                  http://{warehouse}",
        f"  Warehouse native (clickhouse-client --port {settings.warehouse_native_port})",
        f"  Ingest API                      http://127.0.0.1:{settings.api_port}/docs",
        (
            f"  Mailbox (预警邮件, Mailpit)     http://127.0.0.1:{settings.mailpit_http_port}   "
            f"SMTP 127.0.0.1:{settings.mailpit_smtp_port}"
        ),
        "  Warehouse users (user / password):",
    ]
    for role in ("admin", "writer", "transformer", "reader", "analyst", "alerts"):
        user = _env_or_default(f"LIANXI_WAREHOUSE_{role.upper()}_USER", f"lianxi_{role}")
        password = _env_or_default(f"LIANXI_WAREHOUSE_{role.upper()}_PASSWORD", f"dev-{role}")
        rows.append(f"    {role:<12} {user} / {_shown(settings, password)}")
    if settings.development:
        # Created by `lianxi dashboards roles` (dashboards/README.md lists every one).
        rows += [
            "  Superset demo users (login / password):",
            "    区领导 district leader   leader / dev-leader",
            "    数据分析师 analyst       analyst / dev-analyst (SQL Lab, read-only warehouse user)",
            "    街道书记 street          street-s-01 … street-s-09 / dev-street-s-0N",
            "    社区书记 community       community-<community_id> / dev-community-<community_id>",
        ]
    rows.append(f"  Logs: {settings.var_dir / 'log'}   (`lianxi logs SERVICE`)")
    return rows


def _env_or_default(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _shown(settings: InfraSettings, secret: str) -> str:
    # Real secrets stay off the terminal; only the documented local defaults are printed.
    return secret if settings.development else "(from the environment)"


if __name__ == "__main__":
    for line in lines(get_settings()):
        print(line)
