"""District simulator: the seed year behind the acceptance figures, and load at any scale.

Stable API (dbt, dashboard and benchmark code import it):
seed_events, expected_figures, expected_counts, expected_indicators, generate_load, default_seed.
"""

from ingest.simulator.figures import expected_figures
from ingest.simulator.load import generate_load
from ingest.simulator.seed_year import (
    default_seed,
    expected_counts,
    expected_indicators,
    seed_events,
)

__all__ = [
    "default_seed",
    "expected_counts",
    "expected_figures",
    "expected_indicators",
    "generate_load",
    "seed_events",
]
