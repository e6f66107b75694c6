"""Column meaning from values as well as words, a person per row or no sync, own cells never read.

Each workbook reproduces a misreading seen on trackers published by other people (issue 13):
a header's words said one thing, the column held another. They are written as real .xlsx files
with openpyxl and read back through the xlsx backend, as ``sheetsync check`` would read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

from sheetsync import layout
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.errors import LayoutError
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.profile import V, kind_of

from .cli_runner import Result, snapshot

D = dt.date
PEOPLE = ["Ana Lima", "Bo Chen", "Cleo Diaz", "Dev Patel", "Ema Stone", "Finn Wolfe"]


def workbook(path: Path, tabs: dict[str, Sequence[Sequence[CellValue]]]) -> Grid:
    """Write the tabs (rows from row 1) to a real .xlsx and read it back as sheetsync does."""
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, rows in tabs.items():
        ws = wb.create_sheet(title)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, str) and value[:1] in "=+-@":
                        cell.data_type = "s"
    wb.save(path)
    return XlsxBackend(path).read()


def mapped(lay: layout.Layout) -> dict[str, str]:
    return lay.column_names()


# ---------------------------------------------------------------------- value kinds


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (D(2026, 3, 2), V.DATE),
        ("2026-03-02", V.DATE),
        ("Mar 2, 2026", V.DATE),
        (46083, V.SERIAL),
        (12, V.NUMBER),
        ("3", V.NUMBER),
        ("ana@helix.bio", V.EMAIL),
        ("https://www.linkedin.com/in/ana-lima", V.PROFILE),
        ("https://jobs.lever.co/acme/123", V.URL),
        ("(555) 010-0000", V.PHONE),
        ("+1 617 555 0100", V.PHONE),
        ("Y", V.FLAG),
        (True, V.FLAG),
        ("Ana Lima", V.PERSON),
        ("Dr. Jane van Dyke", V.PERSON),
        ("Helix Bio", V.TEXT),
        ("Reached Out", V.STATUS),
        ("Boston, MA", V.PLACE),
        ("Zoom", V.PLATFORM),
        ("Talked about her move from academia to industry and the hiring cycle", V.LONG),
        ("TBD", V.PENDING),
    ],
)
def test_kind_of_a_value(value: CellValue, kind: V) -> None:
    assert kind_of(value) is kind


# ---------------------------------------------------------------------- words vs values


def test_days_since_and_phone_are_not_dates(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [
        ["Name", "Contact's Phone", "Days Since Contact", "Date of first contact", "Company"]
    ]
    for i, who in enumerate(PEOPLE):
        rows.append([who, f"(617) 555-01{i:02d}", 10 + 7 * i, D(2026, 2, 1 + i), "Acme"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {
        "name": "Name",
        "outreach_date": "Date of first contact",
        "organization": "Company",
    }
    assert lay.unmapped == ("Contact's Phone", "Days Since Contact")
    assert lay.doubtful == ()


def test_next_action_and_job_posting_url_are_not_promises(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [
        ["Name", "Email", "Next Action", "URL to Job Posting", "Promised"],
    ]
    actions = ["Follow up", "Wait", "Send thank-you", "Follow up", "Schedule call", "Wait"]
    for i, who in enumerate(PEOPLE):
        email = who.split()[0].lower() + "@example.org"
        url = f"https://boards.greenhouse.io/acme/jobs/{4000 + i}"
        rows.append([who, email, actions[i], url, "send my poster" if i == 0 else None])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {"name": "Name", "email": "Email", "promises": "Promised"}
    assert lay.unmapped == ("Next Action", "URL to Job Posting")


def test_job_url_is_not_the_persons_linkedin_but_a_profile_url_is(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Name", "Company", "URL", "JobURL", "Profile"]]
    for i, who in enumerate(PEOPLE):
        rows.append(
            [
                who,
                "Acme",
                f"https://acme.com/careers/{i}",
                f"https://jobs.lever.co/acme/{i}",
                f"https://www.linkedin.com/in/{who.split()[0].lower()}",
            ]
        )
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {"name": "Name", "organization": "Company", "linkedin": "Profile"}


def test_job_location_is_not_a_meeting_platform(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Name", "Email", "Location", "Meeting place"]]
    places = ["Boston, MA", "Remote", "New York, NY", "San Diego, CA", "Hybrid", "Austin, TX"]
    for i, who in enumerate(PEOPLE):
        rows.append([who, f"p{i}@example.org", places[i], "Zoom" if i % 2 else "coffee"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {"name": "Name", "email": "Email", "platform": "Meeting place"}
    assert lay.unmapped == ("Location",)


def test_lamp_list_first_contact_block_and_scores(tmp_path: Path) -> None:
    """Dalton's LAMP list: employers, alumni Y/N, motivation and posting scores, contacts."""
    header: list[CellValue] = [
        "List",
        "Alumni?",
        "Motivation",
        "Posting",
        "Contact #1 Name",
        "Contact #1 Title",
        "Contact #1 Email",
        "Contact #2 Name",
        "Contact #2 Title",
        "Contact #2 Email",
    ]
    employers = ["Genentech", "Amgen", "Calico", "Illumina", "Moderna", "Biogen"]
    rows: list[list[CellValue]] = [header]
    for i, (org, who) in enumerate(zip(employers, PEOPLE, strict=True)):
        email = who.split()[0].lower() + f"@{org.lower()}.com"
        second = PEOPLE[-1 - i]
        rows.append(
            [org, "Y" if i % 2 else "N", 1 + i % 3, 3 - i % 3, who, "Scientist", email, second,
             "Director", None]
        )  # fmt: skip
    lay = layout.discover(workbook(tmp_path / "lamp.xlsx", {"LAMP": rows}))
    assert mapped(lay) == {
        "name": "Contact #1 Name",
        "organization": "List",
        "title": "Contact #1 Title",
        "email": "Contact #1 Email",
        "connection": "Alumni?",
    }
    assert any("more than one contact" in w and "H ('Contact #2 Name')" in w for w in lay.warnings)
    assert "Posting" in lay.unmapped and "Motivation" in lay.unmapped


def test_contact_title_wins_over_a_posting_score(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Company", "Posting", "Contact", "Contact Title", "Email"]]
    for i, who in enumerate(PEOPLE):
        rows.append(["Acme", 1 + i % 3, who, "Engineer", f"p{i}@acme.com"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {
        "name": "Contact",
        "organization": "Company",
        "title": "Contact Title",
        "email": "Email",
    }


def test_header_that_says_little_is_mapped_by_values_and_doubtful(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Name", "Company", "Date", "Column 4"]]
    for i, who in enumerate(PEOPLE):
        rows.append([who, "Acme", D(2026, 3, 1 + i), f"p{i}@acme.com"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {
        "name": "Name",
        "organization": "Company",
        "email": "Column 4",
        "outreach_date": "Date",
    }
    assert lay.doubtful == ("email", "outreach_date")
    assert lay.confidence["name"] == 1.0


def test_header_phrases_real_trackers_use(tmp_path: Path) -> None:
    header: list[CellValue] = [
        "Name",
        "Firm",
        "Intro via",
        "Coffee chat",
        "LinkedIn URL",
        "Alumni?",
    ]
    rows: list[list[CellValue]] = [header]
    for i, who in enumerate(PEOPLE):
        url = f"https://www.linkedin.com/in/{who.split()[0].lower()}"
        rows.append([who, "Acme", "Prof. Kim", D(2026, 3, 1 + i), url, "Y" if i % 2 else "N"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": rows}))
    assert mapped(lay) == {
        "name": "Name",
        "organization": "Firm",
        "linkedin": "LinkedIn URL",
        "connection": "Alumni?",
        "referred_by": "Intro via",
        "interview_date": "Coffee chat",
    }
    assert lay.doubtful == ()


def test_overrides_are_certain(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Who", "Date", "Stuff"]]
    rows += [[who, D(2026, 3, 2), "x"] for who in PEOPLE]
    grid = workbook(tmp_path / "t.xlsx", {"Contacts": rows})
    lay = layout.discover(grid, overrides={"name": "Who", "outreach_date": "Date"})
    assert mapped(lay) == {"name": "Who", "outreach_date": "Date"}
    assert lay.confidence == {"name": 1.0, "outreach_date": 1.0}
    assert lay.doubtful == ()


# ---------------------------------------------------------------------- which tab


def test_tab_with_people_beats_an_empty_copy_of_the_header(tmp_path: Path) -> None:
    meetup: list[list[CellValue]] = [["Person", "Company", "Talked about"]]
    meetup += [[who, "Acme", "her move to industry"] for who in PEOPLE]
    empty: list[list[CellValue]] = [["Name", "Email", "Company", "Date contacted", "Response"]]
    grid = workbook(tmp_path / "t.xlsx", {"Meetup March": meetup, "Sheet2": empty})
    lay = layout.discover(grid)
    assert (lay.worksheet, lay.header_row) == ("Meetup March", 1)


def test_networking_tab_beats_the_job_applications_tab(tmp_path: Path) -> None:
    jobs: list[list[CellValue]] = [
        ["Company", "Position", "Date Applied", "Contact Name", "Contact Email", "Status"]
    ]
    for i, who in enumerate(PEOPLE):
        jobs.append(["Acme", "Scientist", D(2026, 2, 1 + i), who, f"p{i}@acme.com", "Applied"])
    networking: list[list[CellValue]] = [["Name", "Organization", "Date Contacted", "Response"]]
    networking += [[who, "Helix", D(2026, 3, 2), None] for who in PEOPLE[:4]]
    grid = workbook(
        tmp_path / "t.xlsx", {"Job Applications": jobs, "Networking Tracker": networking}
    )
    assert layout.discover(grid).worksheet == "Networking Tracker"


def test_a_transposed_table_is_refused_with_a_message(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [
        ["Name", *PEOPLE],
        ["Email", *[f"p{i}@x.org" for i in range(6)]],
        ["Company", *["Acme"] * 6],
        ["Date contacted", *[D(2026, 3, 1 + i) for i in range(6)]],
        ["Response", *["Y", "N"] * 3],
    ]
    grid = workbook(tmp_path / "t.xlsx", {"People": rows})
    with pytest.raises(LayoutError) as err:
        layout.discover(grid)
    assert "'People'" in str(err.value) and "one column per person" in str(err.value)


# ---------------------------------------------------------------------- not trackers at all


def test_company_only_application_log_is_refused(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [
        ["Company", "Position", "Date Applied", "Contact", "Status", "URL"]
    ]
    how = ["Reached Out", "Email", "Reached Out", "LinkedIn", "Email", "Reached Out", "Email"]
    for i, word in enumerate(how):
        rows.append(
            [f"Company {i}", "Analyst", D(2026, 2, 1 + i), word, "Applied",
             f"https://jobs.lever.co/c{i}/1"]
        )  # fmt: skip
    grid = workbook(tmp_path / "jobs.xlsx", {"Applications": rows})
    with pytest.raises(LayoutError) as err:
        layout.discover(grid)
    message = str(err.value)
    assert "'Applications'" in message
    assert "worksheet" in message and "[columns]" in message and "sheetsync map" in message


def test_question_bank_is_refused(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Question", "Category", "Answer"]]
    rows += [
        ["What does a normal week look like?", "Role", None],
        ["How did you get into the field?", "Path", "Through a postdoc"],
        ["Who else should I talk to?", "Next steps", None],
    ]
    grid = workbook(tmp_path / "q.xlsx", {"Interview Questions": rows})
    with pytest.raises(LayoutError):
        layout.discover(grid)


def test_study_planner_is_refused(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Date", "Task", "Done", "Notes"]]
    rows += [[D(2026, 3, 1 + i), f"Read chapter {i}", "Y", None] for i in range(8)]
    grid = workbook(tmp_path / "plan.xlsx", {"Planner": rows})
    with pytest.raises(LayoutError):
        layout.discover(grid)


def test_status_words_under_contact_are_not_people(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [["Contact", "Company", "Date"]]
    words = ["Reached Out", "Email", "Reached Out", "Email", "LinkedIn", "Reached Out", "Email"]
    rows += [[w, f"Firm {i}", D(2026, 3, 1 + i)] for i, w in enumerate(words)]
    grid = workbook(tmp_path / "t.xlsx", {"Sheet1": rows})
    with pytest.raises(LayoutError) as err:
        layout.discover(grid)
    assert "not people" in str(err.value)


# ---------------------------------------------------------------------- own cells


def test_prep_tab_and_managed_columns_are_never_input(tmp_path: Path) -> None:
    prep: list[list[CellValue]] = [
        ["sheetsync · prep"],
        ["Name", "Email", "Interview date"],
        ["Ana Lima", "ana@x.org", D(2026, 3, 17)],
        ["Bo Chen", "bo@x.org", D(2026, 3, 18)],
        ["Cleo Diaz", "cleo@x.org", D(2026, 3, 19)],
    ]
    contacts: list[list[CellValue]] = [
        ["Who", "Org", "sheetsync · status", "sheetsync · next step", "sheetsync · due"]
    ]
    contacts += [[who, "Acme", "Due: Follow up (3B)", "Write to a second person", None]
                 for who in PEOPLE]  # fmt: skip
    grid = workbook(tmp_path / "t.xlsx", {"sheetsync · prep": prep, "Contacts": contacts})
    lay = layout.discover(grid)
    assert (lay.worksheet, lay.header_row) == ("Contacts", 1)
    assert mapped(lay) == {"name": "Who", "organization": "Org"}
    assert dict(lay.managed) == {"sheetsync · status": 3, "sheetsync · next step": 4,
                                 "sheetsync · due": 5}  # fmt: skip


def test_duplicated_managed_header_uses_the_leftmost_and_warns(tmp_path: Path) -> None:
    contacts: list[list[CellValue]] = [
        ["Name", "Email", "sheetsync · status", "sheetsync · next step", "sheetsync · due",
         "sheetsync · status"]
    ]  # fmt: skip
    contacts += [[who, f"p{i}@x.org", "OK", None, None, "OK"] for i, who in enumerate(PEOPLE)]
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": contacts}))
    assert lay.managed["sheetsync · status"] == 3
    assert any("repeats sheetsync's column 'sheetsync · status'" in w for w in lay.warnings)
    assert lay.unmapped == ()


def test_status_text_below_a_weak_header_is_never_the_header(tmp_path: Path) -> None:
    """Text-only rows whose status cells name fields ("add email/LinkedIn", "2nd person")."""
    contacts: list[list[CellValue]] = [
        ["Who", "Org", "sheetsync · status", "sheetsync · next step", "sheetsync · due"]
    ]
    for who in PEOPLE:
        contacts.append(
            [who, "Acme", "Check: add email/LinkedIn · Due: write to a 2nd person",
             f"Add an email address or LinkedIn profile for {who}", None]
        )  # fmt: skip
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Contacts": contacts}))
    assert (lay.header_row, mapped(lay)) == (1, {"name": "Who", "organization": "Org"})
    assert layout.managed_row(lay_tab(tmp_path / "t.xlsx")) == 1


def lay_tab(path: Path) -> Tab:
    tab = XlsxBackend(path).read().tab("Contacts")
    assert tab is not None
    return tab


def test_second_copy_of_a_managed_column_is_left_alone_by_sync(tmp_path: Path) -> None:
    """Issue 12: a copied "sheetsync · status" column; the leftmost is used, syncs settle."""
    from sheetsync import pipeline
    from sheetsync.config import Settings

    path = tmp_path / "t.xlsx"
    rows: list[list[CellValue]] = [["Name", "Email", "Date contacted", "Response"]]
    rows += [[who, f"p{i}@x.org", D(2026, 3, 2 + i), None] for i, who in enumerate(PEOPLE)]
    workbook(path, {"Contacts": rows})
    today = D(2026, 3, 16)
    pipeline.sync(XlsxBackend(path, backups=0), Settings(), today)
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    for r in range(1, ws.max_row + 1):  # the student copies column E to column I
        ws.cell(row=r, column=9, value=ws.cell(row=r, column=5).value)
    wb.save(path)
    first = pipeline.sync(XlsxBackend(path, backups=0), Settings(), today)
    assert first.checked is not None
    lay = first.checked.layout
    assert lay.managed["sheetsync · status"] == 5
    assert any("Column I repeats" in w for w in lay.warnings)
    assert {c.col for c in first.plan.changes} <= {5, 6, 7}
    data = path.read_bytes()
    again = pipeline.sync(XlsxBackend(path, backups=0), Settings(), today)
    assert not again.written and path.read_bytes() == data


@pytest.mark.parametrize(
    "build",
    ["init", "example", "qb3", "split_names", "snake_case", "linkedin", "mixed_dates", "formulas"],
)
def test_clean_layouts_have_nothing_doubtful(build: str, tmp_path: Path) -> None:
    """Confident maps keep syncing without questions: `init` trackers, the example, the
    layouts of tests/test_layouts.py."""
    from sheetsync.init import create_tracker

    from . import test_layouts

    path = tmp_path / "t.xlsx"
    if build == "init":
        create_tracker(path)
    elif build == "example":
        path = Path(__file__).resolve().parent.parent / "examples" / "tracker.xlsx"
    else:
        getattr(test_layouts, f"build_{build}")(path)
    lay = layout.discover(XlsxBackend(path).read())
    assert lay.doubtful == ()
    assert set(lay.confidence) == set(lay.columns)
    assert min(lay.confidence.values()) >= layout.DOUBT


def test_contact_block_repeated_without_numbers(tmp_path: Path) -> None:
    header: list[CellValue] = ["List", "Contact Name", "Contact Email", "Contact Name",
                               "Contact Email"]  # fmt: skip
    rows: list[list[CellValue]] = [header]
    for i, who in enumerate(PEOPLE):
        rows.append([f"Firm {i}", who, f"p{i}@firm.com", PEOPLE[-1 - i], f"q{i}@firm.com"])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"LAMP": rows}))
    assert mapped(lay) == {"name": "Contact Name", "organization": "List", "email": "Contact Email"}
    assert lay.columns == {"name": 2, "organization": 1, "email": 3}
    assert lay.doubtful == ()
    assert [w for w in lay.warnings if "more than one contact" in w] == [
        "Each row holds more than one contact: sheetsync reads the first and leaves columns "
        "D ('Contact Name'), E ('Contact Email') alone. Give each person a row of their own "
        "to have them checked too."
    ]


def test_sync_of_an_application_log_stops_and_writes_nothing(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    rows: list[list[CellValue]] = [["Company", "Position", "Date Applied", "Contact", "Status"]]
    how = ["Reached Out", "Email", "Reached Out", "LinkedIn", "Email", "Reached Out"]
    rows += [[f"Firm {i}", "Analyst", D(2026, 2, 1 + i), w, "Applied"] for i, w in enumerate(how)]
    workbook(tmp_path / "jobs.xlsx", {"Applications": rows})
    before = snapshot(tmp_path)
    result = cli("sync", "jobs.xlsx", "--today", "2026-03-16")
    assert result.code == 3
    assert "rows are not people" in result.text
    assert "column D ('Contact') holds 'Reached Out', 'Email', 'LinkedIn'" in result.text
    assert snapshot(tmp_path) == before


def test_a_bare_date_next_to_other_dates_is_left_unmapped(tmp_path: Path) -> None:
    """100Devs' networking tab: 'Date' is the event's day when outreach has its own column."""
    rows: list[list[CellValue]] = [["Event Name", "Date", "Name", "Email", "Date contacted"]]
    for i, who in enumerate(PEOPLE):
        rows.append(["Meetup", D(2026, 2, 1), who, f"p{i}@x.org", D(2026, 3, 2 + i)])
    lay = layout.discover(workbook(tmp_path / "t.xlsx", {"Networking": rows}))
    assert mapped(lay) == {"name": "Name", "email": "Email", "outreach_date": "Date contacted"}
    assert lay.unmapped == ("Event Name", "Date")


def test_a_job_log_with_its_recruiter_says_why_it_is_not_a_contacts_list(tmp_path: Path) -> None:
    rows: list[list[CellValue]] = [
        ["Company Name", "Job Title", "Application Date", "Status", "Recruiter/Contact Name"]
    ]
    rows += [
        [f"Firm {i}", "Data Analyst", D(2026, 3, 1 + i), "Applied", PEOPLE[i]] for i in range(6)
    ]
    grid = workbook(tmp_path / "jobs.xlsx", {"Applications": rows})
    with pytest.raises(LayoutError) as err:
        layout.discover(grid)
    message = " ".join(str(err.value).split())
    assert "each row is a job or application" in message
    assert "'Recruiter/Contact Name' is the person to ask about it" in message
    assert "rows hold a person's name" not in message  # it is not about missing names
