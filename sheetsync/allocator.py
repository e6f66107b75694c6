"""Large blocks in their own memory mappings (glibc), so that memory freed is given back.

glibc's malloc serves blocks of 128 KB and more from their own mappings at first, but each
time such a block is freed it raises that threshold to the block's size (up to 32 MB). A sync
inflates a 12 MB sheet early on; from then on calamine's grid, the sheet's scans and the
deflate buffers are carved out of the heap, and what they free stays there as holes that
later steps cannot use: 20 MB and more of a 20,000-row sync's peak. Fixing the threshold at a
megabyte keeps every block of that size or more in a mapping of its own, returned to the
system when freed. Other C libraries (macOS, Windows, musl) are left as they are.
"""

from __future__ import annotations

import sys

MMAP_THRESHOLD = 1 << 20  # bytes
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def large_blocks_mapped() -> bool:
    """Set glibc's mmap threshold to :data:`MMAP_THRESHOLD`; False where there is no glibc
    (or it refused). Call once, early: the threshold holds for the rest of the process."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
