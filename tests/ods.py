"""Write a small OpenDocument spreadsheet (.ods) the way the format's spec lays it out.

No LibreOffice or odfpy here, so tests build the package themselves: a zip whose first entry
is the uncompressed ``mimetype``, a manifest, and ``content.xml`` with one ``table:table`` per
sheet. Dates are written as ``office:value-type="date"`` cells, numbers as ``float`` cells,
text as ``string`` cells — what LibreOffice writes for the same values.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

Value = str | int | float | dt.date | None

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
CONTENT_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content
 xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
"""
CONTENT_TAIL = "</office:spreadsheet></office:body></office:document-content>\n"


def _cell(value: Value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, dt.date):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
        "</table:table-cell>"
    )


def content_xml(sheets: Mapping[str, Sequence[Sequence[Value]]]) -> str:
    """The ``content.xml`` of a workbook with these sheets and rows."""
    parts = [CONTENT_HEAD]
    for name, rows in sheets.items():
        parts.append(f"<table:table table:name={quoteattr(name)}>")
        for row in rows:
            parts.append(
                "<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>"
            )
        parts.append("</table:table>")
    parts.append(CONTENT_TAIL)
    return "".join(parts)


def write_ods(path: Path, sheets: Mapping[str, Sequence[Sequence[Value]]]) -> Path:
    """Write an .ods workbook with ``sheets`` (name → rows of values) to ``path``."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content_xml(sheets), compress_type=zipfile.ZIP_DEFLATED)
    return path
