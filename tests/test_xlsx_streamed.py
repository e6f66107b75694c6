"""A sheet given in chunks is deflated as it comes (the prep tab is never held whole) and gives
the very package its bytes give; the verification's read of the contacts tab, begun on a second
thread before the prep tab is added, is used only when the final package reads that tab from
the same inputs."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sheetsync import pipeline
from sheetsync.backends import xlsx_read
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_package import (
    CellStyle,
    CellWrite,
    PackageWriter,
    ReadLimits,
    patch_cells,
    register_styles,
)
from sheetsync.config import Settings

from .test_xlsx_deflated import MAIN, big_sheet
from .workbooks import kitchen_sink

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tracker.xlsx"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def chunked(xml: bytes, cuts: list[int]) -> list[bytes]:
    """``xml`` cut at the given offsets (sorted, deduplicated, inside it)."""
    points = sorted({0, *(c % len(xml) for c in cuts), len(xml)})
    return [xml[a:b] for a, b in itertools.pairwise(points) if b > a]


def put(data: bytes, name: str, xml: bytes | list[bytes]) -> bytes:
    writer = PackageWriter(data)
    writer.put_sheet(name, iter(xml) if isinstance(xml, list) else xml, title_rows=(1, 2))
    return writer.to_bytes()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return kitchen_sink(tmp_path_factory.mktemp("book") / "t.xlsx").read_bytes()


@hsettings(max_examples=30)
@given(rows=st.integers(1, 400), cuts=st.lists(st.integers(0, 10**7), max_size=12))
def test_chunks_give_the_package_their_bytes_give(book: bytes, rows: int, cuts: list[int]) -> None:
    xml = big_sheet(rows)
    assert put(book, "Prep", chunked(xml, cuts)) == put(book, "Prep", xml)


def test_a_large_streamed_tab_added_then_replaced_then_put_again(book: bytes) -> None:
    xml = big_sheet(30_000)
    added = put(book, "Prep", chunked(xml, list(range(0, len(xml), 1 << 18))))
    assert added == put(book, "Prep", xml)
    other = big_sheet(29_999)
    replaced = put(added, "Prep", [other])
    assert replaced == put(added, "Prep", other)
    assert put(replaced, "Prep", [other[:10], other[10:]]) is replaced  # nothing to change


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (f'<worksheet xmlns="{MAIN}"><sheetData><row></sheetData></worksheet>', "well-formed"),
        (f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>trailing', "well-formed"),
        (f'<chartsheet xmlns="{MAIN}"/>', "worksheet"),
        (
            f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData/>'
            '<drawing r:id="rId1"/></worksheet>',
            "relationships",
        ),
    ],
)
def test_bad_chunks_are_refused_and_the_package_is_unchanged(
    book: bytes, xml: str, problem: str
) -> None:
    writer = PackageWriter(book)
    with pytest.raises(ValueError, match=problem):
        writer.put_sheet("Prep", iter(chunked(xml.encode(), [7, 40, 41])))
    assert writer.to_bytes() is book


def test_the_relationships_namespace_is_found_across_a_cut(book: bytes) -> None:
    xml = f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData/></worksheet>'.encode()
    at = xml.index(REL.encode()) + 5
    with pytest.raises(ValueError, match="relationships"):
        put(book, "Prep", [xml[:at], xml[at:]])


# --------------------------------------------------------------------------- the read ahead


CELLS = {(r, 9): CellWrite(f"status {r}") for r in range(1, 8)}


def test_a_sync_with_a_prep_tab_verifies_from_the_read_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tracker.xlsx"
    shutil.copyfile(EXAMPLE, path)
    used: list[bool] = []
    read_for = xlsx_read.ParseAhead.read_for

    def spied(self: xlsx_read.ParseAhead, data: bytes, name: str) -> object:
        found = read_for(self, data, name)
        used.append(found is not None)
        return found

    monkeypatch.setattr(xlsx_read.ParseAhead, "read_for", spied)
    result = pipeline.sync(XlsxBackend(path), Settings(), dt.date(2026, 3, 16))
    assert result.written and result.plan.prep is not None
    assert used == [True]


def test_the_read_ahead_is_not_used_when_the_tab_or_its_inputs_changed(book: bytes) -> None:
    limits = ReadLimits()
    snapshot = patch_cells(book, "Contacts", CELLS)
    own = list(xlsx_read.written_rows(snapshot, "Contacts", limits))
    with_prep = put(snapshot, "Prep", big_sheet(50))
    ahead = xlsx_read.ParseAhead(snapshot, "Contacts", limits)
    assert ahead.read_for(with_prep, "Contacts") is not None  # only the tab list changed
    assert list(xlsx_read.written_rows(with_prep, "Contacts", limits, ahead)) == own

    other_cell = patch_cells(with_prep, "Contacts", {(2, 1): CellWrite("Someone else")})
    restyled, _ = register_styles(with_prep, [CellStyle(bold=True, fill="123456")])
    for changed in (other_cell, restyled):
        ahead = xlsx_read.ParseAhead(snapshot, "Contacts", limits)
        assert ahead.read_for(changed, "Contacts") is None
        rows = list(xlsx_read.written_rows(changed, "Contacts", limits, ahead))
        assert rows == list(xlsx_read.written_rows(changed, "Contacts", limits))
    assert rows[1][0] != "Someone else"  # the restyled package: the tab's own values
    assert list(xlsx_read.written_rows(other_cell, "Contacts", limits))[1][0] == "Someone else"
    assert xlsx_read.ParseAhead(snapshot, "Contacts", limits).read_for(snapshot, "Other") is None


def test_a_read_ahead_that_failed_leaves_the_verification_its_own_read(book: bytes) -> None:
    limits = ReadLimits()
    ahead = xlsx_read.ParseAhead(b"not a zip", "Contacts", limits)
    assert ahead.read_for(book, "Contacts") is None
    rows = list(xlsx_read.written_rows(book, "Contacts", limits, ahead))
    assert rows == list(xlsx_read.written_rows(book, "Contacts", limits))
