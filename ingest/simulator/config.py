"""Settings of the simulator: the shared settings (core/settings.py) plus its own, env prefix
LIANXI_SIMULATOR_; the producer's Kafka settings come from ingest.config."""

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import PlatformSettings

SEED_FILE = Path(__file__).with_name("seed.yaml")


class SimulatorSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="LIANXI_SIMULATOR_")

    # Empty means the default_seed written in seed.yaml, so the acceptance story never drifts.
    seed: int | None = None
    # Seconds between progress lines.
    progress_interval_s: Annotated[float, Field(gt=0)] = 1.0
    # Load events start here (UTC epoch seconds; default 2026-01-01 00:00 Asia/Shanghai), after
    # the seed year (2025), so a load run reads as the following year's traffic.
    load_start_epoch: int = 1767196800
