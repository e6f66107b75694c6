"""Line charts as SVG text, with no plotting library: how cost grows with rows or trackers.

An SVG is text, so the charts in ``benchmarks/README.md`` are committed beside it and show on
any Git host; the benchmarks write them from their own results (``growth.svg`` from
``benchmarks.run``, ``cohort.svg`` from ``benchmarks.cohort_bench``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

Point = tuple[float, float]
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 170, 36, 48  # margins: axis labels left and below, legend right


def line_chart(
    series: Mapping[str, Sequence[Point]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log: bool = False,
) -> str:
    """An SVG document: one line with markers per series, axes with ticks, a legend."""
    points = [p for line in series.values() for p in line]
    if not points:
        raise ValueError("nothing to plot")
    scale = _Scale(points, log)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>',
        *scale.axes(x_label, y_label),
    ]
    for i, (name, line) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        xy = [scale.at(p) for p in sorted(line)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in xy]
        ly = TOP + 14 + 18 * i
        lx = WIDTH - RIGHT + 16
        parts.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"/><text x="{lx + 24}" y="{ly}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


class _Scale:
    """Data → pixel coordinates for the plotting area, linear or log-log."""

    def __init__(self, points: Sequence[Point], log: bool) -> None:
        self.log = log
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self.x0, self.x1 = self._range(xs)
        self.y0, self.y1 = self._range(ys, from_zero=not log)

    def _range(self, values: Sequence[float], from_zero: bool = False) -> tuple[float, float]:
        if self.log:
            low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
            return float(low), float(max(high, low + 1))
        low, high = (0.0 if from_zero else min(values)), max(values)
        step = _nice_step((high - low) / 5 or high / 5)
        return low, max(step * math.ceil(high / step), low + step)

    def _t(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def at(self, p: Point) -> Point:
        fx = (self._t(p[0]) - self.x0) / (self.x1 - self.x0)
        fy = (self._t(p[1]) - self.y0) / (self.y1 - self.y0)
        return LEFT + fx * (WIDTH - LEFT - RIGHT), HEIGHT - BOTTOM - fy * (HEIGHT - TOP - BOTTOM)

    def _ticks(self, low: float, high: float) -> list[float]:
        if self.log:
            return [10.0**e for e in range(int(low), int(high) + 1)]
        step = _nice_step((high - low) / 5)
        first = math.ceil(low / step) * step
        return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]

    def axes(self, x_label: str, y_label: str) -> list[str]:
        """Grid lines, tick labels and axis titles."""
        right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
        out = [f'<rect x="{LEFT}" y="{TOP}" width="{right - LEFT}" height="{bottom - TOP}" '
               'fill="none" stroke="#888"/>']  # fmt: skip
        for v in self._ticks(self.x0, self.x1):
            x = self.at((v, 10.0**self.y0 if self.log else self.y0))[0]
            out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{_n(v)}</text>')
        for v in self._ticks(self.y0, self.y1):
            y = self.at((10.0**self.x0 if self.log else self.x0, v))[1]
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_n(v)}</text>')
        out.append(
            f'<text x="{(LEFT + right) / 2}" y="{HEIGHT - 10}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
        out.append(
            f'<text transform="translate(16 {(TOP + bottom) / 2}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>'
        )
        return out


def _nice_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``rough``."""
    if rough <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _n(v: float) -> str:
    """A tick label: 0.01, 0.5, 20, 1,000, 100,000."""
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"
