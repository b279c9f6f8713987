"""The API's read-only warehouse connection (Open311 reads as the analyst, /v1/metrics as the
reader): one place for the endpoint and the timeouts that turn a stalled warehouse into a 503."""

from typing import Any

from ingest.config import IngestSettings


def connect(settings: IngestSettings, user: str, password: str) -> Any:
    import clickhouse_connect

    return clickhouse_connect.get_client(
        host=settings.warehouse_host,
        port=settings.warehouse_http_port,
        username=user,
        password=password,
        connect_timeout=3,
        send_receive_timeout=15,
    )
