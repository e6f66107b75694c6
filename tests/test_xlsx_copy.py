"""Untouched zip entries are copied as their compressed bytes, and the sync's verification
refuses a write whose copied entries or unmanaged cells are not what they were."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends import xlsx as xlsx_backend
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import (
    CellWrite,
    changed_parts,
    copied_entries_differ,
    patch_cells,
    zipped,
)
from sheetsync.config import Settings
from sheetsync.errors import WriteRefused

from .workbooks import kitchen_sink

TODAY = dt.date(2026, 3, 16)


def raw_entries(data: bytes) -> dict[str, tuple[int, int, int, bytes]]:
    """Each entry's compression, CRC, size and compressed bytes, read with zipfile's offsets."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            head = info.header_offset
            name_len = int.from_bytes(data[head + 26 : head + 28], "little")
            extra_len = int.from_bytes(data[head + 28 : head + 30], "little")
            start = head + 30 + name_len + extra_len
            raw = data[start : start + info.compress_size]
            out[info.filename] = (info.compress_type, info.CRC, info.file_size, raw)
    return out


def test_untouched_entries_keep_their_compressed_bytes(tmp_path: Path) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    after = patch_cells(data, "Contacts", {(2, 20): CellWrite("hello")})
    before_raw, after_raw = raw_entries(data), raw_entries(after)
    touched = changed_parts(data, after)
    assert touched and "xl/worksheets/sheet1.xml" in touched
    assert list(before_raw) == list(after_raw)  # same entries, same order
    for name in before_raw:
        if name not in touched:
            assert after_raw[name] == before_raw[name], name
    with zipfile.ZipFile(io.BytesIO(after)) as z:
        assert z.testzip() is None  # every entry inflates to its CRC-32
    assert copied_entries_differ(data, after, set(before_raw) - touched) == []


def streamed_zip(entries: dict[str, bytes], compress_type: int) -> bytes:
    """A zip written to a stream that cannot seek: each entry has a data descriptor."""

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buffer = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.buffer += b
            return len(b)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", compression=compress_type) as z:  # type: ignore[arg-type]
        for name, content in entries.items():
            z.writestr(name, content)
    return bytes(sink.buffer)


@given(
    contents=st.lists(st.binary(max_size=3000), min_size=1, max_size=5),
    stored=st.booleans(),
    streamed=st.booleans(),
)
def test_property_a_rebuilt_package_holds_the_same_entries(
    contents: list[bytes], stored: bool, streamed: bool
) -> None:
    """Whatever the entries hold and however they were stored (deflated or stored, with or
    without data descriptors), a rebuild that replaces one entry keeps every other entry's
    content, and the result is a valid zip."""
    entries = {f"xl/part{i}.bin": c for i, c in enumerate(contents)}
    compress = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    if streamed:
        data = streamed_zip(entries, compress)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=compress) as z:
            for name, content in entries.items():
                z.writestr(name, content)
        data = buffer.getvalue()
    pkg = zipped._Package(data)
    pkg.commit(zipped._Edit(replace={"xl/part0.bin": b"new"}))
    after = zipped._rebuild(pkg)
    with zipfile.ZipFile(io.BytesIO(after)) as z:
        assert z.testzip() is None
        assert z.namelist() == list(entries)
        assert {n: z.read(n) for n in z.namelist()} == {**entries, "xl/part0.bin": b"new"}
    assert copied_entries_differ(data, after, list(entries)[1:]) == []


def test_a_damaged_copy_is_found(tmp_path: Path) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    after = patch_cells(data, "Contacts", {(2, 20): CellWrite("hello")})
    name, (_, _, _, raw) = next(
        (n, e) for n, e in raw_entries(after).items() if n == "xl/styles.xml" or len(e[3]) > 50
    )
    spot = after.index(raw) + len(raw) // 2
    damaged = after[:spot] + bytes([after[spot] ^ 0x55]) + after[spot + 1 :]
    assert copied_entries_differ(data, damaged, [name]) == [name]


def synced(path: Path) -> pipeline.SyncResult:
    return pipeline.sync(XlsxBackend(path), Settings(), TODAY)


def test_a_sync_whose_copied_entry_is_damaged_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    before = tracker.read_bytes()
    real = zipped._write_raw

    def damaging(new: zipfile.ZipFile, info: zipfile.ZipInfo, raw: memoryview) -> None:
        if info.filename.endswith("theme1.xml"):
            mid = len(raw) // 2  # (the last byte may be padding after the end of the stream)
            raw = memoryview(bytes(raw[:mid]) + bytes([raw[mid] ^ 0xFF]) + bytes(raw[mid + 1 :]))
        real(new, info, raw)

    monkeypatch.setattr(zipped, "_write_raw", damaging)
    with pytest.raises(WriteRefused, match=r"theme1\.xml"):
        synced(tracker)
    assert tracker.read_bytes() == before


def test_a_sync_that_would_change_an_unmanaged_cell_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = kitchen_sink(tmp_path / "tracker.xlsx")
    before = tracker.read_bytes()
    real = xlsx_backend.PackageWriter.patch_cells

    def one_more(self: xlsx_backend.PackageWriter, sheet: str, cells: dict, **kw: object) -> None:  # type: ignore[type-arg]
        real(self, sheet, {**cells, (2, 1): CellWrite("not the student's")}, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(xlsx_backend.PackageWriter, "patch_cells", one_more)
    with pytest.raises(WriteRefused, match="cell A2 would change"):
        synced(tracker)
    assert tracker.read_bytes() == before


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>', None),
        (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData/></x:worksheet>', None),
        (f'<!-- {"long " * 2000} --><worksheet xmlns="{MAIN}"/>', None),
        (f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData/></worksheet>', None),
        (f'<worksheet xmlns="{MAIN}"><sheetData></worksheet>', "not well-formed"),
        ('<worksheet xmlns="urn:other"/>', "SpreadsheetML <worksheet>"),
        (f'<workbook xmlns="{MAIN}"/>', "SpreadsheetML <worksheet>"),
        (
            f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><drawing r:id="rId1"/></worksheet>',
            "relationships",
        ),
        (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"/>', "SpreadsheetML <worksheet>"),
    ],
)
def test_the_sheet_xml_check(xml: str, problem: str | None) -> None:
    """The check of a part to put: well-formed, a worksheet root, no relationship ids."""
    from sheetsync.backends.xlsx_package.sheets import _check_sheet_xml

    if problem is None:
        _check_sheet_xml(xml.encode())
    else:
        with pytest.raises(ValueError, match=problem):
            _check_sheet_xml(xml.encode())


_attr = st.sampled_from(
    [b'r="A7"', b'r="ab12"', b'r="ABCD3"', b's="4"', b's="17"', b's="017"', b't="s"']
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"c", b"x:c", b"col", b"cfRule", b"t"]),
            st.lists(_attr, max_size=3, unique=True),
            st.sampled_from([b" ", b"\n"]),
            st.sampled_from([b"", b' s="4"', b'x s="17" r="B2"']),  # text after the tag
        ),
        max_size=6,
    ),
    st.sets(st.sampled_from([0, 4, 17, 170])),
)
def test_property_date_format_reads_each_cells_column_and_style(
    cells: list[tuple[bytes, list[bytes], bytes, bytes]], xfs: set[int]
) -> None:
    """For every cell start tag whose style is one of ``xfs``, in order, the scan finds the
    same column and style as searching each tag for its attributes (text never counts)."""
    import re

    from sheetsync.backends.xlsx_formats import _dated_cells

    tags = (b"<" + t + (s + b" ".join(a) if a else b"") + b">" + x for t, a, s, x in cells)
    xml = b"<row>" + b"<row>".join(tags)
    expected: list[tuple[bytes, int]] = []
    for tag in re.findall(rb"<(?:\w+:)?c\s[^>]*>", xml):
        style = re.search(rb'\ss="(\d+)"', tag)
        column = re.search(rb'\sr="([A-Za-z]{1,3})\d+"', tag)
        if style and int(style.group(1)) in xfs:
            expected.append((column.group(1) if column else b"", int(style.group(1))))
    assert list(_dated_cells(xml, xfs)) == expected  # in order: ties go to the first


def test_an_entry_missing_after_the_write_is_a_difference(tmp_path: Path) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    pkg = zipped._Package(data)
    pkg.commit(zipped._Edit(remove={"xl/theme/theme1.xml"}))
    after = zipped._rebuild(pkg)
    assert copied_entries_differ(data, after, ["xl/theme/theme1.xml", "xl/styles.xml"]) == [
        "xl/theme/theme1.xml"
    ]


def test_without_zipfile_internals_every_entry_is_rewritten_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a Python whose zipfile lacks what the raw copy relies on, the package is written
    through ``writestr`` instead: every entry holds the same content."""
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    monkeypatch.setattr(zipped, "_can_copy_raw", lambda new: False)
    after = patch_cells(data, "Contacts", {(2, 20): CellWrite("hello")})
    touched = changed_parts(data, after)
    assert touched == {"xl/worksheets/sheet1.xml"}
    with zipfile.ZipFile(io.BytesIO(data)) as a, zipfile.ZipFile(io.BytesIO(after)) as b:
        assert b.testzip() is None and a.namelist() == b.namelist()
        for name in a.namelist():
            if name not in touched:
                assert a.read(name) == b.read(name), name
    assert copied_entries_differ(data, after, set(raw_entries(data)) - touched) == []
    monkeypatch.undo()
    assert zipped._can_copy_raw(zipfile.ZipFile(io.BytesIO(), "w"))  # this Python copies raw
