"""`sheetsync.allocator`: with glibc, blocks of a megabyte or more get mappings of their own, so
what a step frees is given back even when a small block allocated later is still in use."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from sheetsync import allocator

HOLES = """
import sys
from sheetsync.allocator import large_blocks_mapped

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

if sys.argv[1] == "mapped":
    assert large_blocks_mapped()
big = bytearray(16 << 20)  # like an inflated sheet: mapped, then freed...
del big  # ...which raises glibc's own threshold to 16 MB
before = rss_mb()
blocks = [bytearray(2 << 20) for _ in range(12)]  # 24 MB of 2 MB blocks, each touched
keep = bytearray(100_000)  # a small block after them, still in use
del blocks
print(rss_mb() - before)
"""


def held_after_free(how: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", HOLES, how], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc's mallopt",
)
@pytest.mark.skipif(
    any(k == "GLIBC_TUNABLES" or k.startswith("MALLOC_") for k in os.environ),
    reason="malloc tuned from the environment: the default this compares with is not glibc's",
)
def test_freed_megabytes_go_back_to_the_system_only_when_mapped() -> None:
    assert held_after_free("default") > 20  # the freed blocks stay in the heap, resident
    assert held_after_free("mapped") < 4


def test_elsewhere_nothing_is_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert allocator.large_blocks_mapped() is False
