"""The advisor export, end to end on real files: every figure against numbers computed here from
the input rows, redaction grepped out of every XML part, formula-looking names kept as text, a
cohort that survives broken sources, a Google source through the emulator, the source left
byte-identical, exit codes through the real console script, and a real LibreOffice render."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync.advisor import ExportConfig, initials, parse_config, scrub
from sheetsync.config import Settings, parse_settings
from sheetsync.errors import ConfigError
from sheetsync.rules import RULES

from . import workbooks
from .cli_runner import run_main
from .conftest import save_rows
from .sheets_emulator import SheetsEmulator

TODAY = dt.date(2026, 3, 16)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tracker.xlsx"
SHEETSYNC = Path(sys.executable).with_name("sheetsync")
EVIL = '=HYPERLINK("http://evil.example/x","click me")'


# ------------------------------------------------------------------ independent reading


@dataclass
class Person:
    """One tracker row, read here without sheetsync (openpyxl values, our own parsing)."""

    row: int
    name: str
    outreach: dt.date | None
    reply: object
    follow_up: dt.date | None
    interview: dt.date | None
    thanks: object
    referrals: str | None


def as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                pass
    return None


def says_yes(value: object) -> bool:
    if as_date(value):
        return True
    text = str(value or "").strip().lower()
    return bool(text) and not text.startswith("n")  # Y, yes, "Y - after…", declined, …


def read_people(path: Path, header_row: int, columns: Mapping[str, str]) -> list[Person]:
    """Rows under the header that name a person (skipping blanks, 'Example…', section rows)."""
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    header = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}

    def get(r: int, key: str) -> Any:
        return ws.cell(r, header[columns[key]]).value if key in columns else None

    people = []
    for r in range(header_row + 1, ws.max_row + 1):
        name = get(r, "name")
        filled = sum(
            1 for c in range(1, ws.max_column + 1) if ws.cell(r, c).value not in (None, "")
        )
        if not name or str(name).startswith("Example") or filled < 2:
            continue
        people.append(
            Person(
                r, str(name), as_date(get(r, "outreach")), get(r, "reply"),
                as_date(get(r, "follow_up")), as_date(get(r, "interview")), get(r, "thanks"),
                get(r, "referrals"),
            )
        )  # fmt: skip
    return people


def expected(people: Sequence[Person], findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every Summary figure, computed from the rows (and `check --format json` findings)."""
    replied = [p for p in people if says_yes(p.reply) or p.interview]
    contacted = [p for p in people if p.outreach or p.follow_up or p in replied]
    interviewed = [p for p in people if p.interview and p.interview <= TODAY]
    thanked = [p for p in interviewed if says_yes(p.thanks)]
    none = {"", "none", "n/a", "-", "no"}
    referred = [p for p in contacted if str(p.referrals or "").strip().lower() not in none]
    days = [
        (as_date(p.reply) - p.outreach).days  # type: ignore[operator]
        for p in people
        if p.outreach and as_date(p.reply) and as_date(p.reply) >= p.outreach  # type: ignore[operator]
    ]
    dated = [
        d
        for p in people
        for d in (p.outreach, as_date(p.reply), p.follow_up, p.interview, as_date(p.thanks))
        if d
    ]
    start = min(dated)
    weeks = max(1.0, ((TODAY - start).days + 1) / 7)
    held = [p.interview for p in interviewed if p.interview and p.interview >= start]
    now = [f for f in findings if f["severity"] in ("overdue", "due")]
    return {
        "People listed": len(people),
        "Contacted": len(contacted),
        "Replied": len(replied),
        "Interviewed": len(interviewed),
        "Thanked": len(thanked),
        "Referrals gained": len(referred),
        "Reply rate": len(replied) / len(contacted),
        "Median days to reply": statistics.median(days) if days else "n/a",
        "Interviews per week": round(len(held) / weeks, 2),
        "Interviews scheduled": sum(1 for p in people if p.interview and p.interview > TODAY),
        "Actions due now": len(now),
        "  of which overdue": sum(1 for f in now if f["severity"] == "overdue"),
        "People gone stale": len({f["row"] for f in findings if f["rule"] == "stale-contact"}),
        "Data problems": sum(1 for f in findings if f["severity"] == "data"),
        "_kinds": {
            RULES[r].label: (
                n,
                sum(1 for f in now if f["rule"] == r and f["severity"] == "overdue"),
            )
            for r, n in Counter(f["rule"] for f in now).items()
        },
        "_weeks": Counter(d - dt.timedelta(days=d.weekday()) for d in held),
        "_start": start,
    }


# ------------------------------------------------------------------ the three trackers

EXAMPLE_COLUMNS = {
    "name": "Name", "outreach": "Date Contacted", "reply": "Response?",
    "follow_up": "Follow-up sent", "interview": "Informational Interview Date",
    "thanks": "Thank-you Sent?", "referrals": "Referrals",
}  # fmt: skip
SINK_COLUMNS = {
    "name": "Name", "outreach": "Date Contacted", "reply": "Response?",
    "follow_up": "Follow-up sent", "interview": "Interview Date", "thanks": "Thank-you Sent?",
    "referrals": "Referrals",
}  # fmt: skip
OWN_HEADER = [
    "Name", "Organization", "Email", "LinkedIn", "Date contacted", "Response", "Interview date",
    "Thank-you sent", "Referrals", "Promised", "Questions", "Notes",
]  # fmt: skip
D = dt.date
OWN_ROWS: list[list[Any]] = [
    [EVIL, "Evil Corp", "mallory@evil.example", "https://www.linkedin.com/in/mallory",
     D(2026, 1, 5), D(2026, 1, 7), D(2026, 1, 20), "yes", "none", "Send my CV",
     "How did you start?", "Call me on +1 (415) 555-0134 after 5pm"],
    ["Grace Hopper", "Navy Research", "grace@navy.example", None, D(2026, 2, 2),
     D(2026, 2, 9), D(2026, 2, 16), None, "Ada Lovelace; Alan Turing", None, None,
     "Loved the compiler story, see www.example.org/talk"],
    ["Katherine Johnson", "NASA Langley", "kj@nasa.example", None, D(2026, 3, 2), "no", None,
     None, None, None, None, "phone 020 7946 0958"],
    ["Margaret Hamilton", "Apollo Labs", "mh@apollo.example", "linkedin.com/in/mh",
     D(2026, 3, 4), D(2026, 3, 5), D(2026, 3, 24), None, None, None,
     "What would you do differently?", "Met at the software history meetup"],
    ["Dorothy Vaughan", "West Computing", None, None, None, None, None, None, None, None, None,
     "Ask Katherine for an intro"],
]  # fmt: skip
OWN_COLUMNS = {
    "name": "Name", "outreach": "Date contacted", "reply": "Response",
    "interview": "Interview date", "thanks": "Thank-you sent", "referrals": "Referrals",
}  # fmt: skip
FREE_TEXT = [c for row in OWN_ROWS for c in row[9:12] if c] + ["Ada Lovelace; Alan Turing"]


def own_tracker(path: Path) -> Path:
    return save_rows(path, [OWN_HEADER, *OWN_ROWS], title="People")


TRACKERS = {
    "example": (lambda p: Path(shutil.copy(EXAMPLE, p)), 4, EXAMPLE_COLUMNS),
    "kitchen_sink": (workbooks.kitchen_sink, 3, SINK_COLUMNS),
    "own": (own_tracker, 1, OWN_COLUMNS),
}


# ------------------------------------------------------------------ helpers


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``sheetsync ARGS`` in a folder without a sheetsync.toml, through the console script's
    entry point in this process (the exit-code test below runs the real console script)."""
    return run_main(args, cwd=cwd)


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real console script, in a folder without a sheetsync.toml."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SHEETSYNC_CONFIG", None)
    return subprocess.run(
        [str(SHEETSYNC), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def check_json(source: Path, cwd: Path) -> list[dict[str, Any]]:
    done = run("check", str(source), "--today", TODAY.isoformat(), "--format", "json", cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return findings


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def labelled(ws: Any, col: int = 1) -> dict[str, Any]:
    """Column A label → the value beside it, for every row of a tab."""
    return {
        ws.cell(r, col).value: ws.cell(r, col + 1).value
        for r in range(1, ws.max_row + 1)
        if isinstance(ws.cell(r, col).value, str)
    }


def block(ws: Any, title: str, width: int, col: int = 1) -> list[tuple[Any, ...]]:
    """The rows of the table under a section title (stops at the first empty row)."""
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, col).value == title)
    rows = []
    for r in range(top + 2, ws.max_row + 2):
        values = tuple(ws.cell(r, c).value for c in range(col, col + width))
        if values[0] is None:
            break
        rows.append(values)
    return rows


def xml_text(path: Path) -> str:
    """Every part of the package, XML-unescaped, as one string."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(html.unescape(z.read(n).decode("utf-8", "replace")) for n in z.namelist())


# ------------------------------------------------------------------ figures, per tracker


@pytest.mark.parametrize("kind", sorted(TRACKERS))
def test_every_figure_matches_the_rows(tmp_path: Path, kind: str) -> None:
    make, header_row, columns = TRACKERS[kind]
    source = make(tmp_path / f"{kind}.xlsx")
    before = sha(source)
    findings = check_json(source, tmp_path)
    out = tmp_path / "advisor.xlsx"

    done = run("export", source.name, "-o", out.name, "--today", "2026-03-16",
               "--student", "Alex Rivera", cwd=tmp_path)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert sha(source) == before  # the source is only read
    people = read_people(source, header_row, columns)
    want = expected(people, findings)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Actions", "Contacts", "About"]
    summary = labelled(wb["Summary"])
    for label, value in want.items():
        if not label.startswith("_"):
            assert summary[label] == pytest.approx(value), label
    kinds = {k: (n, late) for k, n, late in block(wb["Summary"], "Actions due now, by kind", 3)}
    assert kinds == want["_kinds"]
    assert summary["Networking progress: Alex Rivera"] is None
    weekly = block(wb["Summary"], "Interviews held, by week", 2, col=15)
    assert weekly[0][0].date() == want["_start"] - dt.timedelta(days=want["_start"].weekday())
    assert {w.date(): n for w, n in weekly if n} == dict(want["_weeks"])
    assert_actions(wb["Actions"], findings)
    assert_contacts(wb["Contacts"], people)
    about = labelled(wb["About"])
    assert about["As of"] == "16 Mar 2026"
    assert about["Made with"].startswith("sheetsync ")
    assert "Replied ÷ contacted" in about["Reply rate"]


def assert_actions(ws: Any, findings: Sequence[Mapping[str, Any]]) -> None:
    rows = [
        tuple(ws.cell(r, c).value for c in (1, 2, 3, 5, 6, 7)) for r in range(2, ws.max_row + 1)
    ]
    words = {"overdue": "Overdue", "due": "Due", "soon": "Soon", "info": "Note", "data": "Check"}
    assert [(u, d.date() if d else None, c, w, k, r) for u, d, c, w, k, r in rows] == [
        (words[f["severity"]], as_date(f["due"]), f["contact"], f["message"], label, f["row"])
        for f in findings
        for label in [RULES[f["rule"]].label]  # the kind in words, as on the Summary
    ]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None


def assert_contacts(ws: Any, people: Sequence[Person]) -> None:
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Row", "Name"]
    assert header[2:6] == [
        "Urgency",
        "sheetsync · status",
        "sheetsync · next step",
        "sheetsync · due",
    ]
    body = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(2, ws.max_row + 1)]
    assert body == [(p.row, p.name) for p in people]
    for r in range(2, ws.max_row + 1):
        assert ws.cell(r, 2).data_type == "s"  # names are literal text, whatever they look like
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"
    assert ws.conditional_formatting  # urgency colours
    dated = [c for c in ws[2] if isinstance(c.value, dt.datetime)]
    assert dated and all(c.number_format == "d mmm yyyy" for c in dated)


def test_formula_looking_text_stays_text(tmp_path: Path) -> None:
    source = own_tracker(tmp_path / "own.xlsx")
    before = sha(source)
    assert (
        run(
            "export", "own.xlsx", "-o", "out.xlsx", "--today", "2026-03-16", cwd=tmp_path
        ).returncode
        == 0
    )
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Contacts"]
    cell = ws["B2"]
    assert (cell.value, cell.data_type) == (EVIL, "s")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s for s in sheets)  # no formula anywhere in the export
    assert sha(source) == before


# ------------------------------------------------------------------ redaction

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")


@pytest.mark.parametrize("kind", sorted(TRACKERS))
def test_redact_leaves_no_third_party_details(tmp_path: Path, kind: str) -> None:
    make, header_row, columns = TRACKERS[kind]
    source = make(tmp_path / f"{kind}.xlsx")
    out = tmp_path / "red.xlsx"
    done = run(
        "export", source.name, "-o", out.name, "--today", "2026-03-16", "--redact", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    text = xml_text(out)
    assert not EMAIL.search(text), EMAIL.search(text)
    for url in ("http", "www.", "linkedin.com", "mailto"):
        assert url not in text.lower().replace("http://schemas", "").replace(
            "https://schemas", ""
        ).replace("http://purl.org", "").replace("http://www.w3.org", ""), url
    ws = openpyxl.load_workbook(source, data_only=True).worksheets[0]
    typed = [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for value in typed:
        if PHONE.search(value):
            assert PHONE.search(value).group(0) not in text  # type: ignore[union-attr]
    notes = [v for v in typed if len(v) > 12 and " " in v and v not in _kept_texts(kind)]
    for person in read_people(source, header_row, columns):
        if " " in person.name:
            notes.append(person.name)  # full names become initials
    leaked = [n for n in notes if n in text]
    assert leaked == []


def _kept_texts(kind: str) -> set[str]:
    """Texts a redacted export keeps: headers, organisations, titles, places."""
    wb_values = {
        "example": EXAMPLE,
    }
    keep: set[str] = set()
    if kind in wb_values:
        ws = openpyxl.load_workbook(wb_values[kind], data_only=True).worksheets[0]
        for col in (2, 3, 10):  # Organization, Position, Place/Platform
            keep |= {str(c.value) for c in ws[openpyxl.utils.get_column_letter(col)] if c.value}
        keep |= {str(c.value) for c in ws[4] if c.value}
        keep.add(str(ws["A1"].value))
        keep.add(str(ws["A2"].value))
    keep |= set(OWN_HEADER) | {r[1] for r in OWN_ROWS} | set(workbooks.HEADER)
    keep |= {"My networking tracker", "Fill one row per person. Dates as YYYY-MM-DD."}
    keep |= {"Where is your field heading in five years?"}
    return keep


def test_redacted_contacts_show_initials_and_organisation(tmp_path: Path) -> None:
    own_tracker(tmp_path / "own.xlsx")
    run("export", "own.xlsx", "-o", "red.xlsx", "--today", "2026-03-16", "--redact", cwd=tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "red.xlsx")
    contacts = wb["Contacts"]
    header = [c.value for c in contacts[1]]
    assert not {"Email", "LinkedIn", "Promised", "Questions", "Notes"} & set(header)
    names = [contacts.cell(r, 2).value for r in range(2, contacts.max_row + 1)]
    assert names == ["H.M.", "G.H.", "K.J.", "M.H.", "D.V."]  # the =HYPERLINK name too
    orgs = [contacts.cell(r, header.index("Organization") + 1).value for r in range(2, 7)]
    assert orgs == [r[1] for r in OWN_ROWS]
    actions = wb["Actions"]
    assert all(actions.cell(r, 3).value in names for r in range(2, actions.max_row + 1))
    assert "Referrals gained" in labelled(wb["Summary"])  # the count stays, the names go
    assert "Columns left out" in labelled(wb["About"])["Redaction"]


def test_scrub_and_initials() -> None:
    assert scrub("mail a.b@x.org or call +1 (415) 555-0134, https://t.co/x ok") == (
        "mail [removed] or call [removed], [removed] ok"
    )
    assert scrub("met on 2026-03-10 at 5pm, room 12") == "met on 2026-03-10 at 5pm, room 12"
    assert scrub("see linkedin.com/in/someone") == "see [removed]"
    assert [initials(n) for n in ("Zoë Müller", "Nguyễn Thị Lan", "Sean O'Brien")] == [
        "Z.M.", "N.T.L.", "S.O.",
    ]  # fmt: skip


# ------------------------------------------------------------------ cohort


def test_cohort_keeps_going_past_broken_sources(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "alex.xlsx")
    workbooks.kitchen_sink(tmp_path / "sam.xlsx")
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook" * 20)
    (tmp_path / "sheetsync.toml").write_text('[export]\nstudents = { "sam.xlsx" = "Sam Lee" }\n')
    before = sha(tmp_path / "alex.xlsx")

    done = run("export", "alex.xlsx", "sam.xlsx", "missing.xlsx", "corrupt.xlsx", "--cohort",
               "-o", "cohort.xlsx", "--today", "2026-03-16", cwd=tmp_path)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "missing.xlsx" in done.stderr and "corrupt.xlsx" in done.stderr
    assert "2 source(s) failed" in done.stdout
    assert sha(tmp_path / "alex.xlsx") == before
    ws = openpyxl.load_workbook(tmp_path / "cohort.xlsx")["Cohort"]
    rows = {
        ws.cell(r, 1).value: tuple(ws.cell(r, c).value for c in range(1, 16))
        for r in range(5, 8)  # below the header on row 4: alex, Sam Lee, then the total
    }
    alex_title = "Networking Tracker: Informational Interviews"  # the tracker's own title
    alex = expected(read_people(tmp_path / "alex.xlsx", 4, EXAMPLE_COLUMNS),
                    check_json(tmp_path / "alex.xlsx", tmp_path))  # fmt: skip
    sam = expected(read_people(tmp_path / "sam.xlsx", 3, SINK_COLUMNS),
                   check_json(tmp_path / "sam.xlsx", tmp_path))  # fmt: skip
    stages = ["People listed", "Contacted", "Replied", "Interviewed", "Thanked", "Referrals gained"]
    assert list(rows[alex_title][2:8]) == [alex[s] for s in stages]
    assert list(rows["Sam Lee"][2:8]) == [sam[s] for s in stages]
    assert list(rows["Cohort total"][2:8]) == [alex[s] + sam[s] for s in stages]
    assert rows["Cohort total"][8] == pytest.approx(
        (alex["Replied"] + sam["Replied"]) / (alex["Contacted"] + sam["Contacted"])
    )
    failed = block(ws, "Sources that could not be read", 3)
    assert [(s, src) for s, src, _ in failed] == [
        ("missing.xlsx", "missing.xlsx"),
        ("corrupt.xlsx", "corrupt.xlsx"),
    ]
    attention = dict(block(ws, "Who needs attention", 2)[-2:])
    assert attention == {
        "missing.xlsx": "tracker could not be read",
        "corrupt.xlsx": "tracker could not be read",
    }
    assert "1 overdue action" in rows[alex_title][14]  # Hiroshi's thank-you is overdue


def test_cohort_with_no_readable_source_exits_3(tmp_path: Path) -> None:
    done = run("export", "a.xlsx", "b.xlsx", "--cohort", "-o", "c.xlsx", cwd=tmp_path)
    assert done.returncode == 3
    assert not (tmp_path / "c.xlsx").exists()
    assert "no tracker could be read" in done.stderr


# ------------------------------------------------------------------ Google, exit codes


def test_google_source_through_the_emulator(tmp_path: Path, emulator_env: SheetsEmulator) -> None:
    rows = [OWN_HEADER[:9], *[r[:9] for r in OWN_ROWS]]
    rows[1][0] = "Mallory Evil"
    sid = emulator_env.add_spreadsheet("Tracker", {"People": rows})
    done = run("export", f"gsheet:{sid}", "-o", "g.xlsx", "--today", "2026-03-16",
               "--student", "Robin", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not any(r.op == "spreadsheets.values.batchUpdate" for r in emulator_env.requests)
    summary = labelled(openpyxl.load_workbook(tmp_path / "g.xlsx")["Summary"])
    own_tracker(tmp_path / "own.xlsx")
    want = expected(read_people(tmp_path / "own.xlsx", 1, OWN_COLUMNS),
                    check_json(tmp_path / "own.xlsx", tmp_path))  # fmt: skip
    for label in ("People listed", "Contacted", "Replied", "Interviewed", "Thanked", "Reply rate"):
        assert summary[label] == pytest.approx(want[label]), label
    assert summary["Source: gsheet:" + sid] is None


def test_exit_codes_and_refusals(tmp_path: Path) -> None:
    source = Path(shutil.copy(EXAMPLE, tmp_path / "t.xlsx"))
    before = sha(source)
    same = run_script("export", "t.xlsx", "-o", "t.xlsx", cwd=tmp_path)
    assert same.returncode == 2 and "never writes its advisor export over it" in same.stderr
    assert run_script("export", "t.xlsx", "-o", "./sub/../t.xlsx", cwd=tmp_path).returncode == 2
    assert sha(source) == before
    assert run_script("export", "t.xlsx", cwd=tmp_path).returncode == 2  # no -o
    assert run_script("export", "t.xlsx", "t.xlsx", "-o", "x.xlsx", cwd=tmp_path).returncode == 2
    assert (
        run_script("export", "t.xlsx", "-o", "x.xlsx", "--today", "soon", cwd=tmp_path).returncode
        == 2
    )
    assert (
        run_script("export", "t.xlsx", "-o", "x.csv", cwd=tmp_path).returncode == 2
    )  # a usage error (was 3)
    missing = run_script("export", "nope.xlsx", "-o", "x.xlsx", cwd=tmp_path)
    assert missing.returncode == 3 and not (tmp_path / "x.xlsx").exists()
    late = run_script(
        "export",
        "t.xlsx",
        "-o",
        "x.xlsx",
        "--today",
        "2026-03-16",
        "--since",
        "2026-04-01",
        cwd=tmp_path,
    )
    assert late.returncode == 2  # a bad option: a usage error (it was 3)


def first_date(p: Person) -> dt.date | None:
    dates = [p.outreach, as_date(p.reply), p.follow_up, p.interview, as_date(p.thanks)]
    return min((d for d in dates if d), default=None)


def test_since_limits_the_period(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "t.xlsx")
    since = dt.date(2026, 3, 1)
    done = run("export", "t.xlsx", "-o", "s.xlsx", "--today", "2026-03-16", "--since",
               since.isoformat(), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    everyone = read_people(tmp_path / "t.xlsx", 4, EXAMPLE_COLUMNS)
    people = [p for p in everyone if (first_date(p) or since) >= since]
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    summary = labelled(wb["Summary"])
    assert summary["People listed"] == len(people) < len(everyone)
    held = [p for p in people if p.interview and since <= p.interview <= TODAY]
    assert summary["Interviews per week"] == pytest.approx(round(len(held) / (16 / 7), 2))
    rows = {wb["Contacts"].cell(r, 1).value for r in range(2, wb["Contacts"].max_row + 1)}
    assert rows == {p.row for p in people}


# ------------------------------------------------------------------ config


def test_export_config(tmp_path: Path) -> None:
    path = tmp_path / "sheetsync.toml"
    assert parse_config({}, path) == ExportConfig()
    parsed = parse_settings({"export": {"student": "Alex", "redact": True}}, path)
    assert parsed.section("export").student == "Alex"
    assert Settings().section("export").redact is False
    with pytest.raises(ConfigError, match=r"sheetsync\.toml: unknown key 'export\.studnet'"):
        parse_config({"studnet": "x"}, path)
    with pytest.raises(ConfigError, match=r"'export\.redact' must be true or false"):
        parse_config({"redact": "yes"}, path)
    with pytest.raises(ConfigError, match=r"unknown field 'phone'"):
        parse_config({"redact_fields": ["phone"]}, path)
    with pytest.raises(ConfigError, match=r"'export\.quiet_days' must be a whole number"):
        parse_config({"quiet_days": True}, path)


# ------------------------------------------------------------------ LibreOffice


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler-utils (pdftotext) are not installed: "
    "apt-get install libreoffice-calc poppler-utils",
)
def test_libreoffice_renders_the_charts(tmp_path: Path, soffice_profile: str) -> None:
    shutil.copy(EXAMPLE, tmp_path / "t.xlsx")
    assert (
        run(
            "export", "t.xlsx", "-o", "advisor.xlsx", "--today", "2026-03-16", cwd=tmp_path
        ).returncode
        == 0
    )
    subprocess.run(
        ["soffice", soffice_profile, "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(tmp_path / "advisor.xlsx")],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    pdf = tmp_path / "advisor.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.count("\f")
    assert pages >= 1
    assert "Outreach funnel" in text and "Interviews over time" in text
    assert "Networking progress: Networking Tracker: Informational Interviews" in text


def test_cohort_names_students_by_title_and_tells_copies_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "a" / "tracker.xlsx")
    shutil.copy(EXAMPLE, tmp_path / "alex.xlsx")
    done = run("export", "a/tracker.xlsx", "alex.xlsx", "--cohort", "-o", "cohort.xlsx",
               "--today", "2026-03-16", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(tmp_path / "cohort.xlsx")["Cohort"]
    title = "Networking Tracker: Informational Interviews"
    assert [ws.cell(r, 1).value for r in (5, 6)] == [
        f"{title} (tracker.xlsx)",
        f"{title} (alex.xlsx)",
    ]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(min_col=1, max_col=1)]
    chart_row = ws._charts[0].anchor._from.row  # 0-based
    assert chart_row > max(i for i, (v,) in enumerate(rows) if v is not None)  # below all text


@pytest.mark.parametrize("cohort", [False, True])
def test_no_chart_covers_a_filled_cell(tmp_path: Path, cohort: bool) -> None:
    shutil.copy(EXAMPLE, tmp_path / "alex.xlsx")
    workbooks.kitchen_sink(tmp_path / "sam.xlsx")
    sources = ["alex.xlsx", "sam.xlsx", "--cohort"] if cohort else ["alex.xlsx"]
    done = run("export", *sources, "-o", "out.xlsx", "--today", "2026-03-16", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    charts = 0
    for ws in wb.worksheets:
        filled = {(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row if c.value}
        for chart in ws._charts:
            a = chart.anchor
            rows, cols = range(a._from.row, a.to.row + 1), range(a._from.col, a.to.col + 1)
            covered = {(r, c) for r, c in filled if r in rows and c in cols}
            assert covered == set(), (ws.title, sorted(covered)[:5])
            charts += 1
    assert charts == (1 if cohort else 2)
