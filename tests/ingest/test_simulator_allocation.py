"""The exact splits behind the seed's figures: always the exact total, never past a cap."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.simulator.allocation import fill_to_total, split_exact


@given(
    st.integers(0, 100_000), st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=200)
)
def test_split_exact_hits_the_total(total, weights):
    if sum(weights) <= 0:
        with pytest.raises(ValueError):
            split_exact(total, weights)
        return
    parts = split_exact(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


@given(st.lists(st.integers(0, 8), min_size=1, max_size=100), st.data())
def test_fill_to_total_respects_caps(caps, data):
    total = data.draw(st.integers(0, sum(caps)))
    start = [data.draw(st.integers(-2, 10)) for _ in caps]
    counts = fill_to_total(random.Random(1), start, caps, total)
    assert sum(counts) == total
    assert all(0 <= c <= cap for c, cap in zip(counts, caps, strict=True))


def test_split_exact_with_tiny_weights():
    assert split_exact(100_000, [5e-324, 5e-324, 0.0]) == [50_000, 50_000, 0]


def test_fill_to_total_refuses_the_impossible():
    with pytest.raises(ValueError, match="cannot reach"):
        fill_to_total(random.Random(1), [0, 0], [1, 1], 3)
