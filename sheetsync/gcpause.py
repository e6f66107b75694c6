"""Pause Python's cycle collector while building many small objects.

Building tens of thousands of findings or cells allocates a tuple or list each, and every 700
allocations CPython runs a collection; now and then a full one, which walks every object the
process holds — for a 100,000-row tracker, the whole grid. None of those objects form cycles,
so the walks find nothing. Pausing the collector for the build (and restoring its state
afterwards, even on error) removes that cost; anything cyclic made meanwhile is collected at
the next collection as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cycle collector inside the ``with`` block (re-entrant; restores the state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
