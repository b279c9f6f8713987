"""Settings of the stream worker (env prefix LIANXI_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import refuse_placeholders
from ingest import contracts

# The catalogue's domains and topic names, as ingest's contracts define them: one place.
DOMAINS: tuple[str, ...] = tuple(contracts.domains())
REPO_ROOT = Path(__file__).resolve().parent.parent


class StreamsSettings(BaseSettings):
    """Everything `lianxi stream`, `lianxi replay` and `lianxi dlq` read from the environment."""

    model_config = SettingsConfigDict(env_prefix="LIANXI_", extra="ignore")

    env: str = "production"  # unset means production: development must be said (make, .ci/run)
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Lets tests and parallel stacks share one broker without seeing each other's topics.
    # The same variable the producers read (LIANXI_KAFKA_TOPIC_PREFIX): tests isolate topics.
    kafka_topic_prefix: str = ""
    streams_group_id: str = "lianxi-streams"
    streams_replay_group_id: str = "lianxi-replay"

    warehouse_host: str = "127.0.0.1"
    warehouse_native_port: int = 9000
    warehouse_writer_user: str = "lianxi_writer"
    warehouse_writer_password: str = "dev-writer"
    # Only `lianxi replay --from-beginning` uses it: emptying tables is DDL, which the writer
    # role may not do.
    warehouse_admin_user: str = "lianxi_admin"
    warehouse_admin_password: str = "dev-admin"
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
        if topic.startswith(prefix) and topic[len(prefix):] in DOMAINS:
            return topic[len(prefix):]
        return None

    def check_secrets(self) -> None:
        refuse_placeholders(self.env, {
            f"LIANXI_WAREHOUSE_{role.upper()}_PASSWORD": getattr(self, f"warehouse_{role}_password")
            for role in ("writer", "admin")
        })


@lru_cache
def get_settings() -> StreamsSettings:
    settings = StreamsSettings()
    settings.check_secrets()
    return settings
