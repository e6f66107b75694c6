"""A large rewritten part is deflated when its edit is committed (never held inflated until
the zip is written), and a sheet patched in every row is deflated from splices of its old
bytes: the zip written is byte for byte the one zipfile's own writer gives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from sheetsync.backends.xlsx_package import (
    CellWrite,
    PackageWriter,
    patch_cells,
    put_sheet,
    shared_reads,
    zipped,
)
from sheetsync.errors import SourceError

from .workbooks import kitchen_sink

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def big_sheet(rows: int) -> bytes:
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>person {r} · notes</t></is></c></row>'
        for r in range(1, rows + 1)
    )
    return f'<worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'.encode()


def test_a_large_added_part_is_written_as_zipfile_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    xml = big_sheet(20_000)
    assert len(xml) > zipped._DEFLATE_NOW
    early = put_sheet(data, "Prep", xml)
    monkeypatch.setattr(zipped, "_DEFLATE_NOW", 1 << 40)  # every part kept inflated
    late = put_sheet(data, "Prep", xml)
    assert early == late
    with zipfile.ZipFile(io.BytesIO(early)) as z:
        assert z.testzip() is None
        part = next(n for n in z.namelist() if z.read(n) == xml)
        assert z.getinfo(part).compress_type == zipfile.ZIP_DEFLATED


def test_a_sheet_patched_in_every_row_is_written_as_zipfile_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = put_sheet(kitchen_sink(tmp_path / "t.xlsx").read_bytes(), "Big", big_sheet(20_000))
    cells = {(r, 3): CellWrite(f"status {r % 7}") for r in range(1, 20_001)}
    early = patch_cells(data, "Big", cells)
    monkeypatch.setattr(zipped, "_DEFLATE_NOW", 1 << 40)
    late = patch_cells(data, "Big", cells)
    assert early == late
    writer = PackageWriter(data)
    writer.patch_cells("Big", cells)
    part = next(n for n, c in writer._pkg.changed.items() if isinstance(c, bytes) is False)
    with zipfile.ZipFile(io.BytesIO(early)) as z:
        assert writer._pkg.read(part) == z.read(part)  # read back from the deflated form
        assert b'<c r="C20000" t="inlineStr"><is><t xml:space="preserve">status 1</t>' in z.read(
            part
        )


def test_splices_give_the_old_bytes_with_the_ranges_replaced() -> None:
    base = b"0123456789" * 300_000
    edits = [(0, 0, b"<"), (5, 7, b"xy"), (1_000_000, 1_000_000, b"!"), (2_999_990, 3_000_000, b"")]
    spliced = zipped._Spliced(base, edits)
    expected = b"<" + base[:5] + b"xy" + base[7:1_000_000] + b"!" + base[1_000_000:2_999_990]
    assert spliced.join() == expected
    assert spliced.changes()
    assert not zipped._Spliced(base, [(5, 7, base[5:7]), (9, 9, b"")]).changes()
    deflated = zipped._Deflated.of(spliced.chunks())
    assert deflated.inflate() == expected and deflated.size == len(expected)


def test_inside_shared_reads_each_part_is_inflated_once(tmp_path: Path) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    part = "xl/worksheets/sheet1.xml"
    assert zipped._Package(data).read(part) is not zipped._Package(data).read(part)
    with shared_reads(data):
        first = zipped._Package(data).read(part)
        with shared_reads(data):  # nested: the outer block still shares
            assert zipped._Package(data).read(part) is first
        assert zipped._Package(data).read(part) is first
        other = bytes(bytearray(data))  # the same content in another object: not shared
        assert zipped._Package(other).read(part) is not first
        writer = PackageWriter(data)
        writer.patch_cells("Contacts", {(2, 30): CellWrite("x")})
        assert writer.read(part) != first  # an edited part reads as edited
        assert zipped._Package(data).read(part) is first
    assert zipped._SHARED == {} and not zipped._SHARING
    assert zipped._Package(data).read(part) == first


def test_a_part_is_inflated_as_zipfile_reads_it_and_damage_is_refused(tmp_path: Path) -> None:
    data = kitchen_sink(tmp_path / "t.xlsx").read_bytes()
    pkg = zipped._Package(data)
    for name in pkg.names:
        assert pkg.read(name) == pkg.zip.read(name), name
    part = "xl/worksheets/sheet1.xml"
    info = pkg.index[part]
    lo, hi = zipped._raw_span(data, info)
    flipped = data[: lo + 40] + bytes([data[lo + 40] ^ 0x5A]) + data[lo + 41 :]
    with pytest.raises(SourceError, match="Cannot read part"):
        zipped._Package(flipped).read(part)
    cut = data[: hi - 8] + bytes(8) + data[hi:]  # the stream's end zeroed
    with pytest.raises(SourceError, match="Cannot read part"):
        zipped._Package(cut).read(part)


def test_splices_read_from_an_iterator_lose_none_that_changes_looked_at() -> None:
    base = b"<a><b/><c/></a>"
    edits = [(3, 3, b""), (3, 7, b"<b/>"), (7, 7, b"<x/>"), (11, 11, b"<y/>")]
    lazy = zipped._Spliced(base, iter(edits))
    assert lazy.changes()  # reads up to the third edit, the first real change
    assert lazy.join() == b"<a><b/><x/><c/><y/></a>" == zipped._Spliced(base, edits).join()
    assert not zipped._Spliced(base, iter(edits[:2])).changes()
