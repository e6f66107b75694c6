"""``sheetsync export``: the advisor workbook (see :mod:`sheetsync.advisor`).

Exit codes: 0 written · 2 usage or config error · 3 nothing could be exported (a single tracker
failed, or every tracker of a cohort did). A cohort export with some unreadable trackers still
exits 0 and lists them, in the workbook and here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from sheetsync.commands import common, parse_date
from sheetsync.config import Settings

EXIT_ERROR = 3


@click.command("export")
@click.argument("sources", nargs=-1)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The workbook to write (.xlsx). Never the tracker itself.",
)
@click.option(
    "--today", callback=parse_date, metavar="YYYY-MM-DD", help="As-of date (default: today)."
)
@click.option(
    "--since",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Cover only people first contacted since.",
)
@click.option(
    "--redact/--no-redact",
    default=None,
    help="Keep the meaning, drop people's words: contacts as initials, others as Person A, B, "
    "…; replies and places as categories; free text, emails, phones and URLs left out.",
)
@click.option("--student", help="The student's name on the Summary tab (default: from config).")
@click.option("--cohort", is_flag=True, help="Several trackers: one summary row per student.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="sheetsync.toml to use (default: $SHEETSYNC_CONFIG, ./sheetsync.toml).",
)
def export_cmd(
    sources: tuple[str, ...],
    output: str,
    today: dt.date | None,
    since: dt.date | None,
    redact: bool | None,
    student: str | None,
    cohort: bool,
    config_path: str | None,
) -> None:
    """Write a formatted workbook for a career advisor: Summary (figures and charts), Actions,
    Contacts and About tabs. The tracker itself is only read.

    \b
    sheetsync export tracker.xlsx -o advisor.xlsx --redact
    sheetsync export a.xlsx gsheet:ID --cohort -o cohort.xlsx
    """
    if len(sources) > 1 and not cohort:
        raise click.UsageError("Several trackers make a cohort export: add --cohort.")
    if student and cohort:
        raise click.UsageError("--student names one student; for a cohort use [export] students.")

    def action() -> int:
        settings = common.settings_for(config_path)
        chosen = list(sources) or [common.source_for(None, settings)]
        return _export(chosen, Path(output), settings, common.today_for(today, settings), since,
                       redact, student, cohort)  # fmt: skip

    common.run_action(action)


def _export(
    sources: list[str],
    output: Path,
    settings: Settings,
    today: dt.date,
    since: dt.date | None,
    redact: bool | None,
    student: str | None,
    cohort: bool,
) -> int:
    from sheetsync import api

    result = api.export(
        sources,
        output,
        today=today,
        since=since,
        redact=redact,
        student=student,
        cohort=cohort,
        settings=settings,
    )
    console, errors = common.console(), common.console(stderr=True)
    for failure in result.failures:
        source, error = common.literal(failure.source), common.literal(failure.error)
        errors.print(f"[yellow]Could not read[/] {source}: {error}")
    if not result.students:
        errors.print("[bold red]Error:[/] no tracker could be read; nothing was written.")
        return EXIT_ERROR
    who = ", ".join(result.students)
    console.print(
        f"[green]Wrote[/] {common.literal(str(output))}: {common.literal(who)} · "
        f"{result.actions} open actions"
        + (f" · {len(result.failures)} source(s) failed" if result.failures else "")
    )
    return 0


COMMANDS = [export_cmd]
