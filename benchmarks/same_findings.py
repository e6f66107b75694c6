"""Prove that a speed-up changed nothing: ``check`` of the same trackers with two checkouts.

``python -m benchmarks.same_findings --against ../before`` checks the generated 200- and
2,000-row trackers and every tracker of ``tests/real_trackers`` on four days, with this
checkout's code and with the code of ``../before`` (each in its own process), and compares
what each saw: the ``check --format json`` object, a digest of the typed frame (columns,
dtypes and every value) and the cell problems and skipped rows. It prints the entries that
differ and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO
from benchmarks.trackers import cached_tracker

OUT = Path(__file__).resolve().parent / "out"
DAYS = (dt.date(2026, 3, 16), dt.date(2026, 6, 1), dt.date(2025, 12, 24), dt.date(2027, 1, 4))
KINDS = (".xlsx", ".csv", ".ods")


def trackers() -> list[Path]:
    """The benchmark trackers and the real-tracker corpus."""
    generated = [cached_tracker(OUT / "cache", n) for n in (200, 2000)]
    real = sorted(p for p in (REPO / "tests" / "real_trackers").iterdir() if p.suffix in KINDS)
    return [*generated, *real]


def seen(paths: list[Path]) -> dict[str, Any]:
    """What ``check`` sees of each tracker on each day, with the code this process imports."""
    import warnings

    import sheetsync
    from sheetsync.config import Settings

    warnings.simplefilter("ignore")
    out: dict[str, Any] = {}
    for path in paths:
        for day in DAYS:
            key = f"{path.name}@{day}"
            try:
                checked = sheetsync.check(path, today=day, settings=Settings())
            except sheetsync.SheetsyncError as exc:
                out[key] = f"{type(exc).__name__}: {exc}"
                continue
            df = checked.tracker.df
            digest = hashlib.sha256(repr([list(df.columns), [str(t) for t in df.dtypes]]).encode())
            digest.update(df.to_csv().encode())
            out[key] = {
                "json": checked.to_json(),
                "frame": digest.hexdigest(),
                "problems": [repr(p) for p in checked.tracker.problems],
                "skipped": {str(k): v for k, v in checked.tracker.skipped.items()},
            }
    return out


def run(code_dir: Path, paths: list[Path], into: Path) -> dict[str, Any]:
    """``seen`` in a fresh process importing sheetsync from ``code_dir``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code_dir.resolve()), str(REPO)]))
    env.pop("SHEETSYNC_CONFIG", None)
    argv = [sys.executable, str(Path(__file__).resolve()), "--dump", str(into)]  # not -m:
    # the working directory would come first on sys.path and hide code_dir's sheetsync
    subprocess.run([*argv, *map(str, paths)], env=env, cwd=into.parent, check=True)
    result: dict[str, Any] = json.loads(into.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> None:
    """Compare this checkout with ``--against``; or (``--dump``) write what one code sees."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.same_findings")
    p.add_argument("--against", type=Path, help="the other checkout")
    p.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    p.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.dump:
        args.dump.write_text(json.dumps(seen(args.paths), default=str), encoding="utf-8")
        return
    if args.against is None:
        p.error("--against DIR is required")
    paths = trackers()
    with tempfile.TemporaryDirectory() as folder:
        this = run(REPO, paths, Path(folder) / "this.json")
        other = run(args.against, paths, Path(folder) / "other.json")
    differ = sorted(k for k in this.keys() | other.keys() if this.get(k) != other.get(k))
    findings = sum(len(v["json"]["findings"]) for v in this.values() if isinstance(v, dict))
    print(
        f"{len(this)} tracker-days ({len(paths)} trackers × {len(DAYS)} days), {findings} findings"
    )
    for key in differ:
        print(f"differs: {key}")
    print("identical" if not differ else f"{len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
