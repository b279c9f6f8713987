"""Settings of the stream worker (env prefix LIANXI_); the shared ones (env, Kafka and
warehouse endpoints, topic prefix, users) come from core/settings.py."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from core.settings import REPO_ROOT, PlatformSettings
from ingest import contracts

# The catalogue's domains and topic names, as ingest's contracts define them: one place.
DOMAINS: tuple[str, ...] = tuple(contracts.domains())


class StreamsSettings(PlatformSettings):
    """What `lianxi stream`, `lianxi replay` and `lianxi dlq` read beyond the shared settings."""

    streams_group_id: str = "lianxi-streams"
    streams_replay_group_id: str = "lianxi-replay"

    streams_raw_database: str = "raw"

    # One insert per batch: large enough to amortise the round trip, small enough that the
    # time bound (not the size) decides freshness at low rates.
    streams_batch_size: int = Field(20000, ge=1)
    streams_batch_seconds: float = Field(0.5, gt=0)
    # Bytes one fetch may bring per partition: a batch's worth of typical events.
    streams_fetch_partition_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    # Far above any catalogue event (ticket descriptions stop at 2000 characters), far below
    # the broker's 1 MiB message limit, so the dead-letter copy always fits.
    streams_max_event_bytes: int = Field(64 * 1024, ge=1024)
    streams_retry_max_seconds: float = Field(5.0, gt=0)
    streams_drain_seconds: float = Field(10.0, ge=0)
    # A worker killed with -9 holds its partitions until the broker gives up on it; 10 s keeps
    # the restart short while staying well above the 3 s heartbeat.
    streams_session_timeout_seconds: float = Field(10.0, ge=6)
    # gen0 threshold of the garbage collector in the worker (0: Python's default, 700). Every
    # record allocates a dozen objects, so the default collects hundreds of times per batch.
    streams_gc_gen0_threshold: int = Field(50000, ge=0)
    # Processes `lianxi replay` loads with (0: one per core). Replay is CPU-bound Python.
    streams_replay_processes: int = Field(0, ge=0)
    # Records per replay insert at most (per domain; a loader buffers twice this over all its
    # domains). Larger than the worker's: every insert writes a part per month it touches.
    streams_replay_batch_size: int = Field(60000, ge=1)
    # Faust's own data directory (one per app id under it; empty with the memory store).
    streams_data_dir: Path = REPO_ROOT / "var" / "streams"
    streams_metrics_port: int = 9464
    streams_metrics_enabled: bool = True

    def topic(self, domain: str) -> str:
        return f"{self.kafka_topic_prefix}{contracts.TYPE_PREFIX}{domain}"

    @property
    def deadletter_group_id(self) -> str:
        return f"{self.streams_group_id}-deadletters"

    @property
    def deadletter_topic(self) -> str:
        return f"{self.kafka_topic_prefix}{contracts.DEADLETTER_TOPIC}"

    def domain_of_topic(self, topic: str) -> str | None:
        prefix = f"{self.kafka_topic_prefix}{contracts.TYPE_PREFIX}"
        if topic.startswith(prefix) and topic[len(prefix) :] in DOMAINS:
            return topic[len(prefix) :]
        return None

    def check_secrets(self) -> None:
        # The worker writes as the writer; only `lianxi replay --from-beginning` uses the admin:
        # emptying tables is DDL, which the writer role may not do.
        self.refuse_placeholders("warehouse_writer_password", "warehouse_admin_password")


@lru_cache
def get_settings() -> StreamsSettings:
    settings = StreamsSettings()
    settings.check_secrets()
    return settings
