"""``sheetsync export --cohort`` over many trackers: time and peak memory by cohort size.

``python -m benchmarks.cohort_bench [--sizes 100,300,500]`` copies the 200-row benchmark
tracker once per student into a temporary folder and runs the command as a whole process
(interpreter start and imports included), reaped with ``os.wait4`` for its own CPU time and
peak memory (the largest of the process and its worker processes). Each size runs twice,
alternating: with the worker pool (the default) and one tracker after another in one process.
Prints a Markdown table; the figures also go to ``benchmarks/out/cohort.json``.

``--against DIR`` also runs, in the same rounds, the code of another checkout (say an earlier
commit: ``git worktree add ../before <commit>``), so the two are compared under the same load.
``--how pool`` leaves out the one-by-one runs.
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


def main(argv: list[str] | None = None) -> None:
    """Measure each cohort size with and without the pool; print a Markdown table."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cohort_bench")
    p.add_argument("--sizes", default="100,300,500")
    p.add_argument("--rows", type=int, default=200, help="rows per tracker")
    p.add_argument("--against", type=Path, help="another checkout to run in the same rounds")
    p.add_argument("--how", default="pool,one", help="pool, one (one by one), or both")
    args = p.parse_args(argv)
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
