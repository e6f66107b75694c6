"""The tracker's own date format, so the dates sheetsync writes look like the student's.

Read from the package without a model load: the number formats in ``xl/styles.xml`` and the
style index of every cell in the contacts tab. The most used date-only format wins.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from io import BytesIO

from lxml import etree

from sheetsync.errors import SourceError

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Excel's built-in date formats (ids 14–17), by the code a styles part would spell them with.
BUILTIN_DATES = {14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy"}
# A cell's start tag; in it, the first style index and the column letters of its reference.
_CELL_TAG = re.compile(rb"<(?:\w+:)?c(?=\s)[^>]*>")
_STYLE_ATTR = re.compile(rb'\ss="(\d+)"')
_REF_LETTERS = re.compile(rb'\sr="([A-Za-z]{1,3})\d+"')
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date without a time (``m/d/yyyy`` yes, ``h:mm`` no)."""
    bare = _LITERALS.sub("", code).lower()
    return ("d" in bare or "y" in bare) and "h" not in bare and "s" not in bare


def date_format(
    data: bytes | Callable[[str], bytes], sheet_part: str, skip_columns: Collection[int] = ()
) -> str | None:
    """The date-only number format most used by cells of ``sheet_part`` outside
    ``skip_columns`` (sheetsync's own, 1-based); None when no such cell formats a date.

    ``data``: the package's bytes, or a function that reads one of its parts."""
    read = _reader(data) if isinstance(data, bytes) else data
    try:
        formats = _xf_formats(read("xl/styles.xml"))
        sheet = read(sheet_part) if formats else b""
    except (KeyError, zipfile.BadZipFile, SourceError, etree.XMLSyntaxError):
        return None
    if not formats:
        return None  # no style formats a date: no need to look at the cells
    skip = {_letters(c) for c in skip_columns}
    one_code = len(set(formats.values())) == 1  # then the first dated cell counted decides
    dated: Counter[str] = Counter()
    for column, style in _dated_cells(sheet, formats):
        if not (column and column.upper() in skip):
            if one_code:
                return formats[style]
            dated[formats[style]] += 1
    best = [code for code, _ in dated.most_common(1)]
    return best[0] if best else None


def _reader(data: bytes) -> Callable[[str], bytes]:
    def read(part: str) -> bytes:
        with zipfile.ZipFile(BytesIO(data)) as z:
            return z.read(part)

    return read


def _dated_cells(sheet: bytes, xfs: Collection[int]) -> Iterator[tuple[bytes, int]]:
    """The (column letters, style index) of each cell tag, in order, whose style index is one
    of ``xfs``: the ``s="…"`` of those styles are found in C, and only their tags are looked
    at (most cells of a tracker are not dates)."""
    if not xfs:
        return
    ids = b"|".join(str(x).encode() for x in sorted(xfs))
    for found in re.finditer(rb's="0*(' + ids + rb')"', sheet):
        at = found.start() - 1  # where the whitespace before the attribute must be
        start = sheet.rfind(b"<", 0, at)
        tag = _CELL_TAG.match(sheet, start) if start >= 0 else None
        if tag is None or tag.end() <= at:
            continue  # not in a cell's start tag (text, another element)
        style = _STYLE_ATTR.search(sheet, start, tag.end())
        if style is None or style.start() != at:
            continue  # the tag's style is an earlier s="…"
        column = _REF_LETTERS.search(sheet, start, tag.end())
        yield (column.group(1) if column else b"", int(found.group(1)))


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
