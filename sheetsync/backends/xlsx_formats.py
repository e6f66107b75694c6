"""The tracker's own date format, so the dates sheetsync writes look like the student's.

Read from the package without a model load: the number formats in ``xl/styles.xml`` and the
style index of every cell in the contacts tab. The most used date-only format wins.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Collection
from io import BytesIO

from lxml import etree

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Excel's built-in date formats (ids 14–17), by the code a styles part would spell them with.
BUILTIN_DATES = {14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy"}
# A cell's start tag, with its column letters and style index (each "" when absent): the
# attributes are read by look-aheads that stop at the tag's end, in whatever order they come.
_CELL_STYLE = re.compile(
    rb"<(?:\w+:)?c(?=\s)"
    rb'(?:(?=[^>]*?\sr="([A-Za-z]{1,3})\d+"))?'
    rb'(?:(?=[^>]*?\ss="(\d+)"))?'
    rb"[^>]*>"
)
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date without a time (``m/d/yyyy`` yes, ``h:mm`` no)."""
    bare = _LITERALS.sub("", code).lower()
    return ("d" in bare or "y" in bare) and "h" not in bare and "s" not in bare


def date_format(data: bytes, sheet_part: str, skip_columns: Collection[int] = ()) -> str | None:
    """The date-only number format most used by cells of ``sheet_part`` outside
    ``skip_columns`` (sheetsync's own, 1-based); None when no such cell formats a date."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            formats = _xf_formats(z.read("xl/styles.xml"))
            sheet = z.read(sheet_part)
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    if not formats:
        return None  # no style formats a date: no need to look at the cells
    skip = {_letters(c) for c in skip_columns}
    counts: Counter[int] = Counter()
    for (column, style), n in _column_styles(sheet).items():
        if style and not (column and column.upper() in skip):
            counts[int(style)] += n
    dated: Counter[str] = Counter()
    for xf, n in counts.items():
        if xf in formats:
            dated[formats[xf]] += n
    best = [code for code, _ in dated.most_common(1)]
    return best[0] if best else None


def _column_styles(sheet: bytes, step: int = 1 << 20) -> Counter[tuple[bytes, bytes]]:
    """How many cell tags have each (column letters, style index) pair, found in C a slice
    of about ``step`` bytes at a time (ending where a row starts) to keep the list small."""
    counts: Counter[tuple[bytes, bytes]] = Counter()
    pos = 0
    while pos < len(sheet):
        end = sheet.find(b"<row", pos + step)
        end = len(sheet) if end < 0 else end
        counts.update(_CELL_STYLE.findall(sheet, pos, end))
        pos = end
    return counts


def _letters(col: int) -> bytes:
    out = b""
    while col:
        col, rem = divmod(col - 1, 26)
        out = bytes([65 + rem]) + out
    return out


def _xf_formats(styles: bytes) -> dict[int, str]:
    """Cell style index → its date format code, for the styles that format dates."""
    root = etree.fromstring(styles, _PARSER)
    custom = {
        int(f.get("numFmtId", "-1")): f.get("formatCode", "")
        for f in root.iter(f"{NS}numFmt")
        if f.get("numFmtId", "").isdigit()
    }
    codes = {**BUILTIN_DATES, **custom}
    xfs = root.find(f"{NS}cellXfs")
    found: dict[int, str] = {}
    for i, xf in enumerate([] if xfs is None else xfs.iter(f"{NS}xf")):
        num = xf.get("numFmtId", "0")
        code = codes.get(int(num)) if num.isdigit() else None
        if code and is_date_format(code):
            found[i] = code
    return found
