"""Run the benchmarks: ``python -m benchmarks.run [--sizes 200,2000,20000,100000] [--quick]``.

Prints Markdown tables and writes ``benchmarks/out/results.json`` and ``growth.svg`` (cost
against rows). Generated trackers are cached in ``benchmarks/out/cache``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.measure import REPO

OUT = Path(__file__).resolve().parent / "out"
PARTS = ("xlsx", "profile", "rules", "google")
PACKAGES = (
    "pandas",
    "numpy",
    "openpyxl",
    "python-calamine",
    "lxml",
    "gspread",
    "gspread-dataframe",
    "Jinja2",
)


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument("--sizes", type=_ints, default=[200, 2000, 20000], help="xlsx tracker rows")
    p.add_argument("--repeats", type=int, help="repeats per size (default: 5, 3 at 20k, 1 at 100k)")
    p.add_argument("--google-sizes", type=_ints, default=[200, 20000])
    p.add_argument("--rules-rows", type=int, default=100000, help="rows for the checks alone")
    p.add_argument("--profile-rows", type=int, default=20000, help="rows for the stage profile")
    p.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"parts to run, of {','.join(PARTS)}; the others keep their earlier results.json",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke run)")
    p.add_argument(
        "--first-sync",
        action="store_true",
        help="xlsx: only the openpyxl round trip and the first sync, back to back (issue 17)",
    )
    p.add_argument("--out", type=Path, default=OUT, help="results folder (default benchmarks/out)")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.google_sizes = [200, 2000], [200]
        args.rules_rows, args.profile_rows, args.repeats = 2000, 2000, 1
    return args


def repeats_for(rows: int, given: int | None) -> int:
    """How many times to repeat a size: fewer for the big ones."""
    if given:
        return given
    return 5 if rows <= 2000 else 3 if rows <= 20000 else 1


def machine() -> dict[str, Any]:
    """The machine and library versions the numbers were taken on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    import os

    return {
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "commit": _commit(),
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def log(message: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def run_xlsx(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Part 1: the xlsx side-by-side runs, every size."""
    from benchmarks.xlsx_bench import bench_size

    cache, work = args.out / "cache", args.out / "work"
    return [
        bench_size(n, cache, work, repeats_for(n, args.repeats), log, args.first_sync)
        for n in args.sizes
    ]


def run_profile(args: argparse.Namespace) -> dict[str, Any]:
    """Where the time goes at ``--profile-rows``, by pipeline stage."""
    from benchmarks.trackers import cached_tracker

    path = cached_tracker(args.out / "cache", args.profile_rows)
    log(f"  profile {args.profile_rows:,} rows")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.profile_sync", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {"rows": args.profile_rows, "as-is": json.loads(done.stdout.strip().splitlines()[-1])}


def run_rules(args: argparse.Namespace) -> dict[str, Any]:
    """Part 2: the checks alone."""
    from benchmarks.rules_bench import bench_rules
    from benchmarks.trackers import cached_tracker

    log(f"  rules on {args.rules_rows:,} rows")
    return bench_rules(cached_tracker(args.out / "cache", args.rules_rows))


def run_google(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Part 3: request budget against the emulator."""
    from benchmarks.google_bench import bench_google

    results = []
    for n in args.google_sizes:
        log(f"  google {n:,} rows")
        results.append(bench_google(n))
    return results


def print_tables(results: dict[str, Any], out: Path) -> None:
    """Every table, in the order of the README."""
    sections: list[tuple[str, str]] = []
    if "xlsx" in results and "check" not in results["xlsx"][0]["tasks"]:  # --first-sync
        sizes = results["xlsx"]
        title = "xlsx: first sync / openpyxl round trip, per repeat"
        sections.append((title, report.xlsx_per_repeat(sizes)))
    elif "xlsx" in results:
        sizes = results["xlsx"]
        sections += [
            ("xlsx: seconds of work (median; imports excluded)", report.xlsx_times(sizes)),
            ("xlsx: CPU seconds of work (median)", report.xlsx_cpu(sizes)),
            ("xlsx: ratios to the openpyxl load+save floor", report.xlsx_ratios(sizes)),
            ("xlsx: per-repeat ratios to the floor", report.xlsx_per_repeat(sizes)),
            ("xlsx: peak memory (MB, whole child process)", report.xlsx_memory(sizes)),
            ("xlsx: whole-process seconds (what a user waits)", report.xlsx_process(sizes)),
            ("how cost grows with rows", report.growth(sizes)),
        ]
        picture = report.plot(sizes, out / "growth.svg") if len(sizes) > 1 else None
        if picture:
            sections.append(("plot", f"written to {picture.relative_to(REPO)}"))
    if "profile" in results:
        p = results["profile"]
        title = f"where a sync's time goes ({p['rows']:,} rows; CPU seconds)"
        sections.append((title, report.stages(p["as-is"])))
        title = f"where a sync's time goes ({p['rows']:,} rows; wall seconds)"
        sections.append((title, report.stages(p["as-is"], "stages")))
        sections.append(("hot functions (cProfile, no-op sync)", report.hot_functions(p["as-is"])))
        memory = p["as-is"].get("sync-first", {}).get("memory_mb")
        if memory:
            title = f"a first sync's memory, stage by stage ({p['rows']:,} rows, one process)"
            sections.append((title, _memory_table(memory)))
    if "rules" in results:
        sections.append(("checks alone", report.rules_table(results["rules"])))
        sections.append(("rules: most CPU", report.per_rule_table(results["rules"])))
    if "google" in results:
        sections.append(
            ("Google: requests and cells per sync", report.google_table(results["google"]))
        )
    for title, body in sections:
        print(f"\n### {title}\n\n{body}")


def _memory_table(memory: dict[str, dict[str, float]]) -> str:
    """Resident memory (MB) as each stage of the profiled first sync ended, and the peak so far
    (the peak's rise is what the stage itself held at its height)."""
    rows = [(stage, f"{m['rss']:.0f}", f"{m['peak']:.0f}") for stage, m in memory.items() if m]
    return report.table(["stage (in the order each ended)", "RSS after MB", "peak so far MB"], rows)


def main(argv: list[str] | None = None) -> None:
    """Run the chosen parts, print the tables, write results.json."""
    args = parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    args.out.mkdir(parents=True, exist_ok=True)
    keep = set(parts) != set(PARTS) and not args.first_sync
    results = _previous(args.out / "results.json") if keep else {}
    results.update({"machine": machine(), "args": _plain(vars(args))})
    started = time.perf_counter()
    runners = {"xlsx": run_xlsx, "profile": run_profile, "rules": run_rules, "google": run_google}
    for part in PARTS:
        if part in parts:
            log(f"{part} …")
            results[part] = runners[part](args)
    results["seconds"] = time.perf_counter() - started
    saved = args.out / ("first-sync.json" if args.first_sync else "results.json")
    saved.write_text(json.dumps(results, indent=2, default=str))
    print_tables(results, args.out)
    log(f"done in {results['seconds']:.0f} s; results in {saved}")


def _previous(path: Path) -> dict[str, Any]:
    """Results of an earlier run: parts not run this time keep them (``--only``)."""
    try:
        previous: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return previous


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in values.items()}


if __name__ == "__main__":
    main()
