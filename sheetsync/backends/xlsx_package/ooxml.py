"""OOXML vocabulary shared by the package modules: namespaces, relationship and content
types, limits of a sheet, the element orders the schema fixes, and the lxml parser.
"""

from __future__ import annotations

import re

from lxml import etree

from sheetsync.errors import SourceError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def strict_refused() -> SourceError:
    """The refusal of a workbook saved as Strict Open XML, which sheetsync cannot write into."""
    return SourceError(
        "The workbook is saved as 'Strict Open XML Spreadsheet', which sheetsync cannot "
        "write into. Save it from Excel as 'Excel Workbook (.xlsx)'."
    )


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_NS = "http://www.w3.org/XML/1998/namespace"

_RT_OFFICE_DOC = _REL_NS + "/officeDocument"
_RT_STYLES = _REL_NS + "/styles"
_RT_CALC_CHAIN = _REL_NS + "/calcChain"
_RT_TABLE = _REL_NS + "/table"
_SHEET_KINDS = {
    _REL_NS + "/worksheet": "worksheet",
    _REL_NS + "/chartsheet": "chartsheet",
    _REL_NS + "/dialogsheet": "dialogsheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet": "macrosheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet": "macrosheet",
}
_RT_WORKSHEET = _REL_NS + "/worksheet"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TEXT = 32_767
DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0"
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OOXML_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_BAD_SHEET_NAME = re.compile(r"[:\\/?*\[\]]")

# Worksheet children that come after <sheetData> (CT_Worksheet sequence).
_AFTER_SHEET_DATA = {
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
}
# CT_Stylesheet sequence.
_STYLE_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
# Built-in number formats whose display does not depend on the locale.
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
    "mm-dd-yy": 14,  # the locale's short date
    "d-mmm-yy": 15,
    "d-mmm": 16,
    "mmm-yy": 17,
}
_FEATURES = (
    ("xl/charts/chart", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/media/", "images"),
    ("xl/drawings/drawing", "drawings and shapes"),
    ("xl/diagrams/", "SmartArt"),
    ("xl/pivottables/", "pivot tables"),
    ("xl/vbaproject.bin", "VBA macros"),
    ("xl/macrosheets/", "Excel 4 macro sheets"),
    ("xl/externallinks/", "external links"),
    ("xl/ctrlprops/", "form controls"),
    ("xl/activex/", "form controls"),
    ("xl/slicers/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/threadedcomments/", "threaded comments"),
    ("xl/comments", "comments"),
    ("xl/tables/", "tables"),
    ("xl/connections.xml", "data connections"),
    ("xl/querytables/", "query tables"),
    ("xl/richdata/", "in-cell pictures"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/model/", "data model"),
    ("customxml/", "custom XML"),
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False)


def _parse(xml: bytes, part: str) -> etree._Element:
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(
            f"Part {part!r} of the workbook is not well-formed XML ({exc}). Open the file in "
            "Excel, let it repair the workbook, save it and try again."
        ) from exc


def _serialize(root: etree._Element) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _w(local: str) -> str:
    return f"{{{MAIN_NS}}}{local}"


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
