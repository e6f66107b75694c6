"""Where a sync's time goes: wall time per pipeline stage, and a cProfile of the hot functions.

Run in a fresh interpreter: ``python -m benchmarks.profile_sync PATH`` prints one JSON object.
It syncs ``PATH`` twice (the first sync, then a no-op sync) with the pipeline the
``sheetsync sync`` command runs, and its allocator setting (the read happens in the pipeline
here, not beside the imports as in the command), wrapping the functions of each stage with a
timer (and noting the process's resident memory, and its peak so far, as each stage ends). A
stage entered while another is running counts towards the outer one. CPU seconds count every
thread (the verification's parse ahead and the deflating are counted in the stage they overlap).
Then it runs one more no-op sync under cProfile.
"""

from __future__ import annotations

import cProfile
import functools
import io
import json
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.trackers import TODAY

_totals: dict[str, float] = defaultdict(float)
_cpu: dict[str, float] = defaultdict(float)
_active: list[str] = []
_memory: dict[str, dict[str, float]] = {}  # stage -> RSS and peak RSS (MB) when it ended

# (module or class path, attribute, stage)
STAGES: list[tuple[str, str, str]] = [
    ("sheetsync.backends.xlsx_read", "read_bytes", "read file"),
    ("sheetsync.backends.xlsx_read", "sniff", "read file"),
    ("sheetsync.backends.xlsx_read", "inspect_package", "parse package"),
    ("sheetsync.backends.xlsx_read", "parse_tabs", "parse cells (calamine)"),
    ("sheetsync.layout", "discover", "layout"),
    ("sheetsync.frame", "build", "frame"),
    ("sheetsync.rules", "make_context", "rules (holidays)"),
    ("sheetsync.rules", "run", "rules"),
    ("sheetsync.pipeline", "statuses", "plan"),
    ("sheetsync.pipeline", "make_plan", "plan"),
    ("sheetsync.prep", "build", "prep tab"),
    ("sheetsync.pipeline", "plan_prep", "prep tab"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_patch", "patch sheet XML"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_put_prep", "patch prep part"),
    ("sheetsync.backends.xlsx_package:PackageWriter", "to_bytes", "zip the package"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_verify", "verify"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_check_unchanged", "guards (unchanged, locks)"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_check_locks", "guards (unchanged, locks)"),
    ("sheetsync.backends.xlsx:XlsxBackend", "_backup", "write (backup + file)"),
    ("sheetsync.files", "replace_tracker", "write (backup + file)"),
]


def _timed(stage: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _active:  # nested: the outer stage owns this time
            return func(*args, **kwargs)
        _active.append(stage)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            _totals[stage] += time.perf_counter() - start
            _cpu[stage] += time.process_time() - cpu
            _active.pop()
            _memory.pop(stage, None)  # kept in the order stages end (the last time each does)
            _memory[stage] = memory_mb()

    return wrapper


def memory_mb() -> dict[str, float]:
    """This process's resident memory now and its peak so far, in MB (Linux; else empty)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    try:
        return {
            "rss": int(fields["VmRSS"].split()[0]) / 1024,
            "peak": int(fields["VmHWM"].split()[0]) / 1024,
        }
    except (KeyError, ValueError, IndexError):
        return {}


def _owner(path: str) -> Any:
    import importlib

    module, _, cls = path.partition(":")
    owner = importlib.import_module(module)
    return getattr(owner, cls) if cls else owner


def install_timers() -> None:
    """Wrap every stage function where the pipeline looks it up."""
    for path, attr, stage in STAGES:
        owner = _owner(path)
        setattr(owner, attr, _timed(stage, getattr(owner, attr)))


@contextmanager
def stage_times() -> Iterator[tuple[dict[str, float], dict[str, float]]]:
    """Collect the block's stage totals, wall and CPU seconds (each with ``total``, ``other``)."""
    _totals.clear()
    _cpu.clear()
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    start, cpu_start = time.perf_counter(), time.process_time()
    yield wall, cpu
    for out, totals, total in (
        (wall, _totals, time.perf_counter() - start),
        (cpu, _cpu, time.process_time() - cpu_start),
    ):
        out.update(totals)
        out["total"] = total
        out["other"] = total - sum(totals.values())


def sync_once(path: Path) -> dict[str, Any]:
    """One sync as the command runs it (default settings); returns what it did."""
    from sheetsync import pipeline
    from sheetsync.config import load_settings

    settings = load_settings(None)
    result = pipeline.sync(pipeline.open_backend(str(path), settings), settings, TODAY)
    return {"written": result.written, "cells": len(result.plan.changes)}


def hot_functions(path: Path, limit: int = 25) -> list[dict[str, Any]]:
    """cProfile one sync of ``path``: the functions with the most cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    sync_once(path)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (file, line, name), (_cc, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(file)}:{line}({name})",
                "calls": calls,
                "tottime": tottime,
                "cumtime": cumtime,
            }
        )
    rows.sort(key=lambda r: r["cumtime"], reverse=True)
    return [r for r in rows if _interesting(r["function"])][:limit]


def _short(file: str) -> str:
    for marker in ("site-packages/", "/sheetsync/", "/benchmarks/"):
        if marker in file:
            return (
                file.split(marker, 1)[1]
                if marker == "site-packages/"
                else (marker.strip("/") + "/" + file.split(marker, 1)[1])
            )
    return Path(file).name


def _interesting(function: str) -> bool:
    boring = ("runpy", "<frozen", "profile_sync", "{built-in method builtins.exec}")
    return not any(b in function for b in boring)


def main(argv: list[str]) -> None:
    """Profile a first sync and a no-op sync of a copy of ``argv[0]``."""
    source = Path(argv[0])
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-profile-"))  # backups land here too
    work = folder / source.name
    shutil.copyfile(source, work)
    import sheetsync.cli  # noqa: F401  (imports outside the clock)
    from sheetsync import frame, layout, prep, rules  # noqa: F401
    from sheetsync.allocator import large_blocks_mapped

    large_blocks_mapped()  # as the sync command does before it reads

    install_timers()
    report: dict[str, Any] = {}
    for label in ("sync-first", "sync-noop"):
        _memory.clear()
        _memory["imports"] = memory_mb()
        with stage_times() as (wall, cpu):
            did = sync_once(work)
        report[label] = {"stages": wall, "stages_cpu": cpu, "memory_mb": dict(_memory), **did}
    report["cprofile-noop"] = hot_functions(work)
    shutil.rmtree(folder)
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
