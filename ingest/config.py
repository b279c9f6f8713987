"""Settings of the ingest stage: producer, topics, HTTP API, tokens, Open311 (env prefix LIANXI_).

The shared ones (env, var dir, Kafka and warehouse endpoints, users) come from core/settings.py.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from core.settings import PlatformSettings


class IngestSettings(PlatformSettings):
    """What `lianxi publish|tokens|topics|api` and the ingest API read beyond the shared settings."""

    kafka_partitions: int = Field(3, ge=1)
    kafka_replication_factor: int = Field(1, ge=1)
    # Kafka is the system of record (the warehouse is rebuilt by replay): keep events forever.
    kafka_retention_ms: int = Field(-1, ge=-1)
    kafka_deadletter_retention_ms: int = Field(-1, ge=-1)
    kafka_compression: Literal["lz4", "zstd", "gzip", "none"] = "lz4"
    # A few ms of lingering turns the API's many small sends into few produce requests.
    kafka_linger_ms: int = Field(5, ge=0)
    kafka_batch_bytes: int = Field(512 * 1024, ge=1024)
    kafka_request_timeout_ms: int = Field(10_000, ge=100)
    # Upper bound for one record to be acknowledged, retries included.
    kafka_delivery_timeout_ms: int = Field(30_000, ge=200)
    # How long send() may wait for metadata / buffer space before failing (broker down).
    kafka_max_block_ms: int = Field(5_000, ge=0)

    api_host: str = "127.0.0.1"
    # Worker processes, each with its own producer; /metrics then shows one worker's counters.
    api_workers: int = Field(1, ge=1)
    api_max_batch_events: int = Field(1000, ge=1)
    api_max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # A request whose events are not all acknowledged in this time is answered 503.
    api_ack_timeout_s: float = Field(15.0, gt=0)
    api_retry_after_s: int = Field(5, ge=1)
    # gen0 threshold of the garbage collector in API processes (0: Python's default, 700).
    api_gc_gen0_threshold: int = Field(50_000, ge=0)
    # Every refused event of a token's request becomes a lianxi.quality.event_rejected event
    # (topic lianxi.quality, raw.quality_events) before the 4xx is answered. Off only to measure
    # what recording costs (tests/perf/bench_quality.py).
    api_record_rejections: bool = True
    # How much of a refused event (or of a refused body) a rejection keeps: enough to see what
    # the publisher sent, bounded so a flood of bad 5 MB bodies cannot fill the topic.
    api_rejection_excerpt_bytes: int = Field(2048, ge=0, le=16384)
    # Empty means <var_dir>/ingest/tokens.sqlite3.
    tokens_db: Path | None = None

    open311_raw_database: str = "raw"
    # dbt's marts database: Open311 GET reads ticket status from its fct_tickets (raw events
    # when the mart is missing or has not caught up with a ticket yet).
    open311_marts_database: str = "marts"
    # Open311 GET without a token: off answers 401; on shows only category, status, times and
    # street/community names (no description, unit, resolution or ids of people).
    open311_public_read: bool = False

    @model_validator(mode="after")
    def _resolve_paths(self) -> "IngestSettings":
        if self.tokens_db is None:
            self.tokens_db = self.var_dir / "ingest" / "tokens.sqlite3"
        return self

    @property
    def tokens_path(self) -> Path:
        assert self.tokens_db is not None
        return self.tokens_db

    def check_secrets(self) -> None:
        """Refuse the documented local defaults unless LIANXI_ENV=development."""
        # Open311 reads ticket status with the read-only analyst account; GET /v1/metrics reads
        # only dbt's marts, so it uses the least-privileged account that can (the reader: SELECT
        # on marts.*, the dashboards' account), not the analyst; acks check the link key.
        self.refuse_placeholders(
            "warehouse_analyst_password", "warehouse_reader_password", "alerts_ack_secret"
        )


@lru_cache
def get_settings() -> IngestSettings:
    settings = IngestSettings()
    settings.check_secrets()
    return settings
