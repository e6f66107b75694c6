"""Markdown tables of the results (printed by ``run`` and pasted into the README)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

XLSX_TASKS = [
    ("floor", "openpyxl load+save"),
    ("calamine-read", "calamine read"),
    ("openpyxl-read", "openpyxl read-only"),
    ("check", "check"),
    ("sync-first", "sync (first)"),
    ("sync-command", "sync (first, as the command)"),
    ("floor-synced", "load+save (synced)"),
    ("sync-noop", "sync (no-op)"),
    ("sync-one-row", "sync (one row)"),
]
SYNC_TASKS = ["sync-first", "sync-command", "sync-noop", "sync-one-row"]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"


def _x(ratio: float) -> str:
    return "–" if math.isnan(ratio) else f"{ratio:.2f}×"


def xlsx_times(sizes: list[dict[str, Any]]) -> str:
    """Median wall seconds of the work (imports excluded) per task and size."""
    header = ["rows", "repeats", *[label for _, label in XLSX_TASKS]]
    rows = [
        [f"{s['rows']:,}", s["repeats"], *[_s(s["tasks"][t]["seconds"]) for t, _ in XLSX_TASKS]]
        for s in sizes
    ]
    return table(header, rows)


def xlsx_cpu(sizes: list[dict[str, Any]]) -> str:
    """Median CPU seconds of the work per task and size (less sensitive to a busy machine)."""
    header = ["rows", *[label for _, label in XLSX_TASKS]]
    rows = [[f"{s['rows']:,}", *[_s(s["tasks"][t]["cpu"]) for t, _ in XLSX_TASKS]] for s in sizes]
    return table(header, rows)


def xlsx_ratios(sizes: list[dict[str, Any]]) -> str:
    """Median per-repeat ratios of wall time and of peak memory to the floor."""
    names = list(sizes[0]["ratios"]) if sizes else []
    header = ["rows", *[f"time {n}" for n in names[:5]], "peak MB sync-first / floor"]
    rows = []
    for s in sizes:
        ratios = [_x(s["ratios"][n]) for n in names[:5]]
        rows.append([f"{s['rows']:,}", *ratios, _x(s["memory_ratios"]["sync-first / floor"])])
    return table(header, rows)


def xlsx_per_repeat(sizes: list[dict[str, Any]]) -> str:
    """Each repeat's ratios to its own floor (both measured back to back), so that a slow
    moment of a shared machine shows instead of hiding in a median. (``sync-command`` has no
    separate work: its work and CPU are its whole process's, imports included.)"""
    rows = []
    for s in sizes:
        for name, by in s.get("per_repeat", {}).items():
            rows.append(
                [f"{s['rows']:,}", name]
                + [
                    ", ".join(f"{v:.2f}×" for v in by[m])
                    for m in ("process", "work", "cpu", "peak_mb")
                ]
            )
    header = ["rows", "ratio", "whole process", "work (wall)", "work (CPU)", "peak memory"]
    return table(header, rows)


def xlsx_memory(sizes: list[dict[str, Any]]) -> str:
    """Peak RSS of each child (MB), and what the imports alone took."""
    tasks = ["floor", "check", *SYNC_TASKS]
    header = ["rows", *[f"{t} peak" for t in tasks], "imports: openpyxl / sheetsync"]
    rows = []
    for s in sizes:
        t = s["tasks"]
        base = f"{t['floor']['baseline_mb']:.0f} / {t['sync-first']['baseline_mb']:.0f}"
        rows.append([f"{s['rows']:,}", *[f"{t[k]['peak_mb']:.0f}" for k in tasks], base])
    return table(header, rows)


def xlsx_process(sizes: list[dict[str, Any]]) -> str:
    """Whole-process wall seconds (interpreter start and imports included): what a user waits."""
    tasks = ["floor", "check", *SYNC_TASKS]
    header = ["rows", *tasks]
    rows = [
        [f"{s['rows']:,}", *[_s(s["tasks"][t]["process_seconds"]) for t in tasks]] for s in sizes
    ]
    return table(header, rows)


def growth(sizes: list[dict[str, Any]]) -> str:
    """Milliseconds of work per 1,000 rows, and the growth exponent from the previous size."""
    tasks = ["floor", "check", *(t for t in SYNC_TASKS if t != "sync-command")]
    header = ["rows", *[f"{t} ms/1k rows" for t in tasks], "sync-first exponent"]
    rows = []
    prev: dict[str, Any] | None = None
    for s in sizes:
        per = [f"{1000 * s['tasks'][t]['seconds'] / (s['rows'] / 1000):.0f}" for t in tasks]
        exponent = "–"
        if prev is not None:
            a, b = prev["tasks"]["sync-first"]["seconds"], s["tasks"]["sync-first"]["seconds"]
            exponent = f"{math.log(b / a) / math.log(s['rows'] / prev['rows']):.2f}"
        rows.append([f"{s['rows']:,}", *per, exponent])
        prev = s
    return table(header, rows)


def stages(profile: dict[str, Any], key: str = "stages_cpu") -> str:
    """Seconds per pipeline stage (CPU by default: steadier on a busy machine) for the first
    and the no-op sync."""
    first, noop = profile["sync-first"][key], profile["sync-noop"][key]
    names = [k for k in first if k != "total"] + [k for k in noop if k not in first]
    header = ["stage", "first sync s", "share", "no-op sync s", "share"]
    rows = []
    for name in [*sorted(names, key=lambda k: -first.get(k, 0.0)), "total"]:
        row = [name, _s(first.get(name, 0.0)), _pct(first, name), _s(noop.get(name, 0.0))]
        row.append(_pct(noop, name))
        rows.append(row)
    return table(header, rows)


def _pct(times: dict[str, float], name: str) -> str:
    return f"{100 * times.get(name, 0.0) / times['total']:.0f}%" if times["total"] else "–"


def hot_functions(profile: dict[str, Any], limit: int = 15) -> str:
    """The cProfile pass: functions by cumulative time."""
    rows = [
        [f"`{r['function']}`", r["calls"], f"{r['tottime']:.2f}", f"{r['cumtime']:.2f}"]
        for r in profile.get("cprofile-noop", [])[:limit]
    ]
    return table(["function", "calls", "own s", "cumulative s"], rows)


def rules_table(result: dict[str, Any]) -> str:
    """frame.build and rules.run CPU seconds."""
    ok = "yes" if result["rules_run_cpu"] < result["target_rules_cpu"] else "**no**"
    rows = [
        [
            f"{result['rows']:,}",
            f"{result['findings']:,}",
            f"{result['frame_build_cpu']:.2f}",
            f"{result['rules_run_cpu']:.3f}",
            f"< {result['target_rules_cpu']}",
            ok,
        ]
    ]
    return table(
        ["rows", "findings", "frame.build CPU s", "rules.run CPU s", "target", "met"], rows
    )


def per_rule_table(result: dict[str, Any], limit: int = 8) -> str:
    """The rules (and findings conversions) that took the most CPU."""
    items = sorted(result["per_rule_cpu"].items(), key=lambda kv: -kv[1])[:limit]
    return table(["rule", "CPU s"], [[k, f"{v:.3f}"] for k, v in items])


GOOGLE_COLUMNS = [
    ("metadata_reads", "metadata reads"),
    ("value_reads", "value reads"),
    ("value_writes", "value writes"),
    ("structural", "structural"),
    ("cells_written", "cells written"),
    ("cells_changed", "cells changed"),
    ("user_cells_changed", "user cells changed"),
]


def google_table(results: list[dict[str, Any]]) -> str:
    """Requests and cells per sync, for every contender, scenario and size."""
    header = ["rows", "who", "sync", *[label for _, label in GOOGLE_COLUMNS], "seconds"]
    rows = []
    for size in results:
        for who, scenarios in size["results"].items():
            for scenario, c in scenarios.items():
                cells = [f"{c[k]:,}" for k, _ in GOOGLE_COLUMNS]
                rows.append([f"{size['rows']:,}", who, scenario, *cells, f"{c['seconds']:.2f}"])
    return table(header, rows)


def plot(sizes: list[dict[str, Any]], path: Path) -> Path:
    """A log-log chart of seconds against rows for each task, written to ``path`` (SVG)."""
    from benchmarks.svgplot import line_chart

    series = {
        label: [(float(s["rows"]), s["tasks"][task]["seconds"]) for s in sizes]
        for task, label in XLSX_TASKS
        if task not in ("floor-synced", "openpyxl-read", "sync-command")
        and all(task in s["tasks"] for s in sizes)
    }
    svg = line_chart(
        series,
        title="sheetsync on .xlsx: cost against rows",
        x_label="rows",
        y_label="seconds (median, imports excluded)",
        log=True,
    )
    path.write_text(svg, encoding="utf-8")
    return path
