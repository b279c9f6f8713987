"""The API's read-only warehouse connection (Open311 reads as the analyst, /v1/metrics as the
reader): one place for the timeouts that turn a stalled warehouse into a 503."""

from typing import Any

from core import warehouse_client
from ingest.config import IngestSettings


def connect(settings: IngestSettings, role: str) -> Any:
    return warehouse_client.connect(settings, role, connect_timeout=3, send_receive_timeout=15)
