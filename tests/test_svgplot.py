"""The benchmark charts (benchmarks/svgplot.py): well-formed SVG, one line per series, every
point inside the plotting area, for linear and log-log scales."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.svgplot import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, line_chart

NS = "{http://www.w3.org/2000/svg}"
positive = st.floats(0.001, 1e6, allow_nan=False)
series = st.dictionaries(
    st.text("abc <&>", min_size=1, max_size=8),
    st.lists(st.tuples(positive, positive), min_size=1, max_size=6),
    min_size=1,
    max_size=4,
)


@given(series, st.booleans())
def test_every_point_is_drawn_inside_the_plot(
    lines: dict[str, list[tuple[float, float]]], log: bool
) -> None:
    svg = ET.fromstring(line_chart(lines, title="t <1>", x_label="rows", y_label="s", log=log))
    polylines = svg.findall(f"{NS}polyline")
    assert len(polylines) == len(lines)
    circles = svg.findall(f"{NS}circle")
    assert len(circles) == sum(len(points) for points in lines.values())
    for c in circles:
        x, y = float(c.get("cx", "nan")), float(c.get("cy", "nan"))
        assert LEFT - 0.1 <= x <= WIDTH - RIGHT + 0.1 and TOP - 0.1 <= y <= HEIGHT - BOTTOM + 0.1
    labels = {t.text for t in svg.iter(f"{NS}text")}
    assert set(lines) <= labels and "t <1>" in labels


def test_log_axes_are_labelled_by_powers_of_ten() -> None:
    svg = line_chart(
        {"sync": [(200, 0.5), (20_000, 5.4)]}, title="t", x_label="rows", y_label="s", log=True
    )
    for label in (">100<", ">1,000<", ">100,000<", ">0.1<", ">10<"):
        assert label in svg


def test_nothing_to_plot_is_an_error() -> None:
    with pytest.raises(ValueError):
        line_chart({}, title="t", x_label="x", y_label="y")
