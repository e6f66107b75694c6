"""The zip package itself: opening one from bytes (refusing what is not an .xlsx), folding
edits into it, and writing the new zip with every untouched entry as it was.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from sheetsync.backends.xlsx_package.ooxml import _CFB_MAGIC
from sheetsync.errors import SourceError


class _Package:
    """A zip opened from bytes, with checks and case-insensitive part lookup."""

    def __init__(self, data: bytes) -> None:
        _refuse_non_zip(data)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
            raise SourceError(
                f"The workbook is damaged or not an .xlsx file ({exc}). Open it in Excel or "
                "LibreOffice, save it as an Excel Workbook (.xlsx) and try again."
            ) from exc
        infos = self.zip.infolist()
        self.names = [info.filename for info in infos]
        self.index = {info.filename: info for info in infos}
        if len(self.index) != len(self.names):
            raise SourceError(
                "The workbook's zip package lists the same part twice, so it is ambiguous "
                "which one Excel uses. Open it in Excel, save it again and retry."
            )
        self.folded = {name.lower(): name for name in self.names}
        self.changed: dict[str, bytes] = {}  # entries replaced or added since opening
        self.edited = False
        _refuse_other_formats(self)

    def commit(self, edit: _Edit) -> None:
        """Fold one operation's edit into the package: later reads see it, and
        :func:`_rebuild` writes it. Replaced entries keep their place; added ones go last."""
        for name in edit.remove:
            self.names.remove(name)
            del self.index[name]
            self.changed.pop(name, None)
        self.changed.update(edit.replace)
        for name, content in edit.add.items():
            if name not in self.index:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                self.names.append(name)
                self.index[name] = info
            self.changed[name] = content
        self.folded = {name.lower(): name for name in self.names}
        self.edited = self.edited or not edit.empty()

    def find(self, name: str) -> str | None:
        """The actual entry name for a part name (case-insensitive, like OPC)."""
        if name in self.index:
            return name
        return self.folded.get(name.lower())

    def read(self, name: str) -> bytes:
        """The decompressed bytes of one entry (as edited, once an edit is committed)."""
        if name in self.changed:
            return self.changed[name]
        try:
            return self.zip.read(self.index[name])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise SourceError(
                f"Cannot read part {name!r} of the workbook ({exc}). Open it in Excel, save "
                "it as an Excel Workbook (.xlsx) and try again."
            ) from exc


def _refuse_non_zip(data: bytes) -> None:
    if data.startswith(_CFB_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise SourceError(
                "The workbook is password protected (encrypted), so sheetsync cannot read or "
                "write it. Remove the password in Excel (File > Info > Protect Workbook > "
                "Encrypt with Password, clear it) or point sheetsync at an unprotected copy."
            )
        raise SourceError(
            "This is an old binary Excel file (.xls), not an .xlsx workbook. Open it in "
            "Excel or LibreOffice, save it as an Excel Workbook (.xlsx) and use that file."
        )
    if not data.startswith(b"PK"):
        raise SourceError(
            "The file is not an .xlsx workbook (it is not a zip package). Check the path, or "
            "save the tracker from Excel or LibreOffice as an Excel Workbook (.xlsx)."
        )


def _refuse_other_formats(pkg: _Package) -> None:
    if pkg.find("xl/workbook.bin") is not None:
        raise SourceError(
            "This is a binary workbook (.xlsb). Save it from Excel as an Excel Workbook "
            "(.xlsx) and point sheetsync at that file."
        )
    if pkg.find("mimetype") is not None and pkg.find("content.xml") is not None:
        raise SourceError(
            "This is an OpenDocument spreadsheet (.ods). Save it from LibreOffice as an "
            "Excel 2007-365 (.xlsx) workbook and point sheetsync at that file."
        )


@dataclass
class _Edit:
    """Pending changes to a package: replaced, added and removed entries."""

    replace: dict[str, bytes] = field(default_factory=dict)
    add: dict[str, bytes] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.replace or self.add or self.remove)

    def __str__(self) -> str:
        return ", ".join(sorted({*self.replace, *self.add, *self.remove}))


def _rebuild(pkg: _Package) -> bytes:
    """Write a new zip: same entries in the same order, edited ones swapped in, added last."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", allowZip64=True) as new:
        if pkg.zip.comment:
            new.comment = pkg.zip.comment
        for name in pkg.names:
            new.writestr(_clone_info(pkg.index[name]), pkg.read(name))
    return out.getvalue()


def _clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    clone.comment = info.comment
    return clone


def changed_parts(before: bytes, after: bytes) -> set[str]:
    """Names of zip entries whose content differs, plus entries added or removed.

    Compared by the CRC-32 and size the zip directory records for each entry, so nothing is
    decompressed: a different CRC or size proves a change, and an equal pair means the same
    content but for a deliberate CRC collision (this guards against sheetsync's own mistakes).
    """
    old, new = _Package(before), _Package(after)
    names = set(old.names) | set(new.names)
    return {
        name
        for name in names
        if name not in old.index
        or name not in new.index
        or (old.index[name].CRC, old.index[name].file_size)
        != (new.index[name].CRC, new.index[name].file_size)
    }
