"""The zip package itself: opening one from bytes (refusing what is not an .xlsx), folding
edits into it, and writing the new zip with every untouched entry as it was (its compressed
bytes copied, not inflated and deflated again); and the comparisons that prove which entries
a write changed.
"""

from __future__ import annotations

import io
import queue
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sheetsync.backends.xlsx_package.ooxml import _CFB_MAGIC
from sheetsync.errors import SourceError

_Chunk = bytes | bytearray | memoryview


class _Package:
    """A zip opened from bytes, with checks and case-insensitive part lookup."""

    def __init__(self, data: bytes) -> None:
        _refuse_non_zip(data)
        self.data = data
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
        # entries replaced or added since opening (a large one kept deflated: see _Deflated)
        self.changed: dict[str, bytes | _Deflated] = {}
        self.edited = False
        _refuse_other_formats(self)

    def commit(self, edit: _Edit) -> None:
        """Fold one operation's edit into the package: later reads see it, and
        :func:`_rebuild` writes it. Replaced entries keep their place; added ones go last."""
        for name in edit.remove:
            self.names.remove(name)
            del self.index[name]
            self.changed.pop(name, None)
        for name in [*edit.add, *edit.deflated]:
            if name not in self.index:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                self.names.append(name)
                self.index[name] = info
        for name, content in [*edit.replace.items(), *edit.add.items()]:
            self.changed[name] = self._stored(name, [content], len(content))
        for name, spliced in edit.spliced.items():
            self.changed[name] = self._stored(name, spliced.chunks(), _DEFLATE_NOW)
        self.changed.update(edit.deflated)
        self.folded = {name.lower(): name for name in self.names}
        self.edited = self.edited or not edit.empty()

    def _stored(self, name: str, chunks: Iterable[_Chunk], size: int) -> bytes | _Deflated:
        """An entry's new content as the package keeps it: a large part that will be deflated
        is deflated now (the zip needs it so anyway), so its inflated bytes are not held."""
        if size >= _DEFLATE_NOW and self.index[name].compress_type == zipfile.ZIP_DEFLATED:
            return _Deflated.of(chunks)
        return b"".join(chunks)

    def find(self, name: str) -> str | None:
        """The actual entry name for a part name (case-insensitive, like OPC)."""
        if name in self.index:
            return name
        return self.folded.get(name.lower())

    def read(self, name: str) -> bytes:
        """The decompressed bytes of one entry (as edited, once an edit is committed)."""
        if name in self.changed:
            edited = self.changed[name]
            return edited.inflate() if isinstance(edited, _Deflated) else edited
        shared = (id(self.data), name)
        if shared in _SHARED:
            return _SHARED[shared]
        try:
            content = _inflated(self.data, self.index[name]) or self.zip.read(self.index[name])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, zlib.error) as exc:
            raise SourceError(
                f"Cannot read part {name!r} of the workbook ({exc}). Open it in Excel, save "
                "it as an Excel Workbook (.xlsx) and try again."
            ) from exc
        if _SHARING[shared[0]]:
            _SHARED[shared] = content
        return content


def _inflated(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A deflated entry's content, inflated into one buffer of the size its directory entry
    declares (zipfile's ``read`` grows its output and held about twice a 16 MB sheet at once);
    checked against the entry's CRC-32 and size as zipfile checks it. None for an entry this
    does not handle (stored, encrypted, its bytes not where the header says): read it with
    zipfile."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return None
    raw = _raw_bytes(data, info)
    if raw is None:
        return None
    content = zlib.decompress(raw, -zlib.MAX_WBITS, max(info.file_size, 64))
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 or size for file {info.filename!r}")
    return content


# Parts inflated inside a ``shared_reads`` block, by (id of the package's bytes, part name).
_SHARED: dict[tuple[int, str], bytes] = {}
_SHARING: Counter[int] = Counter()


@contextmanager
def shared_reads(data: bytes) -> Iterator[None]:
    """Inside the block, each part of the package ``data`` is inflated once, however many
    steps read it (each opens the package anew): reading a tab scans its sheet for facts and
    for tables, a sync reads it for the date format and to patch it. The parts are let go
    when the block ends (``data`` must stay alive in it, as its id is the key)."""
    key = id(data)
    _SHARING[key] += 1
    try:
        yield
    finally:
        _SHARING[key] -= 1
        if not _SHARING[key]:
            del _SHARING[key]
            for shared in [k for k in _SHARED if k[0] == key]:
                del _SHARED[shared]


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


class _Spliced:
    """A part's new content as its old bytes with some byte ranges replaced: ``edits`` are
    ``(start, end, replacement)``, sorted and not overlapping (``start == end`` inserts).

    A sheet patched in every row is never joined into one new copy: its pieces are deflated
    straight from the old bytes and the replacements (see :meth:`_Package.commit`). ``edits``
    may be an iterator that renders each replacement when it is reached (the appended cells of
    20,000 rows are then never all held at once); such a ``_Spliced`` can be read once.
    """

    def __init__(self, base: bytes, edits: Iterable[tuple[int, int, bytes]]) -> None:
        self.base = base
        self._edits = edits
        self._seen: list[tuple[int, int, bytes]] = []  # taken from an iterator by changes()

    def _all(self) -> Iterator[tuple[int, int, bytes]]:
        if isinstance(self._edits, list):
            yield from self._edits
            return
        yield from self._seen
        yield from self._edits

    def chunks(self) -> Iterator[_Chunk]:
        """The new content, in pieces of about a megabyte (so a deflate sees few calls)."""
        view, pos, batch = memoryview(self.base), 0, bytearray()
        for start, end, replacement in self._all():
            batch += view[pos:start]
            batch += replacement
            pos = end
            if len(batch) >= _CHUNK:
                yield batch
                batch = bytearray()
        batch += view[pos:]
        yield batch

    def changes(self) -> bool:
        """Whether the new content differs from the old (reads edits up to the first change)."""
        if isinstance(self._edits, list):
            return any(self.base[start:end] != new for start, end, new in self._edits)
        for edit in self._edits:
            self._seen.append(edit)
            start, end, new = edit
            if self.base[start:end] != new:
                return True
        return False

    def join(self) -> bytes:
        """The new content as one bytes object."""
        return b"".join(self.chunks())


@dataclass(frozen=True)
class _Deflated:
    """An entry's new content deflated (a raw stream, at :data:`COMPRESS_LEVEL`, as
    ``writestr`` would write it), with its CRC-32 and inflated size."""

    raw: bytes
    crc: int
    size: int

    @classmethod
    def of(
        cls, chunks: Iterable[_Chunk], also: Callable[[_Chunk], None] | None = None
    ) -> _Deflated:
        """Deflate the content given in ``chunks`` (and hand each chunk to ``also`` first,
        such as a parser checking it; what it raises is raised here).

        The deflating is done on a second thread while this one makes the next chunks (zlib
        does not hold the interpreter's lock while it compresses): the bytes are the same as
        deflating the chunks one after the other here."""
        pending: queue.Queue[_Chunk | None] = queue.Queue(maxsize=4)  # a few chunks at most
        deflater = _Deflater(pending, also)
        deflater.start()
        try:
            for chunk in chunks:
                pending.put(chunk)
        finally:
            pending.put(None)
            deflater.join()
        if deflater.error is not None:
            raise deflater.error
        return cls(b"".join(deflater.out), deflater.crc, deflater.size)

    def inflate(self) -> bytes:
        """The content."""
        return zlib.decompress(self.raw, -zlib.MAX_WBITS, max(self.size, 64))

    def holds(self, content: bytes) -> bool:
        """Whether this is ``content`` deflated (size and CRC-32 first, then every byte)."""
        if len(content) != self.size or zlib.crc32(content) != self.crc:
            return False
        return self.inflate() == content


class _Deflater(threading.Thread):
    """Deflates the chunks put in ``pending`` until a None, keeping their CRC-32 and size."""

    def __init__(
        self, pending: queue.Queue[_Chunk | None], also: Callable[[_Chunk], None] | None
    ) -> None:
        super().__init__(name="sheetsync-deflate", daemon=True)
        self.pending, self.also = pending, also
        self.out: list[bytes] = []
        self.crc = self.size = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        while (chunk := self.pending.get()) is not None:
            if self.error is None:  # after an error, only drain what is still put
                try:
                    if self.also is not None:
                        self.also(chunk)
                    self.crc, self.size = zlib.crc32(chunk, self.crc), self.size + len(chunk)
                    self.out.append(deflate.compress(chunk))
                except BaseException as exc:  # raised by _Deflated.of, in its thread
                    self.error = exc
        if self.error is None:
            self.out.append(deflate.flush())


_CHUNK = 1 << 20
_DEFLATE_NOW = 1 << 20  # parts this large are deflated when committed (see _Package._stored)


@dataclass
class _Edit:
    """Pending changes to a package: replaced, added and removed entries (a part rewritten
    as splices of its old bytes in ``spliced``; one replaced or added as content deflated
    while it was made, never held whole, in ``deflated``)."""

    replace: dict[str, bytes] = field(default_factory=dict)
    add: dict[str, bytes] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)
    spliced: dict[str, _Spliced] = field(default_factory=dict)
    deflated: dict[str, _Deflated] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.replace or self.add or self.remove or self.spliced or self.deflated)

    def __str__(self) -> str:
        names = {*self.replace, *self.add, *self.remove, *self.spliced, *self.deflated}
        return ", ".join(sorted(names))


# Deflate level for the entries a sync rewrites. Level 1 is about three times as fast as
# zlib's default (6) on worksheet XML, for a part about a quarter larger (a sheet of 20,000
# rows: 1.59 instead of 1.28 MB; level 3 would be 1.45 MB at half of level 6's time).
# Untouched entries keep the compressed bytes they had.
COMPRESS_LEVEL = 1
_ENCRYPTED = 0x1


def _rebuild(pkg: _Package) -> bytes:
    """Write a new zip: same entries in the same order, edited ones swapped in, added last.

    An entry no edit touched is copied as the compressed bytes it had, under the CRC-32 and
    sizes of its directory entry: it is neither inflated nor compressed again. The sync's
    verification compares those bytes with the original's (:func:`copied_entries_differ`).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", allowZip64=True) as new:
        if pkg.zip.comment:
            new.comment = pkg.zip.comment
        copy_raw = _can_copy_raw(new)
        for name in pkg.names:
            info = pkg.index[name]
            content = pkg.changed.get(name)
            raw = _raw_bytes(pkg.data, info) if copy_raw and content is None else None
            if copy_raw and isinstance(content, _Deflated):
                _write_raw(new, _deflated_info(info, content), memoryview(content.raw))
            elif raw is None:
                new.writestr(_clone_info(info), pkg.read(name), compresslevel=COMPRESS_LEVEL)
            else:
                _write_raw(new, info, raw)
    return out.getvalue()


def _deflated_info(info: zipfile.ZipInfo, content: _Deflated) -> zipfile.ZipInfo:
    """The entry ``info`` with the CRC-32 and sizes of its new, deflated ``content``."""
    fresh = _clone_info(info)
    fresh.CRC, fresh.file_size, fresh.compress_size = content.crc, content.size, len(content.raw)
    if not fresh.external_attr:  # as zipfile's own writer marks a new entry
        fresh.external_attr = 0o600 << 16
    return fresh


def _can_copy_raw(new: zipfile.ZipFile) -> bool:
    """True when this Python's zipfile has the internals :func:`_write_raw` relies on (3.11 to
    3.14 do); otherwise every entry is written through ``writestr``, slower but the same."""
    needed = ("start_dir", "filelist", "NameToInfo", "_didModify")
    return all(hasattr(new, a) for a in needed) and hasattr(zipfile.ZipInfo, "FileHeader")


def _raw_bytes(data: bytes, info: zipfile.ZipInfo) -> memoryview | None:
    """The entry's compressed bytes as stored, or None when they cannot be copied as they are
    (encrypted, an unusual compression, a damaged or truncated entry)."""
    if info.flag_bits & _ENCRYPTED or info.compress_type not in _COPYABLE:
        return None
    try:
        start, stop = _raw_span(data, info)
    except SourceError:
        return None
    if stop - start != info.compress_size:
        return None
    return memoryview(data)[start:stop]


_COPYABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _write_raw(new: zipfile.ZipFile, info: zipfile.ZipInfo, raw: memoryview) -> None:
    """Append an entry whose compressed bytes are known, laid out as ``writestr`` lays one.

    zipfile has no public call for this. It keeps where the next entry goes in ``start_dir``
    and the central directory in ``filelist`` and ``NameToInfo``, which ``close`` writes (only
    once the archive is marked modified).
    """
    clone = _clone_info(info)
    clone.CRC, clone.compress_size, clone.file_size = info.CRC, len(raw), info.file_size
    fp = new.fp
    assert fp is not None  # open for writing
    fp.seek(new.start_dir)
    clone.header_offset = fp.tell()
    fp.write(clone.FileHeader())  # sizes and CRC in the local header: no data descriptor
    fp.write(raw)
    new.filelist.append(clone)
    new.NameToInfo[clone.filename] = clone
    new.start_dir = fp.tell()
    new._didModify = True  # type: ignore[attr-defined]  # close() writes the directory then


def _raw_span(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Where the entry's compressed bytes lie in ``data`` (after its local header)."""
    head = info.header_offset
    if data[head : head + 4] != b"PK\x03\x04" or len(data) < head + 30:
        raise SourceError(
            f"The workbook's zip entry {info.filename!r} is damaged. Open it in Excel or "
            "LibreOffice and save it again, or restore a backup."
        )
    name_len = int.from_bytes(data[head + 26 : head + 28], "little")
    extra_len = int.from_bytes(data[head + 28 : head + 30], "little")
    start = head + 30 + name_len + extra_len
    return start, min(start + info.compress_size, len(data))


def copied_entries_differ(before: bytes, after: bytes, names: Iterable[str]) -> list[str]:
    """Which of ``names`` hold different content in ``after`` (or are missing from either).

    Entries stored as the same compressed bytes are the same; any other pair is inflated and
    compared byte by byte (zipfile checks each against its CRC-32 as it inflates).
    """
    old, new = _Package(before), _Package(after)
    return [name for name in names if not _same_entry(old, new, name)]


def _same_entry(old: _Package, new: _Package, name: str) -> bool:
    if name not in old.index or name not in new.index:
        return False  # added or removed
    a, b = old.index[name], new.index[name]
    raw_a, raw_b = _raw_bytes(old.data, a), _raw_bytes(new.data, b)
    # bytes compare at memcmp speed; memoryviews compare item by item
    if raw_a is not None and raw_b is not None and a.compress_type == b.compress_type:
        same = bytes(raw_a) == bytes(raw_b)
        if same:
            return True
    try:
        return old.read(name) == new.read(name)
    except SourceError:  # a damaged entry (its CRC-32 does not match): not the same
        return False


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
