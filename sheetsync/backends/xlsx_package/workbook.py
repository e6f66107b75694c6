"""Relationships and ``xl/workbook.xml``: which part is the workbook, which tabs it lists
and where their parts are, its date epoch and the features a model round trip could lose.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from sheetsync.backends.xlsx_package.model import SheetRef, _match_sheet
from sheetsync.backends.xlsx_package.ooxml import (
    _FEATURES,
    _PKG_REL_NS,
    _REL_NS,
    _RT_OFFICE_DOC,
    _SHEET_KINDS,
    _STRICT_MAIN_NS,
    _STRICT_REL_NS,
    _parse,
    _q,
    _w,
    strict_refused,
)
from sheetsync.backends.xlsx_package.zipped import _Package
from sheetsync.errors import SourceError


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str  # resolved entry name ("" when external or missing)


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve_target(pkg: _Package, source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    return pkg.find(path) or ""


def _read_rels(pkg: _Package, part: str) -> list[_Rel]:
    name = pkg.find(_rels_name(part))
    if name is None:
        return []
    root = _parse(pkg.read(name), name)
    rels = []
    for rel in root.iter(_q(_PKG_REL_NS, "Relationship")):
        external = rel.get("TargetMode") == "External"
        target = "" if external else _resolve_target(pkg, part, rel.get("Target", ""))
        rels.append(_Rel(rel.get("Id", ""), rel.get("Type", ""), target))
    return rels


def _workbook_part(pkg: _Package) -> str:
    for rel in _read_rels(pkg, ""):
        if rel.type.startswith(_STRICT_REL_NS):
            raise strict_refused()
        if rel.type == _RT_OFFICE_DOC and rel.target:
            return rel.target
    fallback = pkg.find("xl/workbook.xml")
    if fallback is None:
        raise SourceError(
            "The package has no workbook part (xl/workbook.xml), so it is not a usable .xlsx "
            "file. Open it in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)."
        )
    return fallback


@dataclass(frozen=True)
class _Book:
    part: str
    sheets: tuple[SheetRef, ...]
    date1904: bool
    rels: tuple[_Rel, ...]


def _read_workbook(pkg: _Package) -> _Book:
    part = _workbook_part(pkg)
    root = _parse(pkg.read(part), part)
    if root.tag == _q(_STRICT_MAIN_NS, "workbook"):
        raise strict_refused()
    if root.tag != _w("workbook"):
        raise SourceError(f"{part!r} is not a SpreadsheetML workbook; save the file as .xlsx.")
    rels = tuple(_read_rels(pkg, part))
    by_id = {rel.id: rel for rel in rels}
    sheets = tuple(_sheet_ref(el, by_id) for el in root.iter(_w("sheet")))
    pr = root.find(_w("workbookPr"))
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return _Book(part, sheets, date1904, rels)


def _sheet_ref(el: etree._Element, rels: Mapping[str, _Rel]) -> SheetRef:
    r_id = el.get(_q(_REL_NS, "id"), "")
    rel = rels.get(r_id)
    try:
        sheet_id = int(el.get("sheetId", "0"))
    except ValueError:
        sheet_id = 0
    return SheetRef(
        name=el.get("name", ""),
        part=rel.target if rel else "",
        state=el.get("state", "visible"),
        sheet_id=sheet_id,
        r_id=r_id,
        kind=_SHEET_KINDS.get(rel.type, "unknown") if rel else "unknown",
    )


def _worksheet(book: _Book, name: str) -> SheetRef:
    sheet = _match_sheet(book.sheets, name)
    if sheet.kind != "worksheet":
        raise SourceError(
            f"Tab {sheet.name!r} is a {sheet.kind}, not a worksheet with cells; point "
            "sheetsync at a regular worksheet."
        )
    if not sheet.part:
        raise SourceError(
            f"Tab {sheet.name!r} is listed in the workbook but its part is missing. Open the "
            "file in Excel or LibreOffice, let it repair the workbook, save it and try again."
        )
    return sheet


def _has_vba(pkg: _Package) -> bool:
    if pkg.find("xl/vbaProject.bin") is not None:
        return True
    ct = pkg.find("[Content_Types].xml")
    return ct is not None and b"macroEnabled" in pkg.read(ct)


def _features(pkg: _Package) -> tuple[str, ...]:
    found: list[str] = []
    for name in pkg.folded:
        for prefix, word in _FEATURES:
            if name.startswith(prefix) and word not in found:
                found.append(word)
    order = [word for _, word in _FEATURES]
    return tuple(sorted(found, key=order.index))
