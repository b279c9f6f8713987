"""Runs the API under uvicorn (one process; the producer is shared by all requests)."""

from __future__ import annotations

from ingest.config import IngestSettings


def serve(settings: IngestSettings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from ingest.api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="warning",
        access_log=False,
        # Kafka acks arrive on the producer's thread; a clean shutdown flushes it.
        timeout_graceful_shutdown=15,
    )
