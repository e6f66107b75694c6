"""Realistic tracker workbooks of any size, generated once and cached under ``benchmarks/out``.

The contacts tab looks like the trackers students keep: a title and an instructions line above
the header, typed dates, yes/no cells, free text, a ``Last contact`` formula column whose cached
values are filled in (as Excel saves them), and a ``Question ideas`` tab. The rows cycle through
the situations a tracker holds on one day (``TODAY``), so the checks produce a realistic mix of
findings: follow-ups due, interviews to prepare, thank-yous missing, stale contacts, dates typed
as text, duplicates, and plenty of rows with nothing to say.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from benchmarks import TODAY  # a Monday; every run judges as of this day

SHEET_PART = "xl/worksheets/sheet1.xml"
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
HEADER = [
    "Name",
    "Organization",
    "Email",
    "How I know them",
    "Date Contacted",
    "Response?",
    "Follow-up sent",
    "Interview Date",
    "Place/Platform",
    "Thank-you Sent?",
    "Referrals",
    "Last contact",
    "Notes",
]
COL = {h: i for i, h in enumerate(HEADER)}
FORMULA_COL = "L"  # Last contact = the later of "Date Contacted" (E) and "Interview Date" (H)
EPOCH = dt.date(1899, 12, 30)

FIRST = ["Ana", "Bo", "Cleo", "Dev", "Ema", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST = ["Lima", "Chen", "Diaz", "Patel", "Stone", "Okafor", "Berg", "Sato", "Novak", "Park"]
ORGS = ["Helix Bio", "Acme Labs", "Initech", "Umbrella", "Globex", "Stark R&D", "Wayne Ent."]
HOW = ["PhD alum", "Conference", "Advisor intro", "Cold email", "LinkedIn", "Friend of a friend"]
PLACES = ["Zoom", "Phone", "Coffee at Blue Bottle", "Teams", "Their office", None]
NOTES = [
    "Works on protein design; suggested reading their 2025 review before we talk.",
    "Hiring freeze until Q3, but open to a chat about the team.",
    "Met at the poster session; asked me to send my CV.",
    "=text that must stay text",
    "+1 (555) 010-0000",
    "Very kind. Said to mention her name to the hiring manager.",
    None,
    None,
]
QUESTIONS = [
    ("Career path", "How did you move from academia to your current role?", 1),
    ("Day to day", "What does a typical week look like for you?", 1),
    ("Skills", "Which skills from your PhD do you use most?", 2),
    ("Trends", "Where is your field heading in five years?", 2),
    ("Hiring", "What makes an application stand out on your team?", 3),
    ("Advice", "What do you wish you had known when you started?", 1),
]


def days_ago(n: int) -> dt.date:
    """``TODAY`` minus ``n`` calendar days."""
    return TODAY - dt.timedelta(days=n)


Row = list[Any]


def _not_contacted(rng: random.Random) -> Row:
    return [None] * 10


def _waiting(rng: random.Random) -> Row:
    """Wrote recently, no reply yet: follow-up-3b / follow-up-7b depending on the age."""
    return [days_ago(rng.randint(1, 20)), None, None, None, None, None, None, None, None, None]


def _followed_up(rng: random.Random) -> Row:
    """Followed up and still waiting (move-on once it is old enough)."""
    sent = rng.randint(15, 40)
    return [days_ago(sent), None, days_ago(sent - 10), None, None, None, None, None, None, None]


def _upcoming(rng: random.Random) -> Row:
    """An interview ahead: prep-needed, confirm-meeting, details-missing."""
    return [
        days_ago(rng.randint(10, 30)),
        "Y",
        None,
        TODAY + dt.timedelta(days=rng.randint(1, 12)),
        rng.choice(PLACES),
        None,
        None,
        None,
        None,
        None,
    ]


def _just_met(rng: random.Random) -> Row:
    """An interview in the last weeks: thank-you-missing, ask-referrals."""
    thanked = rng.choice([None, None, "Y", days_ago(1)])
    return [
        days_ago(rng.randint(20, 40)),
        "Y",
        None,
        days_ago(rng.randint(1, 20)),
        rng.choice(PLACES),
        thanked,
        rng.choice([None, "none", "Lea Park (Globex)"]),
        None,
        None,
        None,
    ]


def _done(rng: random.Random) -> Row:
    """Met long ago, all done (stale-contact once quiet for more than 90 days)."""
    met = rng.randint(40, 400)
    return [
        days_ago(met + 20),
        days_ago(met + 15),
        None,
        days_ago(met),
        rng.choice(PLACES),
        "Y",
        rng.choice(["none", "Kai Sato", "two names in notes"]),
        None,
        None,
        None,
    ]


def _typed_badly(rng: random.Random) -> Row:
    """Dates typed by hand that cannot be read: bad-date findings."""
    typed = rng.choice(["next week", "TBD", "3/4", "2026-13-01", "31/02/2026"])
    return [typed, None, None, rng.choice([None, "Thursday?"]), None, None, None, None, None, None]


SITUATIONS: list[tuple[Callable[[random.Random], Row], int]] = [
    (_not_contacted, 15),
    (_waiting, 15),
    (_followed_up, 10),
    (_upcoming, 8),
    (_just_met, 12),
    (_done, 33),
    (_typed_badly, 4),
]
DUPLICATE_SHARE = 0.03


def contact_rows(n: int, seed: int = 8) -> Iterator[Row]:
    """``n`` contact rows (the 13 header columns; the formula column is left as None)."""
    rng = random.Random(seed)
    makers = [m for m, _ in SITUATIONS]
    weights = [w for _, w in SITUATIONS]
    emails: list[str] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org = rng.choice(ORGS)
        if emails and rng.random() < DUPLICATE_SHARE:
            email = rng.choice(emails)  # the same person entered twice
        else:
            email = f"{first}.{last}{i}@{org.split()[0].lower()}.example".lower()
            emails.append(email)
        tail = rng.choices(makers, weights)[0](rng)
        outreach, response, follow_up, interview, place, thanks, referrals = tail[:7]
        yield [
            f"{first} {last}",
            org,
            email,
            rng.choice(HOW),
            outreach,
            response,
            follow_up,
            interview,
            place,
            thanks,
            referrals,
            None,
            rng.choice(NOTES),
        ]


def last_contact(row: Row) -> float | None:
    """The formula's cached value: the later of the two dates as a serial (None: blank)."""
    days = [v for v in (row[COL["Date Contacted"]], row[COL["Interview Date"]]) if _is_date(v)]
    return float((max(days) - EPOCH).days) if days else None


def is_waiting(row: Row) -> bool:
    """A contact written to (a real date) who has not replied, been followed up or met."""
    outreach, response, follow_up, interview = row[4:8]
    return _is_date(outreach) and response is None and follow_up is None and interview is None


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)


def _cells(ws: WriteOnlyWorksheet, row: Row, r: int, date_style: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for c, value in enumerate(row):
        if c == COL["Last contact"]:
            formula = f'=IF(COUNT(E{r},H{r}),MAX(E{r},H{r}),"")'
            cell = WriteOnlyCell(ws, value=formula)
            cell.number_format = "yyyy-mm-dd"
            out.append(cell)
        elif _is_date(value):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = date_style["number_format"]
            out.append(cell)
        else:
            out.append(value)
    return out


def write_tracker(path: Path, n: int) -> Path:
    """Write a tracker of ``n`` contacts with openpyxl write-only mode, then fill in the
    formula column's cached values as Excel would have saved them."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Contacts")
    ws.append(["My networking tracker"])
    ws.append(["One row per person. Dates as YYYY-MM-DD; Response/Thank-you: Y or a date."])
    ws.append(HEADER)
    cached: dict[int, float | None] = {}
    style = {"number_format": "yyyy-mm-dd"}
    for i, row in enumerate(contact_rows(n)):
        r = FIRST_ROW + i
        cached[r] = last_contact(row)
        ws.append(_cells(ws, row, r, style))
    questions = wb.create_sheet("Question ideas")
    questions.append(["Category", "Question", "Priority"])
    for q in QUESTIONS * 5:
        questions.append(list(q))
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(with_cached_values(buffer.getvalue(), cached))
    return path


_FORMULA_CELL = re.compile(
    rb'<c r="' + FORMULA_COL.encode() + rb'(\d+)"([^>]*)>(<f>[^<]*</f>)<v\s*/?>(?:</v>)?'
)


def with_cached_values(data: bytes, cached: dict[int, float | None]) -> bytes:
    """The package with each formula cell's ``<v>`` set (a blank result is an empty string)."""

    def fill(m: re.Match[bytes]) -> bytes:
        value = cached.get(int(m.group(1)))
        attrs = m.group(2)
        head = b'<c r="' + FORMULA_COL.encode() + m.group(1) + b'"' + attrs
        if value is None:
            return head + b' t="str">' + m.group(3) + b"<v></v>"
        return head + b">" + m.group(3) + b"<v>" + str(int(value)).encode() + b"</v>"

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == SHEET_PART:
                body = _FORMULA_CELL.sub(fill, body)
            zout.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def cached_tracker(folder: Path, n: int) -> Path:
    """The generated tracker of ``n`` rows, written on first use and reused afterwards."""
    path = folder / f"tracker-{n}.xlsx"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        write_tracker(tmp, n)
        tmp.replace(path)
    return path
