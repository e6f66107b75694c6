"""The cycle collector pauses: state restored afterwards, even on error; what a module load
made is moved out of the collector's sight, and the check command loads its modules so."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from sheetsync import gcpause


def test_paused_restores_the_collector_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():  # re-entrant: the inner block leaves it paused
            pass
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


def test_loading_freezes_what_was_made_and_turns_the_collector_back_on() -> None:
    before = gc.get_freeze_count()
    try:
        with gcpause.loading():
            made = [[i] for i in range(1000)]
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(made)
    finally:
        gc.unfreeze()  # this test process goes on: let the collector see them again


def test_check_loads_pandas_with_the_collector_paused_once() -> None:
    """In a fresh process, as `sheetsync check` runs: the collector runs no collection while
    pandas loads, and the objects of the modules loaded are frozen."""
    code = """
import gc, sys
runs = []
gc.callbacks.append(lambda phase, info: phase == "start" and runs.append("pandas" in sys.modules))
from sheetsync.commands.common import settings_for
frozen = gc.get_freeze_count()
settings_for(None)
assert "pandas" in sys.modules
assert gc.get_freeze_count() > frozen + 50_000, gc.get_freeze_count()
print(sum(1 for loaded in runs if loaded))
"""
    # Collections after pandas is in sys.modules: none while it loads, at most a few after.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert int(out) <= 2, out
