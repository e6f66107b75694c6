"""How the export words the values it shows: a cell as text, a day, a source's name."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

CellOut = str | int | float | dt.date | None  # one value the export writes in a cell


def cell_text(value: object) -> str:
    """A cell of the typed frame as text ('' for blank, NA and NaN)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def format_day(day: dt.date | None) -> str:
    """'16 Mar 2026' (no leading zero); '—' for no day."""
    return f"{day:%d %b %Y}".lstrip("0") if day else "—"


def display_source(source: str) -> str:
    """A source as the export names it: a file's name (never its folders), or the sheet id."""
    return source if source.startswith(("gsheet:", "http")) else Path(source).name
