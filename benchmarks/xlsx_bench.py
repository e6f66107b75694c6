"""xlsx sync side by side with a bare openpyxl load + save of the same file, in the same run.

For each size and repeat, on a fresh copy of the cached tracker, in this order:

1. ``floor``          openpyxl ``load_workbook`` + ``save`` of the original file;
2. ``calamine-read``  a bare read with the reader ``check`` uses (its own floor);
3. ``openpyxl-read``  a read-only openpyxl pass over every row (the other common reader);
4. ``check``          ``sheetsync check``;
5. ``sync-first``     ``sheetsync sync``: adds the status columns and the prep tab;
   ``sync-command``   the same first sync of another fresh copy, as a user runs it
                      (``python -m sheetsync sync``, nothing loaded beforehand: the command
                      reads the tracker while it loads pandas) — what a user waits;
6. ``floor-synced``   the openpyxl round trip again, of the synced file;
7. ``sync-noop``      ``sheetsync sync`` again: nothing to change;
8. ``sync-one-row``   one user cell edited (a reply recorded), then ``sheetsync sync``.

Every step is a fresh interpreter (:mod:`benchmarks.child`). Ratios are taken per repeat
(both sides measured back to back) and the median of the ratios is reported.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import TODAY
from benchmarks.measure import Sample, median_ratio, run_child, run_command, summarise
from benchmarks.trackers import FIRST_ROW, cached_tracker, contact_rows, is_waiting
from sheetsync.backends.xlsx_package import CellWrite, patch_cells

RESPONSE_COL = 6  # "Response?"

# (ratio name, numerator task, denominator task)
RATIOS = [
    ("sync-first / floor", "sync-first", "floor"),
    ("sync-command / floor", "sync-command", "floor"),
    ("sync-noop / floor", "sync-noop", "floor-synced"),
    ("sync-one-row / floor", "sync-one-row", "floor-synced"),
    ("check / floor", "check", "floor"),
    ("check / calamine-read", "check", "calamine-read"),
]


@dataclass
class Run:
    """One repeat's samples, by task, and what each sync did to the file."""

    samples: dict[str, Sample]
    changed: dict[str, bool]


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reply_row(n: int) -> int:
    """The sheet row of the first contact still waiting for a reply (its status will change)."""
    for i, row in enumerate(contact_rows(n)):
        if is_waiting(row):
            return FIRST_ROW + i
    raise ValueError("no waiting contact in the tracker")


def record_reply(path: Path, row: int) -> None:
    """Type "Y" into one row's Response cell, as the user would (patching only that cell)."""
    data = patch_cells(path.read_bytes(), "Contacts", {(row, RESPONSE_COL): CellWrite("Y")})
    path.write_bytes(data)


def _sync(wb: Path, run_dir: Path) -> tuple[Sample, bool]:
    before = digest(wb)
    sample = run_child("sync", wb, cwd=run_dir)
    return sample, digest(wb) != before


def _sync_command(source: Path, run_dir: Path) -> tuple[Sample, bool]:
    """The first sync of a fresh copy of ``source``, run as the ``sheetsync`` command."""
    wb = run_dir / "tracker-command.xlsx"
    shutil.copyfile(source, wb)
    before = digest(wb)
    args = ["sync", wb.name, "--today", TODAY.isoformat(), "--format", "json"]
    sample = run_command("sync-command", args, cwd=run_dir)
    return sample, digest(wb) != before


def one_repeat(
    source: Path, run_dir: Path, n: int, first_only: bool = False, command_first: bool = False
) -> Run:
    """All tasks for one repeat on a fresh copy of ``source`` (``first_only``: the floor and
    the first sync alone, back to back; ``command_first``: the first sync as the command runs
    before the preloaded child's, so that neither always follows the other)."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    wb = run_dir / "tracker.xlsx"
    shutil.copyfile(source, wb)
    scratch = str((run_dir / "floor-out.xlsx").resolve())
    s: dict[str, Sample] = {}
    changed: dict[str, bool] = {}
    s["floor"] = run_child("floor", wb, scratch, cwd=run_dir)
    if first_only:
        if command_first:
            s["sync-command"], changed["sync-command"] = _sync_command(source, run_dir)
        s["sync-first"], changed["sync-first"] = _sync(wb, run_dir)
        if not command_first:
            s["sync-command"], changed["sync-command"] = _sync_command(source, run_dir)
        return Run(s, changed)
    s["calamine-read"] = run_child("calamine-read", wb, cwd=run_dir)
    s["openpyxl-read"] = run_child("openpyxl-read", wb, cwd=run_dir)
    s["check"] = run_child("check", wb, cwd=run_dir)
    s["sync-first"], changed["sync-first"] = _sync(wb, run_dir)
    s["sync-command"], changed["sync-command"] = _sync_command(source, run_dir)
    s["floor-synced"] = run_child("floor", wb, scratch, cwd=run_dir)
    s["sync-noop"], changed["sync-noop"] = _sync(wb, run_dir)
    record_reply(wb, reply_row(n))
    s["sync-one-row"], changed["sync-one-row"] = _sync(wb, run_dir)
    return Run(s, changed)


def bench_size(
    n: int,
    cache: Path,
    work: Path,
    repeats: int,
    log: Callable[[str], None],
    first_only: bool = False,
) -> dict[str, Any]:
    """Median figures for every task at ``n`` rows, and the ratios to the floor."""
    source = cached_tracker(cache, n)
    runs = []
    for r in range(repeats):
        runs.append(one_repeat(source, work / f"xlsx-{n}-r{r}", n, first_only, r % 2 == 1))
        secs = {k: round(v.seconds, 2) for k, v in runs[-1].samples.items()}
        log(f"  xlsx {n:>7,} rows, repeat {r + 1}/{repeats}: {secs}")
    by_task: dict[str, list[Sample]] = defaultdict(list)
    for run in runs:
        for task, sample in run.samples.items():
            by_task[task].append(sample)
    return {
        "rows": n,
        "repeats": repeats,
        "file_mb": source.stat().st_size / 1e6,
        "tasks": {t: summarise(v).as_dict() for t, v in by_task.items()},
        "ratios": _ratios(runs),
        "memory_ratios": _memory_ratios(runs),
        "per_repeat": _per_repeat(runs),
        "file_changed": {k: [r.changed[k] for r in runs] for k in runs[0].changed},
    }


def _measured(runs: list[Run]) -> list[tuple[str, str, str]]:
    """The ratios whose both tasks ran."""
    return [(n, a, b) for n, a, b in RATIOS if a in runs[0].samples and b in runs[0].samples]


def _ratios(runs: list[Run]) -> dict[str, float]:
    return {
        name: median_ratio((r.samples[a].seconds, r.samples[b].seconds) for r in runs)
        for name, a, b in _measured(runs)
    }


def _per_repeat(runs: list[Run]) -> dict[str, dict[str, list[float]]]:
    """Every repeat's ratio to its own floor: work, whole process, CPU and peak memory."""
    fields = {"work": "seconds", "process": "process_seconds", "cpu": "cpu", "peak_mb": "peak_mb"}

    def ratio(r: Run, a: str, b: str, attr: str) -> float:
        return round(float(getattr(r.samples[a], attr)) / float(getattr(r.samples[b], attr)), 3)

    return {
        name: {m: [ratio(r, a, b, attr) for r in runs] for m, attr in fields.items()}
        for name, a, b in _measured(runs)
    }


def _memory_ratios(runs: list[Run]) -> dict[str, float]:
    return {
        name: median_ratio((r.samples[a].peak_mb, r.samples[b].peak_mb) for r in runs)
        for name, a, b in _measured(runs)
    }
