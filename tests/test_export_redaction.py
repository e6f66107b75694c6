"""A redacted export keeps meaning and drops people's words: every column of the export has a
rule, replies become categories, free text goes, and every third party gets one placeholder
used everywhere in the workbook."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from sheetsync.advisor import REDACTION_RULES, Pseudonyms, Treat, split_names
from sheetsync.fields import FIELD_IDS, FIELDS
from tests.cli_runner import Result

D = dt.datetime
HEADERS = [f.header for f in FIELDS if f.id not in ("first_name", "last_name")]
ROWS = [
    {
        "Name": "Ann Lee",
        "Organization": "Helixbright",
        "Title": "Scientist",
        "Email": "ann@helix.example",
        "LinkedIn": "https://www.linkedin.com/in/annlee",
        "Connection": "my advisor's friend from Basel",
        "Referred by": "Bo Chen",
        "Date contacted": D(2026, 3, 2),
        "Response": "declined (on leave until June)",
        "Place / platform": "Phone (she is on Mountain time)",
        "Referrals": "Cara Diaz, Dr. Ed Fox",
        "Promised": "Send her the spatial review",
        "Questions": "Ask about the Basel move",
        "Notes": "Her husband works at Roche",
        "Draft email": "Hi Ann, Bo Chen suggested I write to you about your lab",
        "Keep in touch every": "2 months",
    },
    {
        "Name": "Bo Chen",
        "Organization": "Acme Bio",
        "Connection": "",
        "Date contacted": D(2026, 2, 20),
        "Response": D(2026, 2, 24),
        "Interview date": D(2026, 3, 4),
        "Place / platform": "Zoom, link in the invite",
        "Thank-you sent": "yes",
        "Referrals": "Ed Fox and Ann Lee",
    },
    {
        "Name": "Cara Diaz",
        "Organization": "Lumen",
        "Referred by": "ann lee",
        "Date contacted": D(2026, 3, 9),
        "Response": "no",
        "Place / platform": "Café Strada, Berkeley",
        "Snooze until": D(2026, 4, 1),
    },
    {
        "Name": "Dev Patel",
        "Organization": "Nimbus",
        "Date contacted": D(2026, 3, 10),
        "Response": "sure, happy to talk",
    },
]

# Every column of the redacted Contacts tab, and what the export does to it.
COLUMN_RULES: dict[str, str] = {
    "Row": "the sheet row number",
    "Name": Treat.CONTACT.value,
    "Urgency": "sheetsync's own word",
    "sheetsync · status": "sheetsync's own words",
    "sheetsync · next step": "the rule's summary, naming nobody",
    "sheetsync · due": Treat.DATE.value,
    **{
        f.header: REDACTION_RULES[f.id].value
        for f in FIELDS
        if f.header in HEADERS[1:] and REDACTION_RULES[f.id] is not Treat.DROP
    },
}


def tracker(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(HEADERS)
    for row in ROWS:
        ws.append([row.get(h) for h in HEADERS])
    wb.save(path)
    return path


def redacted(cli: Callable[..., Result], tmp_path: Path) -> Path:
    source = tracker(tmp_path / "tracker.xlsx")
    out = tmp_path / "advisor.xlsx"
    result = cli("export", str(source), "-o", str(out), "--redact", "--today", "2026-03-16")
    assert result.code == 0, result.text
    return out


def table(path: Path) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)["Contacts"]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_every_field_has_a_redaction_rule() -> None:
    assert set(REDACTION_RULES) == set(FIELD_IDS)


def test_every_column_of_the_redacted_export_is_listed_with_its_rule(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    headers = list(table(redacted(cli, tmp_path))[0])
    assert headers == list(COLUMN_RULES)  # a new column without a rule fails here
    dropped = {f.header for f in FIELDS if REDACTION_RULES[f.id] is Treat.DROP}
    assert not dropped & set(headers)


def test_replies_places_and_connections_become_categories(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    rows = {r["Name"]: r for r in table(redacted(cli, tmp_path))}
    pick = (
        "Response",
        "Place / platform",
        "Connection",
        "Thank-you sent",
        "Snooze until",
        "Keep in touch every",
    )
    assert {n: tuple(r[c] for c in pick) for n, r in rows.items()} == {
        "A.L.": ("declined", "phone", "yes", None, None, "every 61 days"),
        "B.C.": (D(2026, 2, 24), "video call", None, "yes", None, None),
        "C.D.": ("no reply", "in person/other", None, None, D(2026, 4, 1), None),
        "D.P.": ("replied", None, None, None, None, None),
    }


def test_the_same_person_gets_the_same_placeholder_everywhere(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = redacted(cli, tmp_path)
    rows = {r["Name"]: r for r in table(out)}
    assert {n: (r["Referred by"], r["Referrals"]) for n, r in rows.items()} == {
        "A.L.": ("B.C.", "C.D., Person A"),  # Bo and Cara are contacts; Ed Fox is not
        "B.C.": (None, "Person A, A.L."),
        "C.D.": ("A.L.", None),
        "D.P.": (None, None),
    }
    actions = openpyxl.load_workbook(out)["Actions"]
    assert {actions.cell(r, 3).value for r in range(2, actions.max_row + 1)} <= set(rows)


def test_no_word_anyone_typed_about_a_person_survives(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = redacted(cli, tmp_path)
    with zipfile.ZipFile(out) as z:
        xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    typed = [
        "on leave",
        "Mountain",
        "Basel",
        "Roche",
        "spatial review",
        "Ann",
        "Bo Chen",
        "Ed Fox",
        "Cara",
        "Strada",
        "suggested I write",
        "link in the invite",
        "happy to talk",
        "helix.example",
        "linkedin.com/in",
    ]
    assert [t for t in typed if t in xml] == []


def test_placeholders_for_names_typed_differently() -> None:
    names = Pseudonyms()
    assert names.contact("Ann Lee", "A.L.") == "A.L."
    assert names.contact("Al Lo", "A.L.") == "A.L. (2)"  # two contacts never share one
    assert names.people("Dr. Ann Lee (Genentech); ed fox & Ed  Fox") == "A.L., Person A"
    assert split_names("Ann Lee, Bo Chen and Dr. Cruz / Li") == [
        "Ann Lee",
        "Bo Chen",
        "Dr. Cruz",
        "Li",
    ]
