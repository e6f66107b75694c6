"""How soon the interpreter's lock passes to a helper thread that is waiting for it.

While sheetsync's main thread runs Python, a helper thread loads the checks, deflates a part,
checks a part's XML or parses the written sheet back. Its work is C code that lets the lock go
(the import machinery's file reads, zlib, lxml, calamine), but between two calls it needs the
lock back for a moment, and at CPython's default switch interval (5 ms) it may wait that long
each time, and the main thread then waits for the helper in turn. At 1 ms the write of a
20,000-row first sync (patch, prep part, zip) took a median 0.69–0.72 s instead of
0.85–0.92 s in one process, and the whole command 2.28 s instead of 2.33 s (median of 16).
With one thread running, the interval changes nothing.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_WHILE_HELPED = 0.001  # seconds (sys.setswitchinterval)

_lock = threading.Lock()
_inside = 0  # blocks open now, in any thread
_before = 0.005  # the interval when the first of them opened


@contextmanager
def helpers_running() -> Iterator[None]:
    """Inside the block, the switch interval is at most :data:`SWITCH_WHILE_HELPED`. The
    interval is process-wide: the first block to open (in any thread) shortens it, and the
    last to close puts back what it was, so blocks may nest and overlap."""
    global _inside, _before
    with _lock:
        if not _inside:
            _before = sys.getswitchinterval()
            sys.setswitchinterval(min(_before, SWITCH_WHILE_HELPED))
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if not _inside:
                sys.setswitchinterval(_before)
