"""Bounded resources: a workbook made to exhaust memory is refused with a message, in bounded
memory, and a tracker with a stray cell far below its data is read without a grid of a million
empty rows.

Each hostile workbook is built on the fly (a real zip, a real deflate stream) and read by the
real console script in a subprocess whose address space is capped with ``RLIMIT_AS`` at 1 GiB:
without the limits, reading any of them ends in a MemoryError (or worse) under that cap.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from .cli_runner import Result, snapshot
from .conftest import save_rows

CAP = 1 << 30  # 1 GiB of address space for the whole sheetsync process
TODAY = "2026-03-16"
HEAD = ["Name", "Organization", "Email", "Date Contacted", "Response"]
ROWS = [HEAD, ["Ann Lee", "Acme", "ann@acme.org", "2026-03-01", None]]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")


def run_capped(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m sheetsync ARGS`` in ``folder`` with its address space capped at CAP."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    env = {**os.environ, "COLUMNS": "400"}
    env.pop("SHEETSYNC_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "sheetsync", *args],
        cwd=folder,
        env=env,
        preexec_fn=cap,
        capture_output=True,
        text=True,
        timeout=600,
    )


# ---------------------------------------------------------------------- zip bombs


def _deflated(data: bytes, *, final: bool = False) -> bytes:
    """Raw deflate blocks for ``data`` that can be concatenated with others (full flush)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def bomb_entry(xml: bytes, padding_mib: int) -> tuple[bytes, int, int]:
    """The sheet XML with ``padding_mib`` MiB of spaces after ``<sheetData>``, deflated:
    (compressed bytes, CRC-32, inflated size). One MiB of spaces is deflated once and repeated."""
    head, tail = xml.split(b"<sheetData>", 1)
    head += b"<sheetData>"
    spaces = b" " * (1 << 20)
    block = _deflated(spaces)
    crc = zlib.crc32(head)
    for _ in range(padding_mib):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(tail, crc)
    raw = _deflated(head) + block * padding_mib + _deflated(tail, final=True)
    return raw, crc, len(head) + padding_mib * len(spaces) + len(tail)


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int, int]]) -> None:
    """A zip from (name, raw deflate, crc, compressed size, declared inflated size) entries —
    written by hand so that a declared size can differ from the real one."""
    out, central = bytearray(), bytearray()
    for name, raw, crc, csize, usize in entries:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, csize, usize, len(encoded), 0
        )
        out += encoded + raw
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            csize,
            usize,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))


def zip_bomb(folder: Path, *, padding_mib: int = 1024, lie: bool = False) -> Path:
    """A real tracker whose sheet part inflates to ``padding_mib`` MiB more than it should;
    with ``lie`` its zip headers declare the sheet's honest size instead."""
    plain = save_rows(folder / "plain.xlsx", ROWS)
    entries = []
    with zipfile.ZipFile(plain) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                raw, crc, size = bomb_entry(data, padding_mib)
                declared = len(data) if lie else size
            else:
                raw, crc, size = _deflated(data, final=True), zlib.crc32(data), len(data)
                declared = size
            entries.append((info.filename, raw, crc, len(raw), declared))
    plain.unlink()
    path = folder / "bomb.xlsx"
    write_zip(path, entries)
    return path


def assert_refused(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    text = " ".join((done.stdout + " " + done.stderr).split())
    assert done.returncode == 3, text
    assert "Traceback" not in text and "MemoryError" not in text and "bug" not in text, text
    for needle in needles:
        assert needle in text, text
    return text


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path)
    assert path.stat().st_size < 2 * 2**20  # about 1 MB on disk …
    with zipfile.ZipFile(path) as zf:  # … that says it unzips to over a gigabyte
        assert sum(i.file_size for i in zf.infolist()) > 2**30
    before = snapshot(tmp_path)
    for command in ("check", "sync"):
        done = run_capped(tmp_path, command, path.name, "--today", TODAY)
        text = assert_refused(done, "declares 1,024 MB", "more than the 300 MB", "max_unzipped_mb")
        assert text.startswith("Error: The workbook's XML declares 1,024 MB once unzipped")
    assert snapshot(tmp_path) == before


def test_a_zip_bomb_with_a_lying_header_is_caught_while_inflating(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path, lie=True)
    with zipfile.ZipFile(path) as zf:  # the zip directory looks harmless
        assert sum(i.file_size for i in zf.infolist()) < 2**20
    done = run_capped(tmp_path, "check", path.name, "--today", TODAY)
    assert_refused(
        done, "Part 'xl/worksheets/sheet1.xml' of the workbook inflates to more than the"
    )


def test_the_unzipped_limit_is_a_setting(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = zip_bomb(tmp_path, padding_mib=3)  # 3 MiB: under the default, over a limit of 2
    assert cli("check", path.name, "--today", TODAY, "--exit-zero").code == 0
    (tmp_path / "sheetsync.toml").write_text("[sync]\nmax_unzipped_mb = 2\n")
    res = cli("check", path.name, "--today", TODAY)
    assert res.code == 3
    assert "declares 3 MB once unzipped, more than the 2 MB sheetsync reads" in res.text


@pytest.mark.parametrize("key", ["max_unzipped_mb", "max_cells"])
@pytest.mark.parametrize("value", ["0", '"big"', "true"])
def test_limits_must_be_positive_whole_numbers(
    key: str, value: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    save_rows(tmp_path / "t.xlsx", ROWS)
    (tmp_path / "sheetsync.toml").write_text(f"[sync]\n{key} = {value}\n")
    res = cli("check", "t.xlsx", "--today", TODAY)
    assert res.code == 2  # a config error (was 3)
    assert f"'sync.{key}' must be a whole number" in res.text


# ---------------------------------------------------------------------- huge dimensions


def stray_cell_tracker(folder: Path, columns: int = 20) -> Path:
    """Ten contacts across ``columns`` columns, and one value typed at A1048576."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEAD + [f"Extra {i}" for i in range(columns - len(HEAD))])
    for i in range(10):
        ws.append([f"P{i}", "Acme", f"p{i}@acme.org", "2026-03-01", None] + ["x"] * 15)
    ws["A1048576"] = "Zed Stray"
    wb.save(folder / "stray.xlsx")
    return folder / "stray.xlsx"


def test_a_stray_cell_at_the_last_row_is_read_without_the_empty_rows(tmp_path: Path) -> None:
    path = stray_cell_tracker(tmp_path)
    done = run_capped(tmp_path, "check", path.name, "--today", TODAY, "--format", "json")
    assert done.returncode == 1, done.stderr
    import json

    findings = [(f["row"], f["rule"]) for f in json.loads(done.stdout)["findings"]]
    assert findings == [(r, "follow-up-7b") for r in range(2, 12)] + [
        (1_048_576, "no-contact-info")
    ]


def test_a_stray_cell_is_read_the_same_in_process(tmp_path: Path) -> None:
    from sheetsync.backends.xlsx import XlsxBackend

    tab = XlsxBackend(stray_cell_tracker(tmp_path)).read().tabs[0]
    assert tab.height == 1_048_576
    assert tab.cell(1_048_576, 1) == "Zed Stray" and tab.cell(11, 3) == "p9@acme.org"
    assert sum(1 for r in tab.rows if r) == 12  # the empty rows are empty lists, not grids


def absurd_block(folder: Path) -> Path:
    """20,000 rows of contacts and one value at XFD10000: a block of 327,680,000 cells."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Contacts")
    ws.append(HEAD)
    for i in range(2, 20_001):
        row: list[object] = [f"P{i}", "Acme", f"p{i}@acme.org", "2026-03-01", None]
        if i == 10_000:
            row += [None] * (16_384 - len(row) - 1) + ["far right"]
        ws.append(row)
    wb.save(folder / "wide.xlsx")
    return folder / "wide.xlsx"


def test_a_block_too_large_to_read_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = absurd_block(tmp_path)
    done = run_capped(tmp_path, "check", path.name, "--today", TODAY)
    assert_refused(
        done,
        "Tab 'Contacts' is too large to read: its rows 1–20,000 reach column XFD (cell XFD10000)",
        "a block of 327,680,000 cells; sheetsync reads at most 10,000,000",
        "max_cells",
    )


def test_a_formatted_but_empty_cell_far_below_adds_no_rows(tmp_path: Path) -> None:
    from sheetsync.backends.xlsx import XlsxBackend

    path = save_rows(tmp_path / "t.xlsx", ROWS)
    wb = openpyxl.load_workbook(path)
    wb["Contacts"]["A1048576"].font = openpyxl.styles.Font(bold=True)  # no value, only bold
    wb.save(path)
    tab = XlsxBackend(path).read().tabs[0]
    assert tab.rows == [HEAD, ["Ann Lee", "Acme", "ann@acme.org", "2026-03-01", None]]
