"""``sheetsync ics``: an iCalendar file of interviews and due follow-ups, written once.

The same calendar ``run`` writes after each run (:mod:`sheetsync.calendar`), for the trackers
named or configured; the file is checked before anything is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sheetsync.commands.scheduling import config_option, guard, today_option
from sheetsync.config import load_settings

if TYPE_CHECKING:  # loaded by the command that runs, not by `sheetsync --help`
    from sheetsync import calendar


@click.command("ics")
@click.argument("sources", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The .ics file to write (default: [calendar] file).",
)
@today_option
@config_option
def ics_cmd(
    sources: tuple[str, ...], output: str | None, today: dt.date | None, config_path: str | None
) -> None:
    """Write an iCalendar file of interviews and due follow-ups (stable UIDs: re-import it)."""
    from sheetsync import calendar, files, scheduler

    def action() -> int:
        settings = load_settings(config_path)
        cfg: calendar.CalendarConfig = settings.section("calendar")
        target = output or cfg.file
        if not target:
            raise click.UsageError(
                "Say where to write it: `sheetsync ics tracker.xlsx -o due.ics`."
            )
        spec = scheduler.make_spec(settings, sources)
        protected = files.protected_for(settings, *spec.sources)
        files.check_output(Path(target), files.Kind.CALENDAR, protected)  # before any reading
        day = today or dt.datetime.now(spec.slots.zone).date()
        events = calendar.collect_events(spec.sources, settings, day, cfg)
        stamp = dt.datetime.now(dt.UTC)
        calendar.write_calendar(Path(target), events, cfg, stamp=stamp, protected=protected)
        kinds = ", ".join(f"{_count(events, k)} {k}" for k in cfg.kinds)
        click.echo(f"Wrote {len(events)} events ({kinds}) to {target}.")
        return 0

    guard(action)


def _count(events: Sequence[calendar.DueEvent], kind: str) -> int:
    return sum(1 for e in events if e.kind == kind)


COMMANDS = [ics_cmd]
