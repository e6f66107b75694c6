"""Google Sheets: requests and cells written per sync, sheetsync vs the gspread-dataframe way.

Both run against the local Sheets API v4 emulator (``tests/sheets_emulator.py``) through the
real gspread client, each on its own copy of the same tracker in the same emulator:

* **sheetsync**: ``sync`` through :func:`sheetsync.pipeline.open_backend` (``gsheet:<id>``), with
  the prep tab disabled for the request budget, and separately with it enabled;
* **gspread-dataframe**, the usual recipe: ``open_by_key(...).worksheet("Contacts")``, read
  with ``get_as_dataframe``, put the status columns into the frame, write the whole frame back
  with ``set_with_dataframe``. It writes the very statuses sheetsync computes (worked out
  offline from an in-memory copy, so no request of it is counted).

For each: a first sync (the status columns are added), a no-op sync, and a sync after the
user typed one reply. "Cells changed" compares the stored sheet before and after, read
straight from the emulator (no request).

Run it alone with ``python -m benchmarks.google_bench --rows 200 20000`` (``--help`` for the
options); ``python -m benchmarks.run`` runs it as its Google part.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.trackers import HEADER, TODAY, contact_rows, is_waiting, last_contact
from tests.sheets_emulator import Formula, RecordedRequest, SheetsEmulator

TAB = "Contacts"
RESPONSE_COL = "F"
META = {"spreadsheets.get", "drive.files.get"}
VALUE_READS = {"spreadsheets.values.get", "spreadsheets.values.batchGet"}
VALUE_WRITES = {
    "spreadsheets.values.update",
    "spreadsheets.values.batchUpdate",
    "spreadsheets.values.append",
    "spreadsheets.values.clear",
    "spreadsheets.values.batchClear",
}
STRUCTURAL = {"spreadsheets.batchUpdate"}
EPOCH_DATE = "1899-12-30"


def sheet_rows(n: int) -> list[list[Any]]:
    """The tracker as sheet rows: header on row 1, ``Last contact`` a formula with its value."""
    import datetime as dt

    rows: list[list[Any]] = [list(HEADER)]
    for r, row in enumerate(contact_rows(n), start=2):
        serial = last_contact(row)
        value = dt.date(1899, 12, 30) + dt.timedelta(days=serial) if serial else ""
        row[HEADER.index("Last contact")] = Formula(
            f'=IF(COUNT(E{r},H{r}),MAX(E{r},H{r}),"")', value
        )
        rows.append(row)
    return rows


def plain(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows with each formula replaced by the value it shows (what a reader sees)."""
    return [[v.value if isinstance(v, Formula) else v for v in row] for row in rows]


@dataclass
class Counts:
    """What one sync cost in requests and cells."""

    metadata_reads: int = 0
    value_reads: int = 0
    value_writes: int = 0
    structural: int = 0
    other: int = 0
    cells_written: int = 0
    cells_changed: int = 0
    user_cells_changed: int = 0  # cells outside sheetsync's own columns and tab
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        """All API requests."""
        return (
            self.metadata_reads
            + self.value_reads
            + self.value_writes
            + self.structural
            + self.other
        )


def _cells_in(request: RecordedRequest) -> int:
    body = request.body or {}
    if request.op == "spreadsheets.values.update":
        return sum(len(r) for r in body.get("values", []))
    if request.op == "spreadsheets.values.batchUpdate":
        return sum(len(r) for vr in body.get("data", []) for r in vr.get("values", []))
    return 0


def count(requests: Sequence[RecordedRequest]) -> Counts:
    """Classify the recorded requests and add up the cells their bodies write."""
    c = Counts()
    for req in requests:
        op = req.op
        if op in META:
            c.metadata_reads += 1
        elif op in VALUE_READS:
            c.value_reads += 1
        elif op in VALUE_WRITES:
            c.value_writes += 1
        elif op in STRUCTURAL:
            c.structural += 1
        elif op != "oauth2.token":
            c.other += 1
        c.cells_written += _cells_in(req)
    return c


def snapshot(emu: SheetsEmulator, sid: str) -> dict[str, list[list[Any]]]:
    """Every tab's stored values (straight from the emulator, no request)."""
    return {tab: emu.values(sid, tab) for tab in emu.tabs(sid)}


Cell = tuple[str, int, int]  # tab, row, column (0-based)


def changed_cells(
    before: dict[str, list[list[Any]]], after: dict[str, list[list[Any]]]
) -> list[Cell]:
    """Cells that differ between two snapshots (missing = empty; a formula by its text, since
    the emulator evaluates only plain arithmetic and shows ``#NAME?`` for the rest)."""
    changed = []
    for tab in sorted(set(before) | set(after)):
        a, b = before.get(tab, []), after.get(tab, [])
        for r in range(max(len(a), len(b))):
            ra = a[r] if r < len(a) else []
            rb = b[r] if r < len(b) else []
            for c in range(max(len(ra), len(rb))):
                va = ra[c] if c < len(ra) else None
                vb = rb[c] if c < len(rb) else None
                if _key(va) != _key(vb):
                    changed.append((tab, r, c))
    return changed


def _key(value: Any) -> Any:
    if value is None or value == "":
        return None
    return ("formula", value.text) if isinstance(value, Formula) else value


def user_cells(changed: list[Cell], after: dict[str, list[list[Any]]]) -> int:
    """Changed cells outside sheetsync's own: not under a ``sheetsync …`` header of the
    contacts tab, and not in another tab sheetsync writes (the prep tab)."""
    header = after.get(TAB, [[]])[0] if after.get(TAB) else []
    managed = {c for c, h in enumerate(header) if str(h or "").lower().startswith("sheetsync")}
    return sum(1 for tab, _r, c in changed if tab == TAB and c not in managed)


def measured(emu: SheetsEmulator, sid: str, action: Callable[[], object]) -> Counts:
    """Run ``action`` and count its requests and what it changed in spreadsheet ``sid``."""
    before = snapshot(emu, sid)
    emu.clear_requests()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    counts = count(emu.requests)
    after = snapshot(emu, sid)
    changed = changed_cells(before, after)
    counts.cells_changed = len(changed)
    counts.user_cells_changed = user_cells(changed, after)
    counts.seconds = seconds
    return counts


# ---------------------------------------------------------------------- the two contenders


def sheetsync_sync(sid: str, *, prep: bool) -> Callable[[], object]:
    """A ``sheetsync sync`` of ``gsheet:<sid>`` (prep tab on or off)."""
    from sheetsync import pipeline
    from sheetsync.config import Settings
    from sheetsync.prep import PrepSettings

    def run() -> object:
        settings = Settings(sections={"prep": PrepSettings(enabled=prep)})
        backend = pipeline.open_backend(f"gsheet:{sid}", settings)
        return pipeline.sync(backend, settings, TODAY)

    return run


def offline_statuses(rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """The managed columns sheetsync would write for these rows: header → values (row 2 on)."""
    from sheetsync import pipeline
    from sheetsync.config import Settings
    from sheetsync.grid import Grid, Tab
    from sheetsync.status import MANAGED_COLUMNS, statuses

    settings = Settings()
    grid = Grid("memory", [Tab(TAB, plain(rows))])
    checked = pipeline.check_grid(grid, settings, TODAY)
    status_of = statuses(checked.tracker.df.index, checked.report.findings, settings.ok_status)
    out: dict[str, list[Any]] = {}
    for column in MANAGED_COLUMNS:
        values = []
        for r in range(2, len(rows) + 1):
            status = status_of.get(r)
            value = status.value(column) if status else None
            values.append(value.isoformat() if hasattr(value, "isoformat") else value)
        out[column.header] = values
    return out


def gspread_dataframe_sync(sid: str, rows: Sequence[Sequence[Any]]) -> Callable[[], object]:
    """The usual recipe: read the tab into a DataFrame, set the columns, write it all back."""
    from gspread_dataframe import get_as_dataframe, set_with_dataframe

    from sheetsync.backends.google_auth import open_client

    def run() -> object:
        ws = open_client().open_by_key(sid).worksheet(TAB)
        df = get_as_dataframe(ws)
        for header, values in offline_statuses(rows).items():
            df[header] = values[: len(df)]
        set_with_dataframe(ws, df, include_index=False, include_column_header=True, resize=True)
        return df

    return run


# ---------------------------------------------------------------------- one size


@contextmanager
def endpoint(emu: SheetsEmulator) -> Any:
    """Point ``gsheet:`` sources and ``open_client`` at the emulator for the block."""
    old = os.environ.get("SHEETSYNC_SHEETS_ENDPOINT")
    os.environ["SHEETSYNC_SHEETS_ENDPOINT"] = emu.url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SHEETSYNC_SHEETS_ENDPOINT", None)
        else:
            os.environ["SHEETSYNC_SHEETS_ENDPOINT"] = old


def reply_row(rows: Sequence[Sequence[Any]]) -> int:
    """The sheet row of the first contact waiting for a reply (its status will change)."""
    for r, row in enumerate(rows[1:], start=2):
        if is_waiting(row):
            return r
    raise ValueError("no waiting contact")


def three_syncs(
    emu: SheetsEmulator,
    sid: str,
    rows: list[list[Any]],
    make: Callable[[str, list[list[Any]]], Callable[[], object]],
) -> dict[str, Counts]:
    """First, no-op and one-row-changed syncs of one spreadsheet."""
    out = {"first": measured(emu, sid, make(sid, rows))}
    out["noop"] = measured(emu, sid, make(sid, rows))
    row = reply_row(rows)
    emu.set_cell(sid, TAB, f"{RESPONSE_COL}{row}", "Y")  # the user records a reply
    rows[row - 1][HEADER.index("Response?")] = "Y"
    out["one-row"] = measured(emu, sid, make(sid, rows))
    return out


PREP_MAX_ROWS = 2000  # the emulator's batchUpdate is too slow for a 20,000-row prep tab


def bench_google(n: int, *, prep_max_rows: int = PREP_MAX_ROWS) -> dict[str, Any]:
    """Request and cell counts at ``n`` rows for sheetsync (prep off; prep on up to
    ``prep_max_rows``) and the gspread-dataframe recipe."""
    emu = SheetsEmulator().start()
    try:
        with endpoint(emu):
            contenders: dict[str, Callable[[str, list[list[Any]]], Callable[[], object]]] = {
                "sheetsync": lambda sid, rows: sheetsync_sync(sid, prep=False),
                "sheetsync+prep": lambda sid, rows: sheetsync_sync(sid, prep=True),
                "gspread-dataframe": gspread_dataframe_sync,
            }
            if n > prep_max_rows:
                del contenders["sheetsync+prep"]
            results = {}
            for name, make in contenders.items():
                rows = sheet_rows(n)
                sid = emu.add_spreadsheet(f"{name} {n}", {TAB: rows})
                results[name] = {k: vars(v) for k, v in three_syncs(emu, sid, rows, make).items()}
            if emu.errors:
                raise RuntimeError(f"the emulator failed internally: {emu.errors!r}")
    finally:
        emu.stop()
    return {"rows": n, "results": results}


# ---------------------------------------------------------------------- the read's size


def read_bytes(n: int) -> dict[str, int]:
    """Bytes of the answer to sheetsync's one read (``spreadsheets.get`` with grid data,
    ``prettyPrint=false``), next to the two reads it replaced (metadata, then
    ``values:batchGet`` of every tab, as they were sent: indented), on a synced tracker of
    ``n`` rows; and the same two reads unindented. ``gzip`` is the size on the wire when the
    answer is compressed (Google compresses for clients that accept gzip, as ``requests``
    does; the emulator does not, so it is computed here)."""
    import gzip

    import requests

    from sheetsync.backends.gsheets import READ_FIELDS, READ_PARAMS

    emu = SheetsEmulator().start()
    try:
        with endpoint(emu):
            sid = emu.add_spreadsheet(f"bytes {n}", {TAB: sheet_rows(n)})
            sheetsync_sync(sid, prep=False)()
            base = f"{emu.url}/v4/spreadsheets/{sid}"
            one = requests.get(base, params={"fields": READ_FIELDS, "prettyPrint": "false"})
            meta_fields = READ_FIELDS[: READ_FIELDS.index(",data(")] + ")"
            sizes = {}
            for pretty in ("true", "false"):
                meta = requests.get(base, params={"fields": meta_fields, "prettyPrint": pretty})
                params: dict[str, Any] = {**READ_PARAMS, "ranges": [f"'{TAB}'"]}
                params["prettyPrint"] = pretty
                vals = requests.get(f"{base}/values:batchGet", params=params)
                sizes[pretty] = len(meta.content) + len(vals.content)
                sizes[pretty + " gzip"] = len(gzip.compress(meta.content)) + len(
                    gzip.compress(vals.content)
                )
    finally:
        emu.stop()
    parsing = parse_seconds(one.content, vals.content)
    return {
        "rows": n,
        **{k: round(v * 1000) for k, v in parsing.items()},
        "one read": len(one.content),
        "metadata + values": sizes["true"],
        "metadata + values, unindented": sizes["false"],
        "one read, gzip": len(gzip.compress(one.content)),
        "metadata + values, gzip": sizes["true gzip"],
    }


def parse_seconds(grid_answer: bytes, values_answer: bytes) -> dict[str, float]:
    """Best of three: sheetsync's CPU time to turn each answer into rows (JSON decoding
    included), for the grid data of the one read and for the ``values:batchGet`` it replaced,
    each with the cycle collector running and paused (the backend pauses it for the read)."""
    from sheetsync import gcpause
    from sheetsync.backends.gsheets import _block_rows, _grid_rows

    def best(work: Callable[[], object], paused: bool) -> float:
        times = []
        for _ in range(3):
            start = time.process_time()
            if paused:
                with gcpause.paused():
                    work()
            else:
                work()
            times.append(time.process_time() - start)
        return min(times)

    def grid() -> object:
        return [_grid_rows(s) for s in json.loads(grid_answer)["sheets"]]

    def values() -> object:
        return [_block_rows(b) for b in json.loads(values_answer)["valueRanges"]]

    return {
        "parse one read, collector paused (ms)": best(grid, True),
        "parse one read (ms)": best(grid, False),
        "parse metadata + values (ms)": best(values, False),
        "parse metadata + values, collector paused (ms)": best(values, True),
    }


# ---------------------------------------------------------------------- command line

COLUMNS = [
    ("requests", "requests"),
    ("metadata_reads", "spreadsheets.get"),
    ("value_reads", "values:batchGet"),
    ("structural", "spreadsheets:batchUpdate"),
    ("value_writes", "values:batchUpdate"),
    ("cells_written", "cells written"),
    ("cells_changed", "cells changed"),
    ("user_cells_changed", "user cells changed"),
]


def table(results: list[dict[str, Any]]) -> str:
    """Requests and cells per sync as a Markdown table (the total of requests first)."""
    from benchmarks.report import table as markdown

    header = ["rows", "who", "sync", *[label for _, label in COLUMNS], "seconds"]
    rows = []
    for size in results:
        for who, scenarios in size["results"].items():
            for scenario, c in scenarios.items():
                c = {**c, "requests": Counts(**c).requests}
                cells = [f"{c[k]:,}" for k, _ in COLUMNS]
                rows.append([f"{size['rows']:,}", who, scenario, *cells, f"{c['seconds']:.2f}"])
    return markdown(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the given sizes and print the tables (or JSON)."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.google_bench", description=__doc__)
    p.add_argument("--rows", type=int, nargs="+", default=[200], help="tracker sizes (200)")
    p.add_argument(
        "--prep-max-rows",
        type=int,
        default=PREP_MAX_ROWS,
        help=f"measure the prep tab on only up to this size ({PREP_MAX_ROWS:,})",
    )
    p.add_argument("--bytes", action="store_true", help="also the size of the read's answer")
    p.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = p.parse_args(argv)
    results = [bench_google(n, prep_max_rows=args.prep_max_rows) for n in args.rows]
    sizes = [read_bytes(n) for n in args.rows] if args.bytes else []
    if args.json:
        print(json.dumps({"google": results, "read bytes": sizes}, indent=2))
        return 0
    print(table(results))
    if sizes:
        from benchmarks.report import table as markdown

        print()
        keys = [
            "parse one read, collector paused (ms)",
            "parse one read (ms)",
            "parse metadata + values (ms)",
            "parse metadata + values, collector paused (ms)",
            "one read",
            "metadata + values",
            "metadata + values, unindented",
            "one read, gzip",
            "metadata + values, gzip",
        ]
        header = ["rows", *(k if k.endswith("(ms)") else f"{k} (bytes)" for k in keys)]
        lines = [[f"{s['rows']:,}", *(f"{s[k]:,}" for k in keys)] for s in sizes]
        print(markdown(header, lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
