"""One measurement, run in a fresh interpreter: ``python -m benchmarks.child TASK PATH [ARG]``.

Imports happen before the clock starts, so ``seconds`` is the work alone; the parent adds the
whole process's wall time and peak memory (from ``os.wait4``). The result is one JSON line on
stdout. Tasks:

* ``floor``      ``openpyxl.load_workbook(PATH)`` + ``save(ARG)`` — the in-place write floor;
* ``openpyxl-read`` ``load_workbook(read_only=True, data_only=True)``, every row iterated;
* ``calamine-read`` python-calamine, every sheet to Python values — the reader ``check`` uses;
* ``check`` / ``sync``  the ``sheetsync`` command itself (``--today`` fixed), output discarded.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import TODAY  # not benchmarks.trackers: that imports openpyxl


def floor(path: str, out: str) -> dict[str, float]:
    """A bare openpyxl round trip: load the workbook, save it to ``out``."""
    import openpyxl

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    loaded = time.perf_counter()
    wb.save(out)
    return {"load": loaded - start, "save": time.perf_counter() - loaded}


def openpyxl_read(path: str, _: str) -> None:
    """Read every cell's value with openpyxl's read-only mode."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()


def calamine_read(path: str, _: str) -> None:
    """Read every sheet's values with python-calamine, from the file's bytes."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes()))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _cli(command: str) -> Callable[[str, str], dict[str, float] | None]:
    def run(path: str, _: str) -> None:
        from sheetsync.cli import main

        args = [command, path, "--today", TODAY.isoformat(), "--format", "json"]
        if command == "check":
            args.append("--exit-zero")
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(args)
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise RuntimeError(f"sheetsync {command} exited {exc.code}") from None

    return run


TASKS: dict[str, Callable[[str, str], dict[str, float] | None]] = {
    "floor": floor,
    "openpyxl-read": openpyxl_read,
    "calamine-read": calamine_read,
    "check": _cli("check"),
    "sync": _cli("sync"),
}
PRELOAD = {
    "floor": ["openpyxl"],
    "openpyxl-read": ["openpyxl"],
    "calamine-read": ["python_calamine"],
    "check": ["sheetsync.cli", "sheetsync.pipeline", "sheetsync.backends.xlsx"],
    "sync": ["sheetsync.cli", "sheetsync.pipeline", "sheetsync.backends.xlsx"],
}


def _preload(task: str) -> None:
    import importlib

    for module in PRELOAD[task]:
        importlib.import_module(module)
    if task in ("check", "sync"):  # what the commands import lazily on first use
        import python_calamine  # noqa: F401

        from sheetsync import frame, layout, rules  # noqa: F401


def main(argv: list[str]) -> None:
    """Run one task; print ``{"seconds", "cpu", "rss_before_kb", "rss_peak_kb", "extra"}``."""
    task, path = argv[0], argv[1]
    arg = argv[2] if len(argv) > 2 else ""
    _preload(task)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    extra = TASKS[task](path, arg) or {}
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"seconds": wall, "cpu": cpu, "rss_before_kb": rss_before, "rss_peak_kb": peak}
    print(json.dumps({**result, "extra": extra}))


if __name__ == "__main__":
    main(sys.argv[1:])
