"""The whole export for the CLI and the library: read and check each source, name the
student, build the report and write the workbook (:func:`export`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sheetsync.advisor.book import check_output
from sheetsync.advisor.cohort import SourceFailure, cohort_report
from sheetsync.advisor.cohort_sheets import write_cohort
from sheetsync.advisor.config import ExportConfig
from sheetsync.advisor.redaction import Redaction
from sheetsync.advisor.report import StudentReport, student_report
from sheetsync.advisor.student_sheets import write_student
from sheetsync.advisor.values import display_source
from sheetsync.config import Settings
from sheetsync.errors import ConfigError, SheetsyncError
from sheetsync.pipeline import Checked

log = logging.getLogger("sheetsync")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote, and which sources failed (cohort only)."""

    output: Path
    students: tuple[str, ...]
    failures: tuple[SourceFailure, ...] = ()
    actions: int = 0


def student_name(
    source: str, config: ExportConfig, given: str | None = None, title: str | None = None
) -> str:
    """``--student``, else ``[export] students`` for this source, else ``student``, else the
    tracker's own ``title`` (see :func:`tracker_title`), else the file's name (with its
    extension: a bare stem such as "tracker" reads like a person) or the Google sheet id."""
    if given:
        return given
    for key in (source, display_source(source)):
        if key in config.students:
            return config.students[key]
    if config.student:
        return config.student
    if title:
        return title
    return display_source(source).removeprefix("gsheet:")


TITLE_LIMIT = 80  # a longer "title" is a paragraph of instructions, not a name


def tracker_title(checked: Checked) -> str | None:
    """The tracker's own title: the workbook's title property, else the first text above the
    header row of the contacts tab (row 1's "Jane's networking tracker"); None when neither."""
    titled = _title_property(checked.source)
    if titled:
        return titled
    tab = checked.tab
    for row in range(1, checked.layout.header_row):
        for value in tab.rows[row - 1] if row <= len(tab.rows) else ():
            text = value.strip() if isinstance(value, str) else ""
            if text:
                return text if len(text) <= TITLE_LIMIT else None
    return None


def _title_property(source: str) -> str | None:
    """``dc:title`` from an .xlsx file's core properties (File > Properties > Title)."""
    if not source.lower().endswith((".xlsx", ".xlsm")):
        return None
    try:
        with zipfile.ZipFile(source) as z:
            core = z.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    found = re.search(rb"<dc:title>([^<]{1,200})</dc:title>", core)
    text = html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""
    return text or None


def redaction_for(settings: Settings, redact: bool | None) -> Redaction | None:
    """The redaction to apply: ``--redact``/``--no-redact``, else ``[export] redact``."""
    config: ExportConfig = settings.section("export")
    wanted = config.redact if redact is None else redact
    return Redaction.from_config(config) if wanted else None


def stale_days_of(settings: Settings) -> int:
    """The stale-contact check's days, as configured (90 by default)."""
    days = settings.rule_params.get("stale-contact", {}).get("days", 90)
    return int(days)


Checker = Callable[[str], Checked]


def report_for(
    source: str,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None,
    redact: bool | None,
    student: str | None = None,
    checker: Checker | None = None,
    summary: bool = False,
) -> StudentReport:
    """Read and check one source, and build its report (``summary``: a cohort line)."""
    from sheetsync import pipeline

    def default_checker(src: str) -> Checked:
        return pipeline.check(pipeline.open_backend(src, settings), settings, today)

    checked = (checker or default_checker)(source)
    title = tracker_title(checked)
    return student_report(
        checked,
        student=student_name(source, settings.section("export"), student, title),
        since=since,
        redaction=redaction_for(settings, redact),
        stale_days=stale_days_of(settings),
        summary=summary,
    )


def export(
    sources: Sequence[str],
    output: Path,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None = None,
    redact: bool | None = None,
    student: str | None = None,
    cohort: bool = False,
) -> ExportResult:
    """Export one tracker (or, with ``cohort``, several) to ``output``."""
    if since is not None and since > today:
        raise ConfigError(f"--since {since} is after the as-of date {today}: pick an earlier day.")
    check_output(output, sources, settings.path)
    if not cohort:
        if len(sources) != 1:
            raise ConfigError("Export one tracker at a time, or pass --cohort for several.")
        report = report_for(
            sources[0], settings, today, since=since, redact=redact, student=student
        )
        write_student(report, output, sources)
        return ExportResult(output, (report.student,), (), report.open_actions)
    return _export_cohort(sources, output, settings, today, since=since, redact=redact)


def _export_cohort(
    sources: Sequence[str],
    output: Path,
    settings: Settings,
    today: dt.date,
    *,
    since: dt.date | None,
    redact: bool | None,
) -> ExportResult:
    config: ExportConfig = settings.section("export")
    from sheetsync import cohort  # the pool is only needed here

    outcomes = _distinct_names(
        cohort.read_all(sources, settings, today, since=since, redact=redact)
    )
    report = cohort_report(outcomes, today, since, config.quiet_days)
    if report.rows:
        write_cohort(report, output, sources)
    names = tuple(r.report.student for r in report.rows)
    return ExportResult(
        output, names, report.failures, sum(r.report.open_actions for r in report.rows)
    )


def _distinct_names(
    outcomes: Sequence[StudentReport | SourceFailure],
) -> list[StudentReport | SourceFailure]:
    """Students who share a name (two copies of the same template's title) get their
    source's name after it, then a number, so no two cohort rows read alike."""
    counts = Counter(o.student for o in outcomes)
    seen: set[str] = set()
    out: list[StudentReport | SourceFailure] = []
    for o in outcomes:
        name = o.student if counts[o.student] == 1 else f"{o.student} ({o.source})"
        n = 2
        while name in seen:
            name, n = f"{o.student} ({o.source}, {n})", n + 1
        seen.add(name)
        out.append(o if name == o.student else dataclasses.replace(o, student=name))
    return out


def try_source(
    source: str, settings: Settings, today: dt.date, since: dt.date | None, redact: bool | None
) -> StudentReport | SourceFailure:
    """One cohort member; a failure is recorded, never raised (one bad file must not stop
    the rest of the cohort)."""
    name = student_name(source, settings.section("export"))
    try:
        return report_for(source, settings, today, since=since, redact=redact, summary=True)
    except SheetsyncError as exc:
        log.info("cohort: %s could not be read: %s", source, exc)
        return SourceFailure(name, display_source(source), _no_folders(str(exc), source))
    except Exception as exc:  # a corrupt file can surface as any parser error
        log.info("cohort: %s failed", source, exc_info=True)
        problem = _no_folders(f"{type(exc).__name__}: {exc}", source)
        return SourceFailure(name, display_source(source), problem)


def _no_folders(message: str, source: str) -> str:
    """The message with the source's path shown as its file name, as everywhere in the
    export (an advisor's copy need not show the student's folders)."""
    return message.replace(source, display_source(source))
