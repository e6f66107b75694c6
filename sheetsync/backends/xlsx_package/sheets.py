"""Adding or replacing a whole worksheet part: the tab's entry in the workbook, its
relationship, its content type and its print titles.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping

from lxml import etree

from sheetsync.backends.xlsx_package.model import SheetRef, _find_sheet
from sheetsync.backends.xlsx_package.ooxml import (
    _BAD_SHEET_NAME,
    _CT_NS,
    _CT_WORKSHEET,
    _PKG_REL_NS,
    _REL_NS,
    _RT_WORKSHEET,
    _parse,
    _q,
    _serialize,
    _w,
)
from sheetsync.backends.xlsx_package.workbook import _Book, _read_rels, _read_workbook, _rels_name
from sheetsync.backends.xlsx_package.zipped import _Deflated, _Edit, _Package
from sheetsync.errors import SourceError, WriteRefused


def _put_sheet(
    pkg: _Package,
    sheet_name: str,
    sheet_xml: bytes | Iterable[bytes],
    title_rows: tuple[int, int] | None,
) -> None:
    """``sheet_xml`` as bytes, or as chunks deflated (and checked) as they come: a large part
    made row by row is then never held whole."""
    _check_sheet_name(sheet_name)
    content: bytes | _Deflated
    if isinstance(sheet_xml, bytes):
        _check_sheet_xml(sheet_xml)
        content = sheet_xml
    else:
        check = _ChunkCheck()
        content = _Deflated.of(check.passing(sheet_xml), also=check.feed)
        check.close()
    book = _read_workbook(pkg)
    existing = _find_sheet(book.sheets, sheet_name)
    edit = _Edit()
    if existing is None:
        _add_sheet(pkg, book, sheet_name, content, edit)
    else:
        _replace_sheet(pkg, existing, content, edit)
    if title_rows is not None:
        _set_print_titles(pkg, book, sheet_name, title_rows, edit)
    pkg.commit(edit)


_PRINT_TITLES = "_xlnm.Print_Titles"
_BEFORE_DEFINED_NAMES = ("sheets", "functionGroups", "externalReferences")


def _set_print_titles(
    pkg: _Package, book: _Book, name: str, rows: tuple[int, int], edit: _Edit
) -> None:
    """Make ``rows`` the tab's print titles; no edit when they already are."""
    root = _current(pkg, book.part, edit)
    assert root is not None  # the workbook part was read just before
    names = [el.get("name") or "" for el in root.iter(_w("sheet"))]
    index = next(str(i) for i, n in enumerate(names) if n.casefold() == name.casefold())
    quoted = names[int(index)].replace("'", "''")
    value = f"'{quoted}'!${rows[0]}:${rows[1]}"
    defined = root.find(_w("definedNames"))
    if defined is None:
        defined = etree.Element(_w("definedNames"))
        anchor = [root.find(_w(local)) for local in _BEFORE_DEFINED_NAMES]
        last = [el for el in anchor if el is not None][-1]
        last.addnext(defined)
    for el in defined.iter(_w("definedName")):
        if el.get("name") == _PRINT_TITLES and el.get("localSheetId") == index:
            if el.text == value:
                return
            el.text = value
            break
    else:
        el = etree.SubElement(defined, _w("definedName"), name=_PRINT_TITLES)
        el.set("localSheetId", index)
        el.text = value
    edit.replace[book.part] = _serialize(root)


def _check_sheet_name(name: str) -> None:
    problem = None
    if not name or len(name) > 31:
        problem = "must be 1 to 31 characters long"
    elif _BAD_SHEET_NAME.search(name):
        problem = "must not contain : \\ / ? * [ ]"
    elif name.startswith("'") or name.endswith("'"):
        problem = "must not start or end with an apostrophe"
    elif name.casefold() == "history":
        problem = "'History' is reserved by Excel"
    if problem:
        raise ValueError(f"invalid sheet name {name!r}: {problem}")


def _check_sheet_xml(sheet_xml: bytes) -> None:
    """Refuse XML that is not a well-formed worksheet, or that references relationships.

    Parsed into no tree at all (a parser target): a prep tab of 100,000 cells would otherwise
    be held as a whole tree beside its bytes. Only XML that mentions the relationships
    namespace needs each start tag seen (from Python, five times slower); otherwise the
    target has no callbacks and the root tag is read from the first bytes alone.
    """
    rel_attrs = _REL_NS.encode() in sheet_xml
    target = _SheetXmlCheck(rel_attrs=True) if rel_attrs else _WellFormed()
    parser = _checking_parser(target)
    try:
        etree.fromstring(sheet_xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"sheet_xml is not well-formed: {exc}") from exc
    if isinstance(target, _SheetXmlCheck) and target.problem:
        raise ValueError(target.problem)
    if not rel_attrs and _root_tag(sheet_xml) != _w("worksheet"):
        raise ValueError("sheet_xml must be a SpreadsheetML <worksheet>")


class _ChunkCheck:
    """Checks a part given in chunks as :func:`_check_sheet_xml` checks a whole one:
    well-formed (fed to a parser that builds no tree), a SpreadsheetML <worksheet> and,
    stricter, no mention of the relationships namespace at all.

    :meth:`passing` looks at each chunk as it goes by (the root tag, the namespace);
    :meth:`feed` parses it, on the deflating thread (lxml parses without holding the
    interpreter's lock); :meth:`close` ends the parse. Each raises ValueError for a problem."""

    def __init__(self) -> None:
        self.parser = _checking_parser(_WellFormed())
        self.root = ""  # found from the first chunks

    def passing(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks`` passed on as they come, once their root tag and namespaces are seen."""
        rel, tail, head = _REL_NS.encode(), b"", b""
        for chunk in chunks:
            if not self.root:
                head += chunk
                try:
                    self.root = _root_tag(head)
                except etree.XMLSyntaxError as exc:
                    raise ValueError(f"sheet_xml is not well-formed: {exc}") from exc
                if self.root and self.root != _w("worksheet"):
                    raise ValueError("sheet_xml must be a SpreadsheetML <worksheet>")
            if rel in tail + chunk[: len(rel)] or rel in chunk:
                raise ValueError("sheet_xml given in chunks must not reference relationships")
            tail = chunk[-len(rel) :]
            yield chunk

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Parse the next chunk."""
        try:
            self.parser.feed(bytes(chunk) if isinstance(chunk, memoryview) else chunk)
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"sheet_xml is not well-formed: {exc}") from exc

    def close(self) -> None:
        """End the parse: the part is complete, and a <worksheet>."""
        try:
            self.parser.close()
        except etree.XMLSyntaxError as exc:
            raise ValueError(f"sheet_xml is not well-formed: {exc}") from exc
        if self.root != _w("worksheet"):
            raise ValueError("sheet_xml must be a SpreadsheetML <worksheet>")


def _checking_parser(target: object) -> etree.XMLParser:
    """A parser that only checks (its ``target`` builds nothing): no entities, no network."""
    return etree.XMLParser(
        target=target, resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False
    )


class _WellFormed:
    """lxml parser target that only lets the parser check well-formedness."""

    def close(self) -> None:
        """Nothing to return."""


def _root_tag(xml: bytes, step: int = 4096) -> str:
    """The qualified tag of the root element of well-formed ``xml``, read from its start."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    for pos in range(0, len(xml), step):
        parser.feed(xml[pos : pos + step])
        for _event, element in parser.read_events():
            return str(element.tag)
    return ""


class _SheetXmlCheck:
    """lxml parser target: notes the first reason a sheet part may not be put in."""

    def __init__(self, *, rel_attrs: bool) -> None:
        self.rel_attrs = rel_attrs  # False: the namespace is absent, no attribute can use it
        self.problem = ""
        self._root_seen = False

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if not self._root_seen:
            self._root_seen = True
            if tag != _w("worksheet"):
                self.problem = self.problem or "sheet_xml must be a SpreadsheetML <worksheet>"
        if self.rel_attrs and any(a.startswith("{" + _REL_NS + "}") for a in attrib):
            self.problem = (
                self.problem or "sheet_xml must not reference relationships (r:id attributes)"
            )

    def end(self, tag: str) -> None:
        """Nothing to do at an end tag."""

    def close(self) -> None:
        """Nothing to return: the parse only checks."""


def _replace_sheet(
    pkg: _Package, sheet: SheetRef, sheet_xml: bytes | _Deflated, edit: _Edit
) -> None:
    if sheet.kind != "worksheet" or not sheet.part:
        raise SourceError(
            f"Tab {sheet.name!r} exists but is a {sheet.kind}; rename it or choose another "
            "name for sheetsync's tab in sheetsync.toml."
        )
    if _read_rels(pkg, sheet.part):
        raise WriteRefused(
            f"Tab {sheet.name!r} has drawings, comments or links that replacing it would "
            "orphan. Remove them from that tab (it is managed by sheetsync), or rename it."
        )
    current = pkg.read(sheet.part)
    if isinstance(sheet_xml, _Deflated):
        if not sheet_xml.holds(current):
            edit.deflated[sheet.part] = sheet_xml
    elif current != sheet_xml:
        edit.replace[sheet.part] = sheet_xml


def _add_sheet(
    pkg: _Package, book: _Book, name: str, sheet_xml: bytes | _Deflated, edit: _Edit
) -> None:
    root = _parse(pkg.read(book.part), book.part)
    protection = root.find(_w("workbookProtection"))
    if protection is not None and protection.get("lockStructure", "0") in ("1", "true"):
        raise WriteRefused(
            "The workbook's structure is protected, so sheetsync cannot add its tab. "
            "Unprotect the structure in Excel (Review > Protect Workbook) or add a tab named "
            f"{name!r} yourself."
        )
    part = _free_part_name(pkg, "xl/worksheets/sheet{}.xml")
    target = posixpath.relpath(part, posixpath.dirname(book.part))
    r_id = _add_relationship(pkg, book.part, _RT_WORKSHEET, target, edit)
    sheets = root.find(_w("sheets"))
    if sheets is None:
        raise SourceError(f"{book.part!r} lists no sheets; save the file from Excel again.")
    el = etree.SubElement(sheets, _w("sheet"))
    el.set("name", name)
    el.set("sheetId", str(max([0, *(s.sheet_id for s in book.sheets)]) + 1))
    el.set(_q(_REL_NS, "id"), r_id)
    edit.replace[book.part] = _serialize(root)
    if isinstance(sheet_xml, _Deflated):
        edit.deflated[part] = sheet_xml
    else:
        edit.add[part] = sheet_xml
    _add_override(pkg, part, _CT_WORKSHEET, edit)


def _free_part_name(pkg: _Package, pattern: str) -> str:
    n = 1
    while pkg.find(pattern.format(n)) is not None:
        n += 1
    return pattern.format(n)


def _current(pkg: _Package, name: str, edit: _Edit) -> etree._Element | None:
    """A part as already edited (or as stored), parsed; None when absent."""
    if name in edit.replace or name in edit.add:
        return _parse(edit.replace.get(name) or edit.add[name], name)
    stored = pkg.find(name)
    return None if stored is None else _parse(pkg.read(stored), stored)


def _store(pkg: _Package, name: str, root: etree._Element, edit: _Edit) -> None:
    stored = pkg.find(name)
    if stored is None:
        edit.add[name] = _serialize(root)
    else:
        edit.replace[stored] = _serialize(root)


def _add_relationship(pkg: _Package, source: str, rel_type: str, target: str, edit: _Edit) -> str:
    name = _rels_name(source)
    root = _current(pkg, name, edit)
    if root is None:
        root = etree.fromstring(f'<Relationships xmlns="{_PKG_REL_NS}"/>'.encode())
    ids = {rel.get("Id") for rel in root}
    n = len(ids) + 1
    while f"rId{n}" in ids:
        n += 1
    rel = etree.SubElement(root, _q(_PKG_REL_NS, "Relationship"))
    rel.set("Id", f"rId{n}")
    rel.set("Type", rel_type)
    rel.set("Target", target)
    _store(pkg, name, root, edit)
    return f"rId{n}"


def _remove_relationship(pkg: _Package, source: str, r_id: str, edit: _Edit) -> None:
    name = _rels_name(source)
    root = _current(pkg, name, edit)
    if root is None:
        return
    for rel in list(root):
        if rel.get("Id") == r_id:
            root.remove(rel)
    _store(pkg, name, root, edit)


def _add_override(pkg: _Package, part: str, content_type: str, edit: _Edit) -> None:
    root = _content_types(pkg, edit)
    el = etree.SubElement(root, _q(_CT_NS, "Override"))
    el.set("PartName", "/" + part)
    el.set("ContentType", content_type)
    _store(pkg, "[Content_Types].xml", root, edit)


def _remove_override(pkg: _Package, part: str, edit: _Edit) -> None:
    root = _content_types(pkg, edit)
    for el in list(root.iterchildren(_q(_CT_NS, "Override"))):
        if el.get("PartName", "").lstrip("/").lower() == part.lower():
            root.remove(el)
    _store(pkg, "[Content_Types].xml", root, edit)


def _content_types(pkg: _Package, edit: _Edit) -> etree._Element:
    root = _current(pkg, "[Content_Types].xml", edit)
    if root is None:
        raise SourceError(
            "The package has no [Content_Types].xml, so it is not a valid .xlsx file. Open it "
            "in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)."
        )
    return root
