"""``sheetsync export --cohort`` over many trackers: time and peak memory by cohort size.

``python -m benchmarks.cohort_bench [--sizes 100,300,500]`` copies the 200-row benchmark
tracker once per student into a temporary folder and runs the command as a whole process
(interpreter start and imports included), reaped with ``os.wait4`` for its own CPU time and
peak memory (the largest of the process and its worker processes). Each size runs twice,
alternating: with the worker pool (the default) and one tracker after another in one process.
Prints a Markdown table; the figures also go to ``benchmarks/out/cohort.json``.

``--against DIR`` also runs, in the same rounds, the code of another checkout (say an earlier
commit: ``git worktree add ../before <commit>``), so the two are compared under the same load.
``--how pool`` leaves out the one-by-one runs. ``--stages N`` instead reads the tracker N
times in this process and prints the CPU milliseconds of each step a cohort line takes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO
from benchmarks.trackers import TODAY, cached_tracker

OUT = Path(__file__).resolve().parent / "out"
ONE_BY_ONE = (
    "import sys, sheetsync.cohort as c; c.MIN_PARALLEL = 10**9; "
    "from sheetsync.cli import main; sys.argv[0] = 'sheetsync'; main()"
)


def run_export(
    sources: list[Path], out: Path, *, pool: bool, code_dir: Path = REPO
) -> dict[str, float]:
    """One whole-process ``export --cohort`` with the code in ``code_dir``: wall and CPU
    seconds (the process and its workers), peak MB (the largest of them)."""
    args = ["export", "--cohort", *map(str, sources), "-o", str(out), "--today", str(TODAY)]
    code = ["-m", "sheetsync"] if pool else ["-c", ONE_BY_ONE]
    env = dict(os.environ, PYTHONPATH=str(code_dir))
    env.pop("SHEETSYNC_CONFIG", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *code, *args], cwd=out.parent, env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export --cohort of {len(sources)} trackers failed")
    return {
        "seconds": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def stages(tracker: Path, times: int) -> dict[str, float]:
    """CPU ms a tracker, by step, of what a cohort worker does (``time.process_time``; the
    first three reads, which pay for imports, are not counted)."""
    from sheetsync import frame, layout, pipeline, rules
    from sheetsync.advisor.report import student_report
    from sheetsync.config import Settings

    settings, spent = Settings(), dict.fromkeys(STAGES, 0.0)

    def timed(stage: str, step: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        result = step(*args, **kwargs)
        spent[stage] += time.process_time() - start
        return result

    for i in range(times + 3):
        if i == 3:
            spent = dict.fromkeys(STAGES, 0.0)
        grid = timed("read", pipeline.open_backend(str(tracker), settings).read)
        lay = timed("layout", layout.discover, grid)
        typed = timed("frame", frame.build, grid, lay)
        ctx = timed("holidays", rules.make_context, TODAY, country=settings.country)
        timed("rules", rules.run, typed, ctx)
        checked = pipeline.check_grid(grid, settings, TODAY)
        timed("cohort line", student_report, checked, student="s", summary=True)
    return {stage: 1000 * seconds / times for stage, seconds in spent.items()}


STAGES = ("read", "layout", "frame", "holidays", "rules", "cohort line")


def chart(results: list[dict[str, Any]]) -> str:
    """Seconds and peak MB against the number of trackers, one line per way of running (SVG)."""
    from benchmarks.svgplot import line_chart

    series: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        how = f"pool of {os.cpu_count()}" if r["pool"] else "one by one"
        name = how if r["code"] == "this" else f"{how} ({r['code']})"
        series.setdefault(f"{name}: seconds", []).append((r["trackers"], r["seconds"]))
        series.setdefault(f"{name}: peak MB", []).append((r["trackers"], r["peak_mb"]))
    return line_chart(
        series,
        title=f"export --cohort: cost against trackers ({os.cpu_count()} cores)",
        x_label="trackers in the cohort",
        y_label="seconds · peak MB",
    )


def main(argv: list[str] | None = None) -> None:
    """Measure each cohort size with and without the pool; print a Markdown table."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cohort_bench")
    p.add_argument("--sizes", default="100,300,500")
    p.add_argument("--rows", type=int, default=200, help="rows per tracker")
    p.add_argument("--against", type=Path, help="another checkout to run in the same rounds")
    p.add_argument("--how", default="pool,one", help="pool, one (one by one), or both")
    p.add_argument("--stages", type=int, help="profile N reads of one tracker by step")
    args = p.parse_args(argv)
    if args.stages:
        spent = stages(cached_tracker(OUT / "cache", args.rows), args.stages)
        print("| step | CPU ms a tracker | share |\n|---|---|---|")
        for stage, ms in spent.items():
            print(f"| {stage} | {ms:.1f} | {100 * ms / sum(spent.values()):.0f} % |")
        print(f"| all | {sum(spent.values()):.1f} | |")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    codes = [("this", REPO)] + ([("against", args.against.resolve())] if args.against else [])
    hows = [h == "pool" for h in args.how.split(",")]
    tracker = cached_tracker(OUT / "cache", args.rows)
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-cohort-"))
    results: list[dict[str, Any]] = []
    try:
        sources = [folder / f"student{i:04d}.xlsx" for i in range(1, max(sizes) + 1)]
        for source in sources:
            shutil.copyfile(tracker, source)
        for n in sizes:
            for pool in hows:
                for label, code_dir in codes:
                    out = folder / "cohort.xlsx"
                    run = run_export(sources[:n], out, pool=pool, code_dir=code_dir)
                    results.append({"trackers": n, "pool": pool, "code": label, **run})
                    print(f"  cohort {n} {label} pool={pool}: {run}", file=sys.stderr)
    finally:
        shutil.rmtree(folder)
    OUT.mkdir(exist_ok=True)
    (OUT / "cohort.json").write_text(json.dumps(results, indent=1))
    (OUT / "cohort.svg").write_text(chart(results), encoding="utf-8")
    print("| trackers | code | how | seconds | CPU s | CPU ms a tracker | peak MB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        how = f"pool of {os.cpu_count()}" if r["pool"] else "one by one"
        per = 1000 * r["cpu"] / r["trackers"]
        print(
            f"| {r['trackers']} | {r['code']} | {how} | {r['seconds']:.1f} | {r['cpu']:.1f} "
            f"| {per:.0f} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
