"""Pause Python's cycle collector while building many small objects.

Checking a large tracker allocates many short-lived objects (pandas intermediates, one tuple
per finding), and every 700 allocations CPython runs a collection; now and then a full one,
which walks every object the process holds — for a 100,000-row tracker, the whole grid of
cells. Those walks find nothing to free and made ``rules.run`` take anywhere from 0.4 to 0.7 s
on the same input. Pausing the collector for such a step (and restoring its state afterwards,
even on error) removes that cost; anything cyclic made meanwhile is collected at the next
collection as usual.
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


@contextmanager
def loading() -> Iterator[None]:
    """Pause the cycle collector while modules load, then move everything they made out of
    its sight (``gc.freeze``): a module's functions and classes live as long as the process,
    and without this every later collection would walk them all again."""
    with paused():
        yield
        gc.freeze()
