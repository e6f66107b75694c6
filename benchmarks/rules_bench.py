"""The checks alone: CPU time of ``rules.run`` on a prebuilt frame, and of building the frame.

The tracker is read and laid out once (not timed). Then ``frame.build`` and ``rules.run`` are
each repeated and the median ``time.process_time`` is reported, with every rule's own share
(its function alone, then turning its hits into findings) to show where the rules' time goes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.trackers import TODAY


def cpu_median(func: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median CPU seconds of ``func()`` over ``repeats`` calls, and every sample."""
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        func()
        samples.append(time.process_time() - start)
    return statistics.median(samples), samples


def per_rule(tracker: Any, ctx: Any) -> dict[str, float]:
    """CPU seconds of each rule function on the frame (the rest of rules.run turns the hits
    into sorted findings)."""
    from sheetsync import rules

    out: dict[str, float] = {}
    for r in rules.selected():
        if r.missing(tracker):
            continue
        start = time.process_time()
        r.func(tracker, ctx)
        out[r.id] = time.process_time() - start
    return out


def bench_rules(path: Path, repeats: int = 5) -> dict[str, Any]:
    """Frame-building and rules CPU time on the tracker at ``path``."""
    from sheetsync import frame, layout, rules
    from sheetsync.backends.xlsx import XlsxBackend

    grid = XlsxBackend(path).read()
    lay = layout.discover(grid)
    tracker = frame.build(grid, lay)
    ctx = rules.make_context(TODAY)
    report = rules.run(tracker, ctx)
    build_cpu, build_samples = cpu_median(lambda: frame.build(grid, lay), max(repeats // 2, 1))
    rules_cpu, rules_samples = cpu_median(lambda: rules.run(tracker, ctx), repeats)
    return {
        "rows": len(tracker.df),
        "findings": len(report.findings),
        "frame_build_cpu": build_cpu,
        "frame_build_samples": build_samples,
        "rules_run_cpu": rules_cpu,
        "rules_run_samples": rules_samples,
        "per_rule_cpu": per_rule(tracker, ctx),
        "target_rules_cpu": 0.5,
    }
