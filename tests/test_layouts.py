"""Real tracker layouts, built with openpyxl, checked end to end through the console script's
entry point (in-process: the process itself is tested in test_cli.py).

Each workbook is modelled on a layout students really use. For each, ``sheetsync check FILE
--today 2026-03-16 --format json`` must find the contacts tab and header row, map the headers
to the canonical fields, and report exactly the (row, rule) pairs the rule definitions give.
2026-03-16 is a Monday; business days skip weekends and US public holidays.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from .cli_runner import Result

TODAY = "2026-03-16"
D = dt.date


# ---------------------------------------------------------------------- helpers


def check_json(cli: Callable[..., Result], path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """``sheetsync check PATH --today 2026-03-16 --format json`` (run where ``cli`` runs, the
    test's tmp_path): exit code and the object."""
    assert path.parent == Path.cwd(), path
    proc = cli("check", path.name, "--today", TODAY, "--format", "json", *extra)
    assert proc.out, proc.err
    return proc.code, json.loads(proc.out)


def pairs(result: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The (row, rule) pairs of a check result, sorted."""
    return sorted((f["row"], f["rule"]) for f in result["findings"])


def put_rows(ws: Worksheet, first_row: int, rows: Sequence[Sequence[object]]) -> None:
    """Write rows from ``first_row`` on; None leaves a cell empty."""
    for r, values in enumerate(rows, start=first_row):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)


def store_results(path: Path, sheet_part: str, results: Mapping[str, tuple[str, str]]) -> None:
    """Give formula cells the result Excel would have saved: ``{"G2": ("n", "46036")}`` for a
    number, ``("e", "#N/A")`` for an error. openpyxl writes formulas without one."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == sheet_part:
                xml = data.decode("utf-8")
                for ref, (kind, value) in results.items():
                    pattern = re.compile(
                        rf'<c r="{ref}"([^>]*)>(<f>[^<]*</f>)(?:<v\s*/>|<v>\s*</v>)?</c>'
                    )
                    t_attr = ' t="e"' if kind == "e" else ""
                    cell = f'<c r="{ref}"\\g<1>{t_attr}>\\g<2><v>{value}</v></c>'
                    xml, count = pattern.subn(cell, xml)
                    assert count == 1, f"no formula cell {ref} in {sheet_part}"
                data = xml.encode("utf-8")
            archive.writestr(info, data)


def serial(day: dt.date) -> int:
    """The Excel serial number of a date (1900 date system)."""
    return (day - dt.date(1899, 12, 30)).days


# ---------------------------------------------------------------------- (a) QB3 / GradPro


def build_qb3(path: Path) -> None:
    """Merged title, instructions, header on row 4, example row, section row, blank rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Networking Tracker"
    ws["A1"] = "Informational Interview Tracker — Spring 2026"
    ws.merge_cells("A1:M1")
    ws["A2"] = (
        "Instructions: one row per person. Record the date you first wrote, whether they "
        "replied, and mark the thank-you once it is sent."
    )
    ws.merge_cells("A2:M2")
    headers = [
        "Name",
        "Organization",
        "Position",
        "How I know them",
        "Date Contacted",
        "Response",
        "Follow-up Date",
        "Interview Date",
        "Location/Platform",
        "Thank You Sent",
        "Referrals",
        "Notes",
        "Fun fact",
    ]
    put_rows(ws, 4, [headers])
    # fmt: off
    put_rows(
        ws,
        5,
        [
            # 5: the template's example row: it would be flagged if it were read as a contact
            ["Example: Jane Doe", "Acme Bio", "Scientist", "alum", D(2026, 3, 2), None, None,
             D(2026, 3, 10)],
            # 6: wrote Tue 3/10, no reply: 3 business days on Fri 3/13 → 3B
            ["Elena Petrova", "Genentech", "Senior Scientist", "alum", D(2026, 3, 10)],
            # 7: wrote Tue 3/3: 7 business days on Thu 3/12 → 7B (due, not yet overdue)
            ["Marcus Lee", "10x Genomics", "Field Scientist", "LinkedIn", D(2026, 3, 3)],
            [],  # 8: blank
        ],
    )
    # fmt: on
    ws["A9"] = "Peers List"  # 9: a section row, merged across
    ws.merge_cells("A9:M9")
    # fmt: off
    put_rows(
        ws,
        10,
        [
            # 10: interview Wed 3/11, no thank-you (5 days: overdue), no referrals recorded
            ["Priya Shah", "UCSF", "Postdoc", "peer", D(2026, 2, 20), "Yes", None,
             D(2026, 3, 11), "Zoom"],
            # 11: interview tomorrow, no place/platform: prepare, confirm, add details
            ["Tom Becker", "Stanford", "PI", None, D(2026, 3, 2), D(2026, 3, 4), None,
             D(2026, 3, 17)],
            # 12: last spoke 2025-11-21 (+90 days = 2026-02-19) → stale
            ["Aisha Khan", "Calico", "Director", "conference", D(2025, 11, 3), "Y", None,
             D(2025, 11, 20), "Coffee", D(2025, 11, 21), "Dr. Lin"],
            [],  # 13: blank
            # 14: wrote Thu 3/12: 3B only on Tue 3/17 → nothing yet
            ["Wei Zhang", "Amgen", None, None, D(2026, 3, 12)],
            # 15: followed up Wed 3/4, still quiet 7 business days later (Fri 3/13) → move on
            ["Sofia Rossi", "Pfizer", None, None, D(2026, 2, 20), None, D(2026, 3, 4)],
            # 16: same name and organisation as row 6 → duplicate
            ["elena  petrova", "GENENTECH", None, None, None, "yes"],
            # 17: a placeholder date → bad-date
            ["Jun Park", "Broad Institute", None, None, "TBD"],
        ],
    )
    # fmt: on
    wb.create_sheet("Question ideas").append(["Question", "Category"])
    wb.save(path)


def test_qb3_gradpro_layout(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "qb3.xlsx"
    build_qb3(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert out["source"] == "qb3.xlsx"
    assert out["today"] == TODAY
    assert out["worksheet"] == "Networking Tracker"
    assert out["header_row"] == 4
    assert out["columns"] == {
        "name": "Name",
        "organization": "Organization",
        "title": "Position",
        "connection": "How I know them",
        "outreach_date": "Date Contacted",
        "response": "Response",
        "follow_up_date": "Follow-up Date",
        "interview_date": "Interview Date",
        "platform": "Location/Platform",
        "thank_you": "Thank You Sent",
        "referrals": "Referrals",
        "notes": "Notes",
    }
    assert out["unmapped"] == ["Fun fact"]
    assert pairs(out) == [
        (6, "follow-up-3b"),
        (7, "follow-up-7b"),
        (10, "ask-referrals"),
        (10, "thank-you-missing"),
        (11, "confirm-meeting"),
        (11, "details-missing"),
        (11, "prep-needed"),
        (12, "stale-contact"),
        (15, "move-on"),
        (16, "duplicate-contact"),
        (17, "bad-date"),
    ]
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert by[6, "follow-up-3b"]["due"] == "2026-03-13"
    assert by[6, "follow-up-3b"]["contact"] == "Elena Petrova"
    assert (by[7, "follow-up-7b"]["due"], by[7, "follow-up-7b"]["severity"]) == (
        "2026-03-12",
        "due",
    )
    assert by[10, "thank-you-missing"]["severity"] == "overdue"
    assert by[12, "stale-contact"]["due"] == "2026-02-19"
    assert by[15, "move-on"]["due"] == "2026-03-13"
    assert "row 6" in by[16, "duplicate-contact"]["message"]
    assert "E17" in by[17, "bad-date"]["message"]
    # no email or LinkedIn column, no promises column: those rules are skipped, not run
    assert set(out["skipped_rules"]) == {"no-contact-info", "promise-open"}


# ---------------------------------------------------------------------- (b) split names, typos


def build_split_names(path: Path) -> None:
    """First/Last name columns, Title Case headers with typos, header on row 2."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws["A1"] = "My networking contacts"
    headers = [
        "First Name",
        "Last Name",
        "Orgnization",
        "Job Title",
        "Email",
        "Date Reached Out",
        "Respnse",
        "Interview Date",
        "Thank You Note Sent",
        "Promised",
        "Notes",
    ]
    # fmt: off
    put_rows(
        ws,
        2,
        [
            headers,
            # 3: wrote Wed 3/11 → 3B due today
            ["Ana", "Silva", "Novartis", None, "ana@novartis.com", D(2026, 3, 11)],
            # 4: no email, not yet contacted → no-contact-info
            ["Ben", "Okafor", "Merck"],
            # 5: wrote Fri 2/27, "no" reply: 7B due Tue 3/10, overdue after Fri 3/13
            ["Chloe", "Martin", "Illumina", None, "chloe@illumina.com", D(2026, 2, 27), "no"],
            # 6: interview Fri 3/13, no thank-you (3 days: due), an open promise
            ["Dev", "Patel", "Genentech", None, "dev@gene.com", D(2026, 2, 2), D(2026, 2, 3),
             D(2026, 3, 13), None, "send my poster"],
            # 7: interview Fri 3/20: nothing yet (prep from 3/17, confirm on 3/19)
            ["Emma", "Johansson", "Roche", None, "emma@roche.com", D(2026, 3, 2), "Yes",
             D(2026, 3, 20)],
            # 8: row 3's email in other case → duplicate
            ["Ana", "Silva", "Novartis AG", None, "ANA@Novartis.com"],
            # 9: reply dated before the first email → date-order
            ["Felix", "Wong", "Biogen", None, "felix@biogen.com", D(2026, 3, 10), D(2026, 3, 8)],
            # 10: interview 2025-10-15, thanked, promise done → stale on 2026-01-13
            ["Gina", "Rossi", "Moderna", None, "gina@moderna.com", D(2025, 10, 1), "Y",
             D(2025, 10, 15), "Y", "done: sent the paper"],
        ],
    )
    # fmt: on
    wb.save(path)


def test_split_names_with_typos(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "split.xlsx"
    build_split_names(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert (out["worksheet"], out["header_row"]) == ("Contacts", 2)
    assert out["columns"] == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "organization": "Orgnization",
        "title": "Job Title",
        "email": "Email",
        "outreach_date": "Date Reached Out",
        "response": "Respnse",
        "interview_date": "Interview Date",
        "thank_you": "Thank You Note Sent",
        "promises": "Promised",
        "notes": "Notes",
    }
    assert out["unmapped"] == []
    assert pairs(out) == [
        (3, "follow-up-3b"),
        (4, "no-contact-info"),
        (5, "follow-up-7b"),
        (6, "promise-open"),
        (6, "thank-you-missing"),
        (8, "duplicate-contact"),
        (9, "date-order"),
        (10, "stale-contact"),
    ]
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert by[3, "follow-up-3b"]["contact"] == "Ana Silva"  # joined from first + last
    assert by[3, "follow-up-3b"]["due"] == TODAY
    assert (by[5, "follow-up-7b"]["due"], by[5, "follow-up-7b"]["severity"]) == (
        "2026-03-10",
        "overdue",
    )
    assert by[6, "thank-you-missing"]["severity"] == "due"
    assert by[10, "stale-contact"]["due"] == "2026-01-13"
    assert set(out["skipped_rules"]) == {
        "details-missing",
        "ask-referrals",
    }  # move-on runs without a follow-up column


# ---------------------------------------------------------------------- (c) snake_case


def build_snake_case(path: Path) -> None:
    """snake_case headers on row 1 of 'Sheet1', after tabs that are not contact lists."""
    wb = openpyxl.Workbook()
    questions = wb.active
    assert questions is not None
    questions.title = "Question ideas"
    put_rows(
        questions,
        1,
        [
            ["question", "category", "asked_whom"],
            ["What does a normal week look like?", "insights", "Hana Sato"],
            ["Who else should I talk to?", "next steps", None],
        ],
    )
    checklist = wb.create_sheet("Checklist")
    put_rows(checklist, 1, [["step", "done"], ["Research the person", "x"]])
    instructions = wb.create_sheet("Instructions")
    put_rows(
        instructions,
        1,
        [
            ["column", "what goes in it"],
            ["name", "full name"],
            ["email", "their email"],
            ["date_contacted", "when you first wrote"],
        ],
    )
    ws = wb.create_sheet("Sheet1")
    headers = [
        "name",
        "company",
        "role",
        "email",
        "linkedin_url",
        "date_contacted",
        "heard_back",
        "follow_up_sent",
        "call_date",
        "call_platform",
        "thank_you_sent",
        "last_contact",
        "keep_in_touch_every",
        "referred_to",
        "owe_them",
        "notes",
    ]
    li = "https://www.linkedin.com/in/lena-fischer"
    # fmt: off
    put_rows(
        ws,
        1,
        [
            headers,
            # 2: wrote Mon 3/9 → 3B (due Thu 3/12)
            ["Hana Sato", "Google", "SWE", "hana@google.com", None, D(2026, 3, 9)],
            # 3: followed up Fri 3/13: nothing until move-on on 3/24
            ["Ivan Petrov", "Meta", None, "ivan@meta.com", None, D(2026, 3, 4), "no",
             D(2026, 3, 13)],
            # 4: call tomorrow, no platform
            ["Julia Costa", "Broad", None, "julia@broad.org", None, D(2026, 2, 23), "yes",
             None, D(2026, 3, 17)],
            # 5: own cadence of 30 days since 2026-01-20 → stale since 2026-02-19
            ["Kofi Mensah", "Genentech", None, "kofi@gene.com", None, D(2026, 1, 5), "yes",
             None, D(2026, 1, 20), "Zoom", "yes", D(2026, 1, 20), "30 days", "Ama Boateng"],
            # 6: LinkedIn only, not yet contacted: nothing to do
            ["Lena Fischer", "Stripe", None, None, li],
            # 7: call Thu 3/12, no thanks (overdue), no referrals noted, an open promise
            ["Mateo Garcia", "Novo Nordisk", None, "mateo@novo.com", None, D(2026, 3, 2),
             "yes", None, D(2026, 3, 12), "Coffee", None, D(2026, 3, 12), None, None,
             "intro to Sam"],
            # 8: wrote Thu 3/5 → 7B due today
            ["Nora Berg", "Apple", None, "nora@apple.com", None, D(2026, 3, 5), None, None,
             None, None, None, None, "quarterly"],
            # 9: no way to reach them, and a cadence nobody can read
            ["Omar Haddad", "Amazon", None, None, None, None, None, None, None, None, None,
             None, "whenever"],
        ],
    )
    # fmt: on
    wb.save(path)


def test_snake_case_after_other_tabs(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "snake.xlsx"
    build_snake_case(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert (out["worksheet"], out["header_row"]) == ("Sheet1", 1)
    assert out["columns"] == {
        "name": "name",
        "organization": "company",
        "title": "role",
        "email": "email",
        "linkedin": "linkedin_url",
        "outreach_date": "date_contacted",
        "response": "heard_back",
        "follow_up_date": "follow_up_sent",
        "interview_date": "call_date",
        "platform": "call_platform",
        "thank_you": "thank_you_sent",
        "last_contact": "last_contact",
        "cadence": "keep_in_touch_every",
        "referrals": "referred_to",
        "promises": "owe_them",
        "notes": "notes",
    }
    assert out["unmapped"] == []
    assert pairs(out) == [
        (2, "follow-up-3b"),
        (4, "confirm-meeting"),
        (4, "details-missing"),
        (4, "prep-needed"),
        (5, "stale-contact"),
        (7, "ask-referrals"),
        (7, "promise-open"),
        (7, "thank-you-missing"),
        (8, "follow-up-7b"),
        (9, "bad-value"),
        (9, "no-contact-info"),
    ]
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert by[5, "stale-contact"]["due"] == "2026-02-19"
    assert by[8, "follow-up-7b"]["due"] == TODAY
    assert "M9" in by[9, "bad-value"]["message"]
    assert out["skipped_rules"] == {}


# ---------------------------------------------------------------------- (d) LinkedIn export


def build_linkedin(path: Path) -> None:
    """LinkedIn's Connections.csv saved as .xlsx, 3 lines of notes, plus the user's columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Connections"
    ws["A1"] = "Notes:"
    ws["A2"] = (
        "When exporting your connection data, you may notice that some of the email "
        "addresses are missing. You will only see email addresses for connections who have "
        "allowed their connections to see or download their email address."
    )
    ws["A3"] = "Columns H onwards are mine."
    url = "https://www.linkedin.com/in/"
    # fmt: off
    put_rows(
        ws,
        4,
        [
            [
                "First Name",
                "Last Name",
                "URL",
                "Email Address",
                "Company",
                "Position",
                "Connected On",
                "Emailed on",
                "Heard back?",
                "Call date",
                "Sent thanks",
                "Last touch",
                "Owe them",
            ],
            # 5: emailed Fri 3/6 → 3B due Wed 3/11 (7B only on Tue 3/17)
            ["Paula", "Reyes", url + "preyes", None, "Genentech", "Scientist", "10 Jan 2026",
             D(2026, 3, 6)],
            # 6: emailed on Presidents' Day (a holiday): 7B due Thu 2/26, overdue
            ["Quinn", "Adams", url + "qadams", "quinn@pfizer.com", "Pfizer", None,
             "02 Feb 2026", D(2026, 2, 16)],
            # 7: call Fri 3/13, no thanks yet (due), something owed
            ["Rosa", "Lima", url + "rlima", None, "Moderna", None, "15 Dec 2025",
             D(2026, 2, 20), "Yes - call set", D(2026, 3, 13), None, None, "send the article"],
            # 8: last touch 2025-11-01 → stale on 2026-01-30
            ["Sam", "Cho", url + "scho", None, "Amgen", None, "01 Sep 2025", D(2025, 10, 2),
             "Yes", D(2025, 10, 10), "Yes", D(2025, 11, 1)],
            # 9: a connection not yet contacted, reachable on LinkedIn: nothing
            ["Tara", "Singh", url + "tsingh", None, "Calico", None, "20 Feb 2026"],
            # 10: call on Wed 3/18 (soon); no URL, no email, no outreach date
            ["Uma", "Das", None, None, "Verily", None, None, None, None, D(2026, 3, 18)],
        ],
    )
    # fmt: on
    wb.save(path)


def test_linkedin_export_with_notes_preamble(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "Connections.xlsx"
    build_linkedin(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert (out["worksheet"], out["header_row"]) == ("Connections", 4)
    assert out["columns"] == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "organization": "Company",
        "title": "Position",
        "email": "Email Address",
        "linkedin": "URL",
        "outreach_date": "Emailed on",
        "response": "Heard back?",
        "interview_date": "Call date",
        "thank_you": "Sent thanks",
        "last_contact": "Last touch",
        "promises": "Owe them",
    }
    assert out["unmapped"] == ["Connected On"]
    assert pairs(out) == [
        (5, "follow-up-3b"),
        (6, "follow-up-7b"),
        (7, "promise-open"),
        (7, "thank-you-missing"),
        (8, "stale-contact"),
        (10, "no-contact-info"),
        (10, "prep-needed"),
    ]
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert by[5, "follow-up-3b"]["due"] == "2026-03-11"
    assert (by[6, "follow-up-7b"]["due"], by[6, "follow-up-7b"]["severity"]) == (
        "2026-02-26",
        "overdue",
    )
    assert by[8, "stale-contact"]["due"] == "2026-01-30"
    assert by[10, "prep-needed"]["severity"] == "soon"
    assert set(out["skipped_rules"]) == {
        "details-missing",
        "ask-referrals",
    }  # move-on runs without a follow-up column


# ---------------------------------------------------------------------- (e) Y/N log, mixed dates


def build_mixed_dates(path: Path) -> None:
    """An interview log: Y/N thank-yous, and the same day typed six different ways."""
    wb = openpyxl.Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    put_rows(summary, 1, [["Interviews this term", 8], ["Thank-yous sent", 2]])
    ws = wb.create_sheet("Interview Log")
    headers = [
        "Contact",
        "Employer",
        "Role",
        "Email",
        "First outreach",
        "Reply?",
        "Meeting",
        "Thank-you (Y/N)",
        "Notes",
    ]

    def row(who: str, outreach: object, reply: object, meeting: object, thanks: object) -> list:
        email = who.split()[0].lower() + "@example.org"
        return [who, "Acme", None, email, outreach, reply, meeting, thanks]

    put_rows(
        ws,
        1,
        [
            headers,
            # 2–7: a meeting on Tue 3/10, however typed, with no thank-you → overdue
            row("Vera Novak", D(2026, 3, 2), "Y", dt.datetime(2026, 3, 10, 14, 30), "N"),
            row("Walt Kim", serial(D(2026, 3, 2)), "yes", serial(D(2026, 3, 10)), None),
            row("Xena Ivanova", "3/2/2026", "Y", "3/10/2026", "n"),
            row("Yara Haddad", "Mar 2, 2026", "Y", "Mar 10, 2026", "N"),
            row("Zane Okoro", "2 Mar 2026", "Y", "10 Mar 2026", "No"),
            row("Abe Lincoln", "2026-03-02", "Y", "2026-03-10", None),
            # 8–9: thanked → nothing
            row("Bea Arthur", D(2026, 3, 2), "Y", D(2026, 3, 10), "Y"),
            row("Cy Young", D(2026, 3, 2), "Y", "2026-03-10", "y"),
            # 10: wrote Wed 3/11 (typed as ISO text) → 3B due today
            row("Di Prince", "2026-03-11", None, None, None),
            # 11–13: dates nobody can read → bad-date
            row("Ed Norton", "31/02/2026", None, None, None),
            row("Flo Rida", "3/2/2026", "Y", "TBD", None),
            row("Gus Grissom", "Mar 20", None, None, None),
            # 14: wrote Wed 3/4, reply "N" → 7B due Fri 3/13
            row("Hal Jordan", D(2026, 3, 4), "N", None, None),
        ],
    )
    wb.save(path)


def test_log_with_yn_thanks_and_mixed_dates(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = tmp_path / "log.xlsx"
    build_mixed_dates(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert (out["worksheet"], out["header_row"]) == ("Interview Log", 1)
    assert out["columns"] == {
        "name": "Contact",
        "organization": "Employer",
        "title": "Role",
        "email": "Email",
        "outreach_date": "First outreach",
        "response": "Reply?",
        "interview_date": "Meeting",
        "thank_you": "Thank-you (Y/N)",
        "notes": "Notes",
    }
    assert out["unmapped"] == []
    assert pairs(out) == [
        *[(r, "thank-you-missing") for r in range(2, 8)],
        (10, "follow-up-3b"),
        (11, "bad-date"),
        (12, "bad-date"),
        (13, "bad-date"),
        (14, "follow-up-7b"),
    ]
    thanks = [f for f in out["findings"] if f["rule"] == "thank-you-missing"]
    # every spelling of the meeting day was read as Tue 10 March
    assert {(f["due"], f["severity"]) for f in thanks} == {("2026-03-11", "overdue")}
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert "E11" in by[11, "bad-date"]["message"]
    assert "G12" in by[12, "bad-date"]["message"]
    assert "no year" in by[13, "bad-date"]["message"]
    assert by[14, "follow-up-7b"]["due"] == "2026-03-13"
    assert set(out["skipped_rules"]) == {
        "details-missing",
        "ask-referrals",
        "promise-open",
    }


# ---------------------------------------------------------------------- (f) formulas


def build_formulas(path: Path) -> None:
    """'Last contact' is =MAX(...) with cached values; a lookup shows #N/A; no reply column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tracker"
    headers = [
        "Name",
        "Organization",
        "Email",
        "Date contacted",
        "Interview date",
        "Thank you",
        "Last contact",
        "Days since",
    ]
    # fmt: off
    rows: list[list[object]] = [
        headers,
        # 2: organisation looked up, lookup failed → #N/A → bad-value
        ["Ivy Chen", "=VLOOKUP(C2,Orgs!A:B,2,FALSE)", "ivy@x.org", D(2026, 1, 5),
         D(2026, 1, 15), "Y"],
        # 3: last contact 2025-10-20 → stale on 2026-01-18
        ["Jay Gupta", "Acme", "jay@acme.com", D(2025, 10, 1), D(2025, 10, 20), "Y"],
        # 4: wrote Mon 3/2, no reply column: the chase rules cannot judge it
        ["Kim Lee", "Beta", "kim@beta.com", D(2026, 3, 2)],
        # 5: interview Fri 3/13, no thanks → due
        ["Lou Reed", "Gamma", "lou@gamma.com", D(2026, 3, 11), D(2026, 3, 13)],
        # 6: last contact shows #REF! → bad-value
        ["Max Planck", "Delta", "max@delta.com", D(2025, 6, 1)],
        # 7: only the cached =MAX value says when they last spoke: 2025-11-02 → stale
        ["Nia Long", "Epsilon", "nia@eps.com", D(2025, 11, 2)],
    ]
    # fmt: on
    put_rows(ws, 1, rows)
    for r in range(2, 8):
        ws.cell(row=r, column=7, value=f"=MAX(D{r},E{r})")
        ws.cell(row=r, column=8, value=f"=TODAY()-G{r}")
    ws["G6"] = "=MAX(#REF!)"
    wb.save(path)
    today = D(2026, 3, 16)
    last = {
        2: D(2026, 1, 15),
        3: D(2025, 10, 20),
        4: D(2026, 3, 2),
        5: D(2026, 3, 13),
        7: D(2025, 11, 2),
    }
    results: dict[str, tuple[str, str]] = {"B2": ("e", "#N/A"), "G6": ("e", "#REF!")}
    for r, day in last.items():
        results[f"G{r}"] = ("n", str(serial(day)))
        results[f"H{r}"] = ("n", str((today - day).days))
    results["H6"] = ("e", "#REF!")
    store_results(path, "xl/worksheets/sheet1.xml", results)


def test_formula_sheet_with_cached_values_and_errors(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = tmp_path / "formulas.xlsx"
    build_formulas(path)
    code, out = check_json(cli, path)
    assert code == 1
    assert (out["worksheet"], out["header_row"]) == ("Tracker", 1)
    assert out["columns"] == {
        "name": "Name",
        "organization": "Organization",
        "email": "Email",
        "outreach_date": "Date contacted",
        "interview_date": "Interview date",
        "thank_you": "Thank you",
        "last_contact": "Last contact",
    }
    assert out["unmapped"] == ["Days since"]
    assert pairs(out) == [
        (2, "bad-value"),
        (3, "stale-contact"),
        (5, "thank-you-missing"),
        (6, "bad-value"),
        (7, "stale-contact"),
    ]
    by = {(f["row"], f["rule"]): f for f in out["findings"]}
    assert "B2" in by[2, "bad-value"]["message"] and "#N/A" in by[2, "bad-value"]["message"]
    assert "G6" in by[6, "bad-value"]["message"] and "#REF!" in by[6, "bad-value"]["message"]
    assert by[3, "stale-contact"]["due"] == "2026-01-18"
    # a typed (here: cached) last contact counts as having spoken; a derived one would not
    assert by[7, "stale-contact"]["due"] == "2026-01-31"
    # no reply column: no chase findings (row 4 would be 7B), and the rules say why
    skipped = out["skipped_rules"]
    assert skipped["follow-up-3b"] == ["response"]
    assert skipped["follow-up-7b"] == ["response"]
    assert "response" in skipped["move-on"]
    assert set(skipped) == {
        "follow-up-3b",
        "follow-up-7b",
        "move-on",
        "details-missing",
        "ask-referrals",
        "promise-open",
    }

    text = cli("check", path.name, "--today", TODAY)
    assert text.code == 1, text.err
    assert "Traceback" not in text.err
    assert text.out.count("Skipped follow-up-3b") == 1
    assert text.out.count("Skipped follow-up-7b") == 1
