"""Run one measurement in a fresh interpreter and collect its time and peak memory.

Each child is started with ``subprocess.Popen`` and reaped with ``os.wait4``, which returns that
child's own ``rusage`` (``ru_maxrss``, user and system CPU). ``RUSAGE_CHILDREN`` would give the
largest child so far, not this one's, once several children have run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    """One child run: in-process seconds of the work, process wall time, peak RSS."""

    task: str
    seconds: float  # the work alone (imports done before the clock started)
    cpu: float  # CPU seconds of the work alone
    process_seconds: float  # the whole process, interpreter start and imports included
    peak_mb: float  # ru_maxrss of the child
    baseline_mb: float  # RSS once the imports were done, before the work
    extra: dict[str, float] = field(default_factory=dict)


def run_child(task: str, path: Path, arg: str = "", *, cwd: Path) -> Sample:
    """Run ``python -m benchmarks.child TASK PATH ARG`` in ``cwd`` and measure it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SHEETSYNC_CONFIG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.child", task, str(path.resolve()), arg],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # reaps the child: its own rusage
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{task} {path.name} failed ({proc.returncode}): {stderr[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return Sample(
        task=task,
        seconds=result["seconds"],
        cpu=result["cpu"],
        process_seconds=elapsed,
        peak_mb=usage.ru_maxrss / 1024,
        baseline_mb=result["rss_before_kb"] / 1024,
        extra=result.get("extra", {}),
    )


def run_command(task: str, args: Sequence[str], *, cwd: Path) -> Sample:
    """Run ``python -m sheetsync ARGS`` in ``cwd`` as a user does: nothing loaded beforehand,
    so the command loads what it needs as it goes (and overlaps what it can). ``seconds`` and
    ``process_seconds`` are both the whole process; ``cpu`` is its user + system time."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SHEETSYNC_CONFIG", None)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sheetsync", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"sheetsync {' '.join(args)} failed: {stderr[-2000:]}")
    return Sample(
        task=task,
        seconds=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        process_seconds=elapsed,
        peak_mb=usage.ru_maxrss / 1024,
        baseline_mb=0.0,
    )


@dataclass(frozen=True)
class Summary:
    """Medians over repeats of one task."""

    task: str
    n: int
    seconds: float
    cpu: float
    process_seconds: float
    peak_mb: float
    baseline_mb: float
    spread: tuple[float, float]  # min and max of ``seconds``
    extra: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return asdict(self)


def summarise(samples: Sequence[Sample]) -> Summary:
    """Median of each figure over the samples of one task."""
    secs = [s.seconds for s in samples]
    keys: set[str] = set().union(*(s.extra for s in samples))
    return Summary(
        task=samples[0].task,
        n=len(samples),
        seconds=statistics.median(secs),
        cpu=statistics.median(s.cpu for s in samples),
        process_seconds=statistics.median(s.process_seconds for s in samples),
        peak_mb=statistics.median(s.peak_mb for s in samples),
        baseline_mb=statistics.median(s.baseline_mb for s in samples),
        spread=(min(secs), max(secs)),
        extra={k: statistics.median(s.extra[k] for s in samples if k in s.extra) for k in keys},
    )


def median_ratio(pairs: Iterable[tuple[float, float]]) -> float:
    """Median of per-repeat ratios ``a / b`` (each pair measured in the same repeat)."""
    ratios = [a / b for a, b in pairs if b > 0]
    return statistics.median(ratios) if ratios else float("nan")
