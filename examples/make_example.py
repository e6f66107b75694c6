"""Build ``examples/tracker.xlsx``: a realistic, hand-kept informational-interview tracker.

The people and organisations are made up. Every date is fixed relative to the "as of" date
2026-03-16 (a Monday), so ``sheetsync check examples/tracker.xlsx --today 2026-03-16`` shows
every situation the rules know about; ``examples/README.md`` lists them row by row.

The sheet is laid out the way students' own trackers tend to be, not the way
``sheetsync init`` would lay it out: a merged title, an instruction line, the headings on
row 4, an "Example:" row, blank rows, a "Peers List" section row, dates typed as text,
Y/N flags, formulas, and a note that starts with "=".

Run it as a script (``python examples/make_example.py [PATH]``) or import
:func:`build_example`. The content is the same on every run (the file's bytes may differ).
"""

from __future__ import annotations

import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

AS_OF = date(2026, 3, 16)
"""The Monday every date in the example is planted around."""

SHEET = "Networking Tracker"
TITLE = "Networking Tracker: Informational Interviews"
INSTRUCTION = (
    "Add one row per person. Peers (labmates, classmates) go under Peers List. "
    "Dates as m/d/yyyy. Y/N is fine for Response and Thank-you."
)
HEADER_ROW = 4
HEADERS = (
    "Name",
    "Organization",
    "Position",
    "Email",
    "How I know them",
    "Date Contacted",
    "Response?",
    "Follow-up sent",
    "Informational Interview Date",
    "Place/Platform",
    "Thank-you Sent?",
    "Referrals",
    "Promised",
    "Last contact",
    "Notes",
)
WIDTHS = (22, 30, 30, 32, 28, 14, 16, 14, 16, 26, 14, 30, 34, 14, 50)
DATE_FORMAT = "m/d/yyyy"
TRACKER_PART = "xl/worksheets/sheet1.xml"  # openpyxl writes the first worksheet here
DATETIME_FORMAT = "m/d/yyyy h:mm"

Value = str | date | datetime | None


class MaxFormula:
    """Marker for a Last contact cell holding ``=MAX(<Date Contacted>,<Interview Date>)``."""


LAST_CONTACT_FORMULA = MaxFormula()


@dataclass(frozen=True)
class Contact:
    """One tracker row, column by column (see HEADERS)."""

    name: str
    organization: str = ""
    position: str = ""
    email: str = ""
    how: str = ""
    contacted: Value = None
    response: Value = None
    follow_up: Value = None
    interview: Value = None
    platform: str = ""
    thank_you: Value = None
    referrals: str = ""
    promised: str = ""
    last_contact: Value | MaxFormula = None
    notes: str = ""


def ago(days: int) -> date:
    """The date ``days`` calendar days before AS_OF."""
    return AS_OF - timedelta(days=days)


def ahead(days: int) -> date:
    """The date ``days`` calendar days after AS_OF."""
    return AS_OF + timedelta(days=days)


# A row is a Contact, a section title (str), or None for a blank row. Row numbers in the
# comments are what the user sees; the README lists the same numbers.
ROWS: tuple[Contact | str | None, ...] = (
    # row 5: the template's example row, left in place as people do
    Contact(
        "Example: Jane Doe (delete me)",
        "Acme Biotech",
        "Senior Scientist",
        "jane.doe@example.com",
        "Former labmate",
        date(2025, 9, 2),
        "Y",
        None,
        date(2025, 9, 10),
        "Zoom",
        "Y",
        "John Smith (Acme)",
        "Send paper",
        date(2025, 9, 10),
        "Example row: fill in your own below",
    ),
    # row 6: interview tomorrow at 10:30 (prep + confirm today)
    Contact(
        "Zoë Müller",
        "Helixbright Therapeutics",
        "Senior Scientist, Protein Engineering",
        "zoe.mueller@helixbright.example",
        "Alum of my lab (left 2019)",
        date(2026, 3, 2),
        date(2026, 3, 3),
        None,
        datetime(2026, 3, 17, 10, 30),
        "Zoom (link in calendar invite)",
        notes="Ask how she chose industry R&D over a second postdoc",
    ),
    # row 7: cold email 4 business days ago, typed as text, no reply (3B)
    Contact(
        "Elena Petrova",
        "Sierra Ridge National Laboratory",
        "Staff Scientist, Bioenergy",
        "e.petrova@srnl.example",
        "Cold email after her ASM Microbe talk",
        "3/10/2026",
    ),
    # row 8: interview in 2 days, no place/platform yet
    Contact(
        "Łukasz Nowak",
        "Cobalt Bay Biologics",
        "Associate Director, Process Development",
        "lukasz.nowak@cobaltbay.example",
        "Referred by Rahul Mehta",
        date(2026, 3, 4),
        "Y",
        None,
        ahead(2),
        notes="He said he'd send a room or a link, whichever is easier",
    ),
    # row 9: interview in 3 days, in person
    Contact(
        "Aiyana Redcloud",
        "Meridian Strategy Partners",
        "Consultant, Life Sciences practice",
        "aredcloud@meridiansp.example",
        "PhD alum (found via the alumni network)",
        date(2026, 3, 5),
        "yes",
        None,
        ahead(3),
        "Coffee, Blue Heron Café (Oakland)",
    ),
    # row 10: interview yesterday, no thank-you yet
    Contact(
        "Nguyễn Thị Lan",
        "Bayview University Office of Technology Licensing",
        "Licensing Associate",
        "lan.nguyen@bayview.example",
        "Met at the tech-transfer career panel",
        date(2026, 2, 23),
        date(2026, 2, 25),
        None,
        ago(1),
        "Phone",
        None,
        "Dr. Minh Tran (founder, spin-out)",
    ),
    # row 11: interview 2 days ago, thank-you marked N
    Contact(
        "Kwame Mensah",
        "Tidewater Science Media",
        "Senior Editor",
        "kwame@tidewater.example",
        "Friend of a friend (Ama)",
        date(2026, 2, 26),
        "Y",
        None,
        ago(2),
        "Google Meet",
        "N",
        "Laura Chen, freelance writer",
    ),
    # row 12: interview 5 days ago, thank-you blank (overdue)
    Contact(
        "Hiroshi Tanaka",
        "Quillfeather Patent Group LLP",
        "Patent Agent (biotech)",
        "h.tanaka@quillfeather.example",
        "Former postdoc in our department",
        date(2026, 2, 20),
        date(2026, 2, 23),
        None,
        ago(5),
        "Zoom",
        None,
        "Grace Oduya (technical specialist)",
        notes='Said the patent bar is "very doable, if you study for ~3 months"; '
        "the firm hires technical specialists, then trains them",
    ),
    # row 13: LinkedIn message 9 business days ago, Response N, no follow-up (7B)
    Contact(
        "Sofía Hernández",
        "Northgate Genomics",
        "Field Application Scientist",
        "sofia.hernandez@northgate.example",
        "LinkedIn (cold)",
        date(2026, 3, 3),
        "N",
    ),
    None,  # row 14
    # row 15: no reply, but the follow-up went out 4 business days ago
    Contact(
        "Priya Raghunathan",
        "Verdant Ag Biosciences",
        "Scientist II, Plant Genomics",
        "priya.r@verdantag.example",
        "Same undergrad program",
        date(2026, 2, 27),
        None,
        date(2026, 3, 10),
    ),
    # row 16: reply dated a month before the first email (day/month typo)
    Contact(
        "Mei-Ling Chen",
        "Helixbright Therapeutics",
        "Program Manager",
        "meiling.chen@helixbright.example",
        "Zoë Müller's colleague",
        date(2026, 3, 2),
        date(2026, 2, 3),
        notes="Replied quickly, will suggest times after their board meeting",
    ),
    # row 17: replied, interview not fixed yet: TBD
    Contact(
        "Oluwaseun Adeyemi",
        "Sierra Ridge National Laboratory",
        "Postdoctoral Researcher",
        "seun.adeyemi@srnl.example",
        "Gordon conference poster session",
        date(2026, 3, 9),
        "Y - after her grant deadline",
        None,
        "TBD",
    ),
    # row 18: last spoke 120 days ago
    Contact(
        "Björn Lindqvist",
        "Meridian Strategy Partners",
        "Engagement Manager",
        "bjorn.lindqvist@meridiansp.example",
        "Case-interview workshop speaker",
        date(2025, 10, 28),
        date(2025, 10, 30),
        None,
        date(2025, 11, 14),
        "Zoom",
        "Y",
        "Anna Berg (recruiting)",
        "",
        ago(120),
        "Sent him the consulting-club article on 11/16",
    ),
    # row 19: interview and thank-you done, no referrals recorded
    Contact(
        "Fatima Al-Sayed",
        "Cobalt Bay Biologics",
        "Regulatory Affairs Specialist",
        "fatima.alsayed@cobaltbay.example",
        "Women in Bio mixer",
        date(2026, 2, 24),
        "Y",
        None,
        ago(10),
        "Teams",
        ago(10),
        "",
        "",
        LAST_CONTACT_FORMULA,
    ),
    # row 20: an impossible date
    Contact(
        "Diego Ortega",
        "Lumenfield Diagnostics",
        "Bioinformatics Lead",
        "diego.ortega@lumenfield.example",
        "My PI's former student",
        "31/02/2026",
    ),
    # row 21: done and thanked, but a promise is still open
    Contact(
        "Sean O'Brien",
        "Quillfeather Patent Group LLP",
        "Technical Specialist",
        "sobrien@quillfeather.example",
        "Grad career fair",
        date(2026, 2, 9),
        date(2026, 2, 10),
        None,
        date(2026, 2, 20),
        "Phone",
        date(2026, 2, 20),
        "Rachel Kim; Tom Alvarez (both at QPG)",
        "Send him the spatial transcriptomics review we talked about",
        LAST_CONTACT_FORMULA,
    ),
    # row 22: replied, wants to meet later; a note full of commas and quotes
    Contact(
        "Chloé Dubois",
        "Greenlake Institute for Science Policy",
        "Science Policy Fellow",
        "chloe.dubois@greenlake.example",
        "AAAS session, asked a question after her talk",
        date(2026, 3, 6),
        date(2026, 3, 12),
        notes='Replied: "happy to chat, but not until April"; prefers email, not LinkedIn, '
        'and asked me to "keep it to 20 min, max"',
    ),
    None,  # row 23
    "Peers List",  # row 24
    # row 25: all done, recent
    Contact(
        "Rahul Mehta",
        "Cobalt Bay Biologics",
        "Scientist I",
        "rahul.mehta@cobaltbay.example",
        "Labmate, graduated 2024",
        date(2026, 1, 20),
        "Y",
        None,
        date(2026, 1, 30),
        "Lunch on their campus",
        "Y",
        "Łukasz Nowak",
        "",
        date(2026, 2, 25),
    ),
    # row 26: the same person as row 15 (same email), added again from another list
    Contact(
        "Priya R.",
        "Verdant Ag",
        "",
        "priya.r@verdantag.example",
        "Peer mentoring program",
        notes="met at peer mentoring, ask about ag-biotech",
    ),
    # row 27: written to last Friday; the note starts with "=" and must stay text
    Contact(
        "Jae-won Park",
        "Lumenfield Diagnostics",
        "Data Scientist",
        "jaewon.park@lumenfield.example",
        "Grad school cohort friend",
        date(2026, 3, 13),
        notes="=same team as Diego, see his row",
    ),
    # row 28: all done, last contact by formula
    Contact(
        "Siobhán Kelly",
        "Tidewater Science Media",
        "Staff Writer",
        "siobhan.kelly@tidewater.example",
        "Science-writing workshop",
        date(2026, 2, 2),
        date(2026, 2, 3),
        None,
        date(2026, 2, 11),
        "Zoom",
        date(2026, 2, 11),
        "Kwame Mensah",
        "",
        LAST_CONTACT_FORMULA,
    ),
    # row 29: written to today (a referral from row 10's circle)
    Contact(
        "Amara Okafor",
        "Bayview University Office of Technology Licensing",
        "Technology Manager",
        "amara.okafor@bayview.example",
        "Lan's colleague",
        AS_OF,
    ),
    # row 30: replied with a status word: declined for now
    Contact(
        "Ana Lucía Ferreira",
        "Northgate Genomics",
        "Senior Product Manager",
        "analucia.ferreira@northgate.example",
        "Former TA in my department",
        date(2026, 2, 16),
        "declined (on leave until June)",
    ),
    # row 31: all done
    Contact(
        "Ingrid Haugen",
        "Sierra Ridge National Laboratory",
        "Group Leader, Imaging",
        "ingrid.haugen@srnl.example",
        "Seminar speaker in our department",
        date(2026, 2, 10),
        date(2026, 2, 11),
        None,
        date(2026, 2, 25),
        "Phone (she is on Mountain time)",
        "Yes",
        "Oluwaseun Adeyemi",
        "",
        date(2026, 2, 26),
    ),
    # row 32: interview in 4 days: just outside the prep window
    Contact(
        "Marcus Webb",
        "Meridian Strategy Partners",
        "Associate",
        "mwebb@meridiansp.example",
        "Consulting club alum",
        date(2026, 3, 11),
        date(2026, 3, 12),
        None,
        ahead(4),
        "Zoom",
    ),
    # row 33: written to 2 business days ago
    Contact(
        "Leilani Kahale",
        "Greenlake Institute for Science Policy",
        "Program Officer",
        "leilani.kahale@greenlake.example",
        "Chloé Dubois suggested her",
        date(2026, 3, 12),
    ),
)


def build_example(path: Path) -> None:
    """Write the example tracker to ``path`` (overwriting it)."""
    workbook = Workbook()
    workbook.properties.creator = "sheetsync examples"
    workbook.properties.created = datetime(2026, 1, 5, 9, 0)
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    cached = _fill_tracker(sheet)
    _fill_questions(workbook.create_sheet("Question ideas"))
    _fill_checklist(workbook.create_sheet("Checklist"))
    workbook.save(path)
    _store_cached_values(path, cached)


def _fill_tracker(ws: Worksheet) -> dict[str, float]:
    """Fill the tracker tab; return the cached value of each formula cell by coordinate."""
    ws.title = SHEET
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = INSTRUCTION
    ws["A2"].font = Font(italic=True)
    fill = PatternFill(fill_type="solid", start_color="D9E1F2", end_color="D9E1F2")
    for column, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = ws.cell(row=HEADER_ROW, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = f"B{HEADER_ROW + 1}"
    cached: dict[str, float] = {}
    for row, entry in enumerate(ROWS, start=HEADER_ROW + 1):
        if isinstance(entry, Contact):
            cached.update(_write_contact(ws, row, entry))
        elif isinstance(entry, str):
            ws.cell(row=row, column=1, value=entry).font = Font(bold=True, size=12)
    return cached


def _write_contact(ws: Worksheet, row: int, contact: Contact) -> dict[str, float]:
    """Write one contact row; return the cached value of its formula cell, if any."""
    values = (
        contact.name,
        contact.organization,
        contact.position,
        contact.email,
        contact.how,
        contact.contacted,
        contact.response,
        contact.follow_up,
        contact.interview,
        contact.platform,
        contact.thank_you,
        contact.referrals,
        contact.promised,
        contact.last_contact,
        contact.notes,
    )
    cached: dict[str, float] = {}
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column)
        if isinstance(value, MaxFormula):
            cell.value = f"=MAX(F{row},I{row})"
            cell.number_format = DATE_FORMAT
            cached[cell.coordinate] = _max_serial(contact.contacted, contact.interview)
        elif isinstance(value, datetime):
            cell.value = value
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = DATE_FORMAT
        elif isinstance(value, str) and value:
            cell.value = value
            if value.startswith("="):
                # Typed text, not a formula: keep it a string and mark it the way Excel
                # marks text entered with a leading apostrophe.
                cell.data_type = "s"
                cell.quotePrefix = True
    return cached


def _max_serial(*values: Value) -> float:
    """What Excel would cache for ``=MAX(...)`` over the date cells among ``values``."""
    serials = [float(to_excel(v)) for v in values if isinstance(v, date)]
    return max(serials, default=0.0)


def _store_cached_values(path: Path, cached: dict[str, float]) -> None:
    """Put cached results into the formula cells, as Excel does when it saves.

    openpyxl writes formulas without a result, so a reader that does not recalculate
    (sheetsync included) would see them empty; a file saved by Excel has the result.
    """
    if not cached:
        return
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename == TRACKER_PART:
                data = _patch_formulas(data.decode("utf-8"), cached).encode("utf-8")
            archive.writestr(info, data)


def _patch_formulas(xml: str, cached: dict[str, float]) -> str:
    """Fill the empty ``<v>`` after each formula in ``cached`` with its value."""
    for coordinate, value in cached.items():
        pattern = re.compile(
            rf'(<c r="{coordinate}"[^>]*>\s*<f>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?(\s*</c>)'
        )
        xml, count = pattern.subn(rf"\g<1><v>{value:.15g}</v>\g<2>", xml)
        if count != 1:
            raise RuntimeError(f"could not store the cached value of {coordinate}")
    return xml


QUESTION_IDEAS: tuple[tuple[str, str, int | str | None], ...] = (
    ("Trends", "Where do you see this area heading in the next few years?", 1),
    ("Trends", "What kinds of roles are being created that didn't exist five years ago?", 2),
    ("Insights", "What does a normal week look like for you?", 1),
    ("Insights", "What was the biggest adjustment when you left the lab?", 1),
    ("Insights", "What do you wish you'd known before taking this job?", 2),
    ("advice", "If you were me, what would you do in the next 6 months?", 1),
    ("advice", "Which skills should I pick up before I finish?", "high"),
    ("Resources", "Which groups, newsletters or events do you find worth the time?", 2),
    ("Next steps", "Who else would be good to talk to?", 1),
    ("Next steps", "Could I mention that you suggested I contact them?", None),
)


def _fill_questions(ws: Worksheet) -> None:
    """A hand-made question list: mixed-case categories, one word priority, one blank."""
    ws.append(["Category", "Question", "Priority"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for category, question, priority in QUESTION_IDEAS:
        ws.append([category, question, priority])
    for letter, width in (("A", 14), ("B", 80), ("C", 10)):
        ws.column_dimensions[letter].width = width


CHECKLIST_LINES = (
    "BEFORE",
    "☐ Look them up (LinkedIn, papers) and read about the company",
    "☐ 2–3 sentences about me + my project, linked to what they do",
    "☐ Top 5 questions, most important first",
    "☐ Day before: confirm time (time zone!) and the link / address",
    "DURING",
    "☐ Thank them, do my intro, watch the clock (30 min)",
    "☐ No asking for jobs!",
    "☐ Ask who else I should talk to",
    "AFTER",
    "☐ Write up notes the same day",
    "☐ Thank-you email within 24h + LinkedIn request",
    "☐ Do whatever I promised; add referrals as new rows",
)


def _fill_checklist(ws: Worksheet) -> None:
    """A few lines of checklist text, the way people keep them."""
    for row, line in enumerate(CHECKLIST_LINES, start=1):
        cell = ws.cell(row=row, column=1, value=line)
        if not line.startswith("☐"):
            cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 70


def main(argv: list[str]) -> int:
    """Build the example at the path given, or next to this script."""
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "tracker.xlsx"
    build_example(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
