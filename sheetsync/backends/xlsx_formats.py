"""The tracker's own date format, so the dates sheetsync writes look like the student's.

Read from the package without a model load: the number formats in ``xl/styles.xml`` and the
style index of every cell in the contacts tab. The most used date-only format wins.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from io import BytesIO

from lxml import etree

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Excel's built-in date formats (ids 14–17), by the code a styles part would spell them with.
BUILTIN_DATES = {14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy"}
_STYLE_ATTR = re.compile(rb'<(?:\w+:)?c\b[^>]*?\bs="(\d+)"')
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date without a time (``m/d/yyyy`` yes, ``h:mm`` no)."""
    bare = _LITERALS.sub("", code).lower()
    return ("d" in bare or "y" in bare) and "h" not in bare and "s" not in bare


def date_format(data: bytes, sheet_part: str) -> str | None:
    """The date-only number format most used by cells of ``sheet_part``; None when none is."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            formats = _xf_formats(z.read("xl/styles.xml"))
            sheet = z.read(sheet_part)
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    counts = Counter(int(m) for m in _STYLE_ATTR.findall(sheet))
    dated: Counter[str] = Counter()
    for style, n in counts.items():
        if style in formats:
            dated[formats[style]] += n
    best = [code for code, _ in dated.most_common(1)]
    return best[0] if best else None


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
