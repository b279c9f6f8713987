"""Runs the API under uvicorn: one process by default (one producer shared by all requests),
or LIANXI_API_WORKERS processes that each build the app from the environment."""

from __future__ import annotations

from ingest.config import IngestSettings


def serve(settings: IngestSettings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from ingest.api.app import create_app

    workers = settings.api_workers
    uvicorn.run(
        "ingest.api.app:create_app" if workers > 1 else create_app(settings),
        factory=workers > 1,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Kafka acks arrive on the producer's thread; a clean shutdown flushes them.
        timeout_graceful_shutdown=15,
    )
