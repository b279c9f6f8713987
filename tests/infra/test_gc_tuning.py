"""gc_tuning.paused: no cyclic collection inside, the caller's state restored after."""

import gc

import pytest

from core import gc_tuning


def test_paused_switches_collection_off_and_restores_it():
    assert gc.isenabled()
    with gc_tuning.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_tuning.paused():
        raise RuntimeError("a failed replay")
    assert gc.isenabled()


def test_paused_leaves_collection_off_when_it_was_off():
    gc.disable()
    try:
        with gc_tuning.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
