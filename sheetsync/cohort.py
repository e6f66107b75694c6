"""Reading a cohort's trackers: each one checked and summarised on its own, in parallel.

``sheetsync export --cohort`` reads many trackers; each is independent of the others, so they
are shared out over a pool of worker processes (one a core) and the summaries come back in
the order the sources were given, exactly as a one-by-one loop would return them. A worker
sends back only the student's figures and the number of open actions (no action list, no
contact table, no grid), so memory stays flat however many trackers there are. A failure in
one tracker is recorded for it, never raised (see :func:`sheetsync.advisor.run.try_source`).

The pool needs the ``fork`` start method (Linux): workers inherit the imported modules and
the settings instead of importing everything again. Elsewhere, or for a few trackers, the
trackers are read one by one in this process.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sheetsync.advisor.cohort import SourceFailure
from sheetsync.advisor.report import StudentReport
from sheetsync.advisor.run import try_source
from sheetsync.config import Settings

MIN_PARALLEL = 4  # fewer trackers than this are read in this process (a pool costs ~0.1 s)
# Trackers a worker takes at a time: few, so that at the end no core waits long for the other
# (4 trackers of 200 rows are ~0.3 s), yet enough to make each hand-over cheap.
CHUNK = 4


@dataclass(frozen=True)
class _Job:
    """What every worker needs besides the source (inherited through ``fork``)."""

    settings: Settings
    today: dt.date
    since: dt.date | None
    redact: bool | None


_job: _Job | None = None  # set in the parent just before the pool forks


def read_all(
    sources: Sequence[str],
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None = None,
    redact: bool | None = None,
    workers: int | None = None,
) -> list[StudentReport | SourceFailure]:
    """Each source's report (or why it could not be read), in the order of ``sources``.

    ``workers``: processes to use (default: one a core); 1 reads one by one in this process.
    """
    count = workers or _cores()
    job = _Job(settings, today, since, redact)
    if count <= 1 or len(sources) < MIN_PARALLEL or not _can_fork():
        return [_read(job, source) for source in sources]
    # The first tracker is read here, before the fork: this process then holds every module a
    # reader loads on first use (calamine, the backends, holidays), and the workers inherit
    # them instead of each importing them again.
    first = _read(job, sources[0])
    return [first, *_read_in_pool(job, sources[1:], min(count, len(sources) - 1))]


def _read_in_pool(
    job: _Job, sources: Sequence[str], workers: int
) -> list[StudentReport | SourceFailure]:
    global _job
    _job = job
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            chunk = max(1, min(CHUNK, len(sources) // (workers * 4)))
            return list(pool.map(_read_inherited, sources, chunksize=chunk))
    finally:
        _job = None


def _read_inherited(source: str) -> StudentReport | SourceFailure:
    assert _job is not None  # set before the fork
    return _read(_job, source)


def _read(job: _Job, source: str) -> StudentReport | SourceFailure:
    return try_source(source, job.settings, job.today, job.since, job.redact)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
