"""A warehouse HTTP client (clickhouse-connect) as one role's user: the endpoint and the user
per role come from PlatformSettings, so a stage names only the role and its timeouts."""

from typing import Any

from core.settings import PlatformSettings


def connect(settings: PlatformSettings, role: str, **options: Any) -> Any:
    """`role` is one of core.settings.ROLES; `options` go to clickhouse_connect.get_client
    (connect_timeout, send_receive_timeout, ...)."""
    import clickhouse_connect

    return clickhouse_connect.get_client(
        host=settings.warehouse_host,
        port=settings.warehouse_http_port,
        username=settings.role_user(role),
        password=settings.role_password(role),
        **options,
    )
