"""An iCalendar file (RFC 5545) of interviews and due follow-ups, for any calendar app.

Every event's UID is derived from the contact's key (email, else name + organisation), the
kind of event and its date — never from the row — so re-importing or re-subscribing updates
events instead of duplicating them, even after the student sorts or reorders the sheet. The
file is written with the ``icalendar`` package, through :mod:`sheetsync.files`: it replaces
only a calendar sheetsync wrote (its ``PRODID`` says so), never a tracker or anything else.
An interview is a timed event when the tracker holds its time — in the interview cell
("2026-03-18 14:00", "Mar 18, 2pm", a date-time cell) or in a column headed "Time" or
"Interview time" — in the configured ``timezone`` (floating local time when none is set);
everything else is an all-day event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from sheetsync import api, files
from sheetsync.config import Settings
from sheetsync.dates import time_of
from sheetsync.schema import beside_config, parse_section, setting

if TYPE_CHECKING:
    import icalendar

    from sheetsync.pipeline import Checked

log = logging.getLogger("sheetsync")

KINDS = ("interview", "follow-up", "thank-you")
FINDING_KINDS = {  # rule id → event kind
    "follow-up-3b": "follow-up",
    "follow-up-7b": "follow-up",
    "thank-you-missing": "thank-you",
}
PRODID = "-//sheetsync//informational interviews//EN"
MEETING = dt.timedelta(minutes=30)  # the length the advice asks for: 30 minutes or less
TIME_HEADER = re.compile(r"^\s*((interview|meeting|start)\s+)?time\s*$", re.I)
UID_DOMAIN = "sheetsync"


@dataclass(frozen=True)
class CalendarConfig:
    """``[calendar]``: where ``run`` writes the calendar, and what goes in it."""

    file: str | None = setting(
        None,
        str,
        "the .ics file `run` writes after each run, beside the config",
        convert=beside_config,
    )
    kinds: tuple[str, ...] = setting(
        ("interview", "follow-up"), list, "the events it holds", items=str, choices=KINDS
    )
    past_days: int = setting(14, int, "interviews this many days back are kept", minimum=0)
    name: str = setting(
        "Informational interviews (sheetsync)", str, "the calendar's name in your app"
    )


def parse_config(table: Mapping[str, Any], path: Path) -> CalendarConfig:
    """Validate ``[calendar]``; errors name the file and the key."""
    return parse_section(CalendarConfig, table, path, "calendar")


@dataclass(frozen=True)
class DueEvent:
    """One event: all-day, or timed when ``start`` is set."""

    uid: str
    kind: str
    day: dt.date
    summary: str
    description: str = ""
    location: str = ""
    start: dt.datetime | None = None  # aware in the configured time zone, else floating


def event_uid(key: str, kind: str, day: dt.date) -> str:
    """A UID that depends only on who, what and when (RFC 5545 §3.8.4.7: globally unique)."""
    digest = hashlib.sha256(f"{key}\x1f{kind}\x1f{day.isoformat()}".encode()).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"


def events_for(
    checked: Checked, cfg: CalendarConfig, timezone: str | None = None
) -> list[DueEvent]:
    """The events of one checked tracker: its interviews and the findings of chosen kinds."""
    events: list[DueEvent] = []
    if "interview" in cfg.kinds:
        since = checked.today - dt.timedelta(days=cfg.past_days)
        events += _interviews(checked, since, ZoneInfo(timezone) if timezone else None)
    events += _from_findings(checked, cfg.kinds)
    return events


def _interviews(checked: Checked, since: dt.date, tz: ZoneInfo | None) -> list[DueEvent]:
    df = checked.tracker.df
    if "interview_date" not in df:
        return []
    when = df["interview_date"].dropna()
    out = []
    for row, stamp in zip(when.index.tolist(), when.tolist(), strict=True):
        day = pd.Timestamp(stamp).date()
        if day >= since:
            out.append(_interview(checked, int(row), day, tz))
    return out


def interview_time(checked: Checked, row: int) -> dt.time | None:
    """The interview's time of day: from its own cell, else from a "Time" column."""
    lay, tab = checked.layout, checked.tab
    cols = [lay.columns["interview_date"]]
    cols += [c for c, h in lay.headers.items()
             if TIME_HEADER.match(h) and c not in lay.columns.values()]  # fmt: skip
    for col in cols:
        found = time_of(tab.cell(row, col))
        if found is not None:
            return found
    return None


def _interview(checked: Checked, row: int, day: dt.date, tz: ZoneInfo | None) -> DueEvent:
    df = checked.tracker.df
    notes = [f.message for f in checked.report.findings if f.row == row]
    clock = interview_time(checked, row)
    return DueEvent(
        start=dt.datetime.combine(day, clock, tzinfo=tz) if clock else None,
        uid=event_uid(_key(df, row), "interview", day),
        kind="interview",
        day=day,
        summary=f"Informational interview: {_who(df, row)}",
        description="\n".join(notes),
        location=_cell(df, row, "platform"),
    )


def _from_findings(checked: Checked, kinds: Sequence[str]) -> list[DueEvent]:
    df = checked.tracker.df
    titles = {"follow-up": "Follow up", "thank-you": "Send a thank-you"}
    out = []
    for f in checked.report.findings:
        kind = FINDING_KINDS.get(f.rule)
        if kind is None or kind not in kinds or f.due is None:
            continue
        out.append(
            DueEvent(
                uid=event_uid(_key(df, f.row), kind, f.due),
                kind=kind,
                day=f.due,
                summary=f"{titles[kind]}: {_who(df, f.row)}",
                description=f.message,
            )
        )
    return out


def _cell(df: pd.DataFrame, row: int, column: str) -> str:
    if column not in df:
        return ""
    value: Any = df.at[row, column]
    return "" if pd.isna(value) else str(value)


def _key(df: pd.DataFrame, row: int) -> str:
    return _cell(df, row, "key") or _cell(df, row, "contact").casefold()


def _who(df: pd.DataFrame, row: int) -> str:
    org = _cell(df, row, "organization")
    name = _cell(df, row, "contact")
    return f"{name} ({org})" if org and org != name else name


def unique(events: Iterable[DueEvent]) -> list[DueEvent]:
    """One event per UID (a contact listed twice gives one event), in date order."""
    seen: dict[str, DueEvent] = {}
    for e in events:
        seen.setdefault(e.uid, e)
    return sorted(seen.values(), key=lambda e: (e.day, e.kind, e.summary, e.uid))


def collect_events(
    sources: Sequence[str], settings: Settings, today: dt.date, cfg: CalendarConfig
) -> list[DueEvent]:
    """Check each source and gather the events of all of them."""
    events: list[DueEvent] = []
    for source in sources:
        checked = api.check(source, today=today, settings=settings)
        events += events_for(checked, cfg, settings.timezone)
    return unique(events)


def build_calendar(
    events: Sequence[DueEvent], cfg: CalendarConfig, *, stamp: dt.datetime
) -> icalendar.Calendar:
    """A VCALENDAR of all-day VEVENTs; ``stamp`` is the DTSTAMP (when the file was made)."""
    import icalendar  # imported here: it costs every other command 0.15 s at startup

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", cfg.name)
    utc = stamp.astimezone(dt.UTC).replace(microsecond=0)
    for e in events:
        cal.add_component(_vevent(e, utc))
    if any(e.start is not None and e.start.tzinfo is not None for e in events):
        cal.add_missing_timezones()  # a VTIMEZONE for each TZID, as RFC 5545 asks
    return cal


def _vevent(e: DueEvent, stamp: dt.datetime) -> icalendar.Event:
    import icalendar

    event = icalendar.Event()
    event.add("uid", e.uid)
    event.add("dtstamp", stamp)
    if e.start is not None:  # a date-time (with TZID when the time zone is known)
        event.add("dtstart", e.start)
        event.add("dtend", e.start + MEETING)
    else:
        event.add("dtstart", e.day)  # a date: an all-day event (VALUE=DATE)
        event.add("dtend", e.day + dt.timedelta(days=1))
    event.add("summary", e.summary)
    event.add("categories", [e.kind])
    event.add("transp", "OPAQUE" if e.start else "TRANSPARENT")  # a meeting blocks its time
    if e.description:
        event.add("description", e.description)
    if e.location:
        event.add("location", e.location)
    return event


def write_calendar(
    path: Path,
    events: Sequence[DueEvent],
    cfg: CalendarConfig,
    *,
    stamp: dt.datetime,
    protected: files.Protected = files.NOTHING,
) -> None:
    """Write the .ics file atomically; it replaces only an earlier sheetsync calendar."""
    data = build_calendar(events, cfg, stamp=stamp).to_ical()
    files.write_output(path, data, files.Kind.CALENDAR, protected=protected)
    log.info("calendar with %d events written to %s", len(events), path)
