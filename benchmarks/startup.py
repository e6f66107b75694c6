"""What starting sheetsync costs: whole processes, timed side by side in the same run.

* ``python -c pass``: the interpreter alone, the floor of every command;
* ``import sheetsync``: the library, before any of it is used;
* ``sheetsync --help``;
* ``sheetsync check`` of a 200-row tracker, next to ``pandas.read_excel(engine="calamine")``
  of the same file: the cheapest way a script could even look at the sheet.

Each command runs ``--repeats`` times, interleaved (a, b, c, a, b, c, …) so a busy machine
slows them alike; the table shows medians of wall time and of CPU time (user + system of the
child process, which a busy machine inflates less), and the ratios of check to read_excel.
Python runs as an installed package does: with its modules' bytecode cached (the warm-up
round writes it even when ``PYTHONDONTWRITEBYTECODE`` is set around the benchmark, as it is
in some sandboxes; without it every run would compile sheetsync from source)::

    python -m benchmarks.startup               # 200 rows, 9 repeats
    python -m benchmarks.startup --rows 2000 --repeats 5
    python -m benchmarks.startup --against ../before   # also check with an earlier checkout
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.trackers import TODAY, cached_tracker

OUT = Path(__file__).resolve().parent / "out"
CHECK_ARGS = ["--today", TODAY.isoformat(), "--exit-zero"]


def commands(tracker: Path) -> dict[str, list[str]]:
    """Label → argv of each process to time."""
    py = sys.executable
    read = f"import pandas; pandas.read_excel({str(tracker)!r}, engine='calamine')"
    return {
        "python -c pass": [py, "-c", "pass"],
        "import sheetsync": [py, "-c", "import sheetsync"],
        "sheetsync --help": [py, "-m", "sheetsync", "--help"],
        "pandas.read_excel(calamine)": [py, "-c", read],
        "sheetsync check": [py, "-m", "sheetsync", "check", str(tracker), *CHECK_ARGS],
    }


BEFORE = "sheetsync check (before)"


def run(argv: list[str], cwd: Path, code_dir: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from start to exit of one process (its output discarded);
    with ``code_dir``, sheetsync is imported from that checkout."""
    drop = ("SHEETSYNC_CONFIG", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if code_dir is not None:
        env["PYTHONPATH"] = str(code_dir.resolve())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def measure(
    rows: int, repeats: int, against: Path | None = None
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times per command, interleaved, after one warm-up round (file cache,
    .pyc, sheetsync's remembered holidays); with ``against``, also ``check`` with that
    checkout's code."""
    tracker = cached_tracker(OUT / "cache", rows)
    todo = commands(tracker)
    if against is not None:
        todo[BEFORE] = todo["sheetsync check"]
    times: dict[str, list[float]] = {label: [] for label in todo}
    cpus: dict[str, list[float]] = {label: [] for label in todo}
    with tempfile.TemporaryDirectory() as folder:  # no sheetsync.toml around
        for label, argv in todo.items():
            run(argv, Path(folder), against if label == BEFORE else None)
        for _ in range(repeats):
            for label, argv in todo.items():
                elapsed, cpu = run(argv, Path(folder), against if label == BEFORE else None)
                times[label].append(elapsed)
                cpus[label].append(cpu)
    return times, cpus


def table(times: dict[str, list[float]], cpus: dict[str, list[float]], rows: int) -> str:
    """Markdown: median and spread per command, and the ratios asked of sheetsync."""
    med = {label: statistics.median(t) for label, t in times.items()}
    cpu = {label: statistics.median(t) for label, t in cpus.items()}
    lines = [
        "| process | median s | min s | max s | CPU median s |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, t in times.items():
        lines.append(
            f"| {label} | {med[label]:.3f} | {min(t):.3f} | {max(t):.3f} | {cpu[label]:.3f} |"
        )
    check, read = med["sheetsync check"], med["pandas.read_excel(calamine)"]
    pairs = zip(times["sheetsync check"], times["pandas.read_excel(calamine)"], strict=True)
    per_round = statistics.median(c / r for c, r in pairs)
    cpu_ratio = cpu["sheetsync check"] / cpu["pandas.read_excel(calamine)"]
    lines += [
        "",
        f"check of {rows} rows / read_excel: {check / read:.2f}× (ratio of medians), "
        f"{per_round:.2f}× (median of per-round ratios), {cpu_ratio:.2f}× in CPU time",
        f"--help: {med['sheetsync --help']:.3f} s "
        f"({med['sheetsync --help'] - med['python -c pass']:.3f} s above the bare interpreter)",
        f"import sheetsync: {med['import sheetsync'] - med['python -c pass']:.3f} s above the "
        "bare interpreter",
    ]
    if BEFORE in med:
        lines.append(
            f"check before / read_excel: {med[BEFORE] / read:.2f}× wall, "
            f"{cpu[BEFORE] / cpu['pandas.read_excel(calamine)']:.2f}× CPU"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--against", type=Path, help="another checkout whose check to time too")
    args = parser.parse_args(argv)
    times, cpus = measure(args.rows, args.repeats, args.against)
    print(table(times, cpus, args.rows))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    OUT.mkdir(exist_ok=True)
    (OUT / "startup.json").write_text(
        json.dumps({"rows": args.rows, "times": times, "cpu": cpus}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
