"""The advisor export: a formatted workbook a career advisor can read in two minutes.

One module a concept, in the order the data flows::

    config.py          the [export] section of sheetsync.toml
    metrics.py         the figures, small pure functions over the typed frame and findings
    redaction.py       what a redacted export keeps, and its placeholders for people
    contacts.py        the Contacts tab's table, cell by cell
    report.py          one student's report (figures, actions, contacts)
    cohort.py          many students' reports folded into one cohort view
    book.py            the xlsxwriter workbook, its formats, and saving it safely
    student_sheets.py  one student's tabs: Summary with charts, Actions, Contacts
    cohort_sheets.py   the cohort tab: one row a student, totals, attention, chart
    about.py           the About tab of both
    run.py             the whole export: read, check, report, write (:func:`export`)

Everything that came from a user is written with ``write_string``: a contact called
``=HYPERLINK(...)`` stays text. Each public name below loads its module on first use, so
reading ``[export]`` from a config loads neither xlsxwriter nor the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sheetsync import lazy

# public name → the module (in this package) that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["DEFAULT_REDACT_FIELDS", "ExportConfig", "parse_config"], "config"),
    **dict.fromkeys(["DEFINITIONS", "Metrics", "compute_metrics"], "metrics"),
    **dict.fromkeys(
        [
            "REDACTION_RULES",
            "Pseudonyms",
            "Redaction",
            "Treat",
            "initials",
            "name_key",
            "scrub",
            "split_names",
        ],
        "redaction",
    ),
    **dict.fromkeys(["ContactTable", "contact_table"], "contacts"),
    **dict.fromkeys(["ActionRow", "StudentReport", "student_report"], "report"),
    **dict.fromkeys(
        ["CohortReport", "CohortRow", "SourceFailure", "cohort_report", "cohort_totals"], "cohort"
    ),
    "check_output": "book",
    "write_student": "student_sheets",
    "write_cohort": "cohort_sheets",
    **dict.fromkeys(
        ["ExportResult", "export", "report_for", "student_name", "tracker_title", "try_source"],
        "run",
    ),
}

__all__ = [
    "DEFAULT_REDACT_FIELDS",
    "DEFINITIONS",
    "REDACTION_RULES",
    "ActionRow",
    "CohortReport",
    "CohortRow",
    "ContactTable",
    "ExportConfig",
    "ExportResult",
    "Metrics",
    "Pseudonyms",
    "Redaction",
    "SourceFailure",
    "StudentReport",
    "Treat",
    "check_output",
    "cohort_report",
    "cohort_totals",
    "compute_metrics",
    "contact_table",
    "export",
    "initials",
    "name_key",
    "parse_config",
    "report_for",
    "scrub",
    "split_names",
    "student_name",
    "student_report",
    "tracker_title",
    "try_source",
    "write_cohort",
    "write_student",
]

if TYPE_CHECKING:
    from sheetsync.advisor.book import check_output
    from sheetsync.advisor.cohort import (
        CohortReport,
        CohortRow,
        SourceFailure,
        cohort_report,
        cohort_totals,
    )
    from sheetsync.advisor.cohort_sheets import write_cohort
    from sheetsync.advisor.config import DEFAULT_REDACT_FIELDS, ExportConfig, parse_config
    from sheetsync.advisor.contacts import ContactTable, contact_table
    from sheetsync.advisor.metrics import DEFINITIONS, Metrics, compute_metrics
    from sheetsync.advisor.redaction import (
        REDACTION_RULES,
        Pseudonyms,
        Redaction,
        Treat,
        initials,
        name_key,
        scrub,
        split_names,
    )
    from sheetsync.advisor.report import ActionRow, StudentReport, student_report
    from sheetsync.advisor.run import (
        ExportResult,
        export,
        report_for,
        student_name,
        tracker_title,
        try_source,
    )
    from sheetsync.advisor.student_sheets import write_student

__getattr__, __dir__ = lazy.exports(
    __name__, globals(), {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()}
)
