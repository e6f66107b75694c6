"""The library: the functions ``import sheetsync`` gives, and the CLI commands call.

Each takes a source (an .xlsx/.csv/.ods path, a Google Sheets URL or ``gsheet:<id>``) and
keyword-only options; ``settings`` defaults to the config file sheetsync would find
(``$SHEETSYNC_CONFIG``, else ./sheetsync.toml, else the defaults), ``today`` to the date in the
config's time zone. Nothing here prints or exits; errors are
:class:`~sheetsync.errors.SheetsyncError` subclasses whose message says what to do.

Heavy libraries load with the step that needs them: checking an .xlsx never imports gspread,
google-auth, xlsxwriter, Jinja2 or icalendar.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sheetsync.config import Settings
from sheetsync.config import load_settings as _load_settings

if TYPE_CHECKING:
    from sheetsync.advisor import ExportResult
    from sheetsync.grid import Grid
    from sheetsync.models import Plan, SyncResult
    from sheetsync.pipeline import Checked

Source = str | os.PathLike[str]


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """The settings of a ``sheetsync.toml``; with no ``path``, the one sheetsync would find
    (``$SHEETSYNC_CONFIG``, ./sheetsync.toml) or the defaults when there is none.

    Raises :class:`~sheetsync.errors.ConfigError` naming the file and key that are wrong.
    """
    return _load_settings(Path(path) if path is not None else None)


def today_for(settings: Settings) -> dt.date:
    """Today's date where the user is (``timezone`` in the config, else the machine's)."""
    zone = ZoneInfo(settings.timezone) if settings.timezone else None
    return dt.datetime.now(zone).date()


def read(source: Source, *, settings: Settings | None = None) -> Grid:
    """Every tab of a tracker as plain cell values (a :class:`~sheetsync.grid.Grid`), read
    once; writes nothing. Pass it to :func:`check` to judge what was read without reading
    again."""
    from sheetsync import pipeline

    settings = settings if settings is not None else load_settings()
    return pipeline.open_backend(os.fspath(source), settings).read()


def check(
    source: Source | Grid, *, today: dt.date | None = None, settings: Settings | None = None
) -> Checked:
    """Read a tracker (or take a grid :func:`read` gave) and run the checks; writes nothing.

    The result has ``findings`` (most urgent first), ``layout`` (the contacts tab, header row
    and column map: ``columns`` is field → header text), ``tracker`` (the typed rows) and
    ``to_json()`` (the object ``sheetsync check --format json`` prints).
    """
    from sheetsync import pipeline
    from sheetsync.grid import Grid

    settings = settings if settings is not None else load_settings()
    day = today or today_for(settings)
    if isinstance(source, Grid):
        return pipeline.check_grid(source, settings, day)
    return pipeline.check(pipeline.open_backend(os.fspath(source), settings), settings, day)


def sync(
    source: Source,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    output: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
) -> SyncResult:
    """Check a tracker and write its status columns and prep tab back into it.

    Writes only the cells that differ, and only cells sheetsync wrote itself; an empty plan
    writes nothing (the file is not touched). ``dry_run`` stops after the plan. ``output``
    writes the synced workbook there instead of changing an .xlsx source. Raises
    :class:`~sheetsync.errors.MapNotConfirmed` (before anything is written) when a column's
    meaning is in doubt, :class:`~sheetsync.errors.ReadOnlySource` for a .csv/.ods tracker.
    """
    from sheetsync import pipeline

    settings = settings if settings is not None else load_settings()
    day = today or today_for(settings)
    out = os.fspath(output) if output is not None else None
    backend = pipeline.open_backend(os.fspath(source), settings, output=out)
    return pipeline.sync(backend, settings, day, dry_run=dry_run)


def plan(source: Source, *, today: dt.date | None = None, settings: Settings | None = None) -> Plan:
    """The managed cells a sync would change now (a dry run's plan); writes nothing.

    ``plan(...).changes`` lists each :class:`~sheetsync.models.CellChange` (cell, old, new);
    ``plan(...).is_empty`` is true when the sheet is up to date.
    """
    return sync(source, today=today, dry_run=True, settings=settings).plan


def export(
    sources: Source | Sequence[Source],
    output: str | os.PathLike[str],
    *,
    today: dt.date | None = None,
    since: dt.date | None = None,
    redact: bool | None = None,
    student: str | None = None,
    cohort: bool = False,
    settings: Settings | None = None,
) -> ExportResult:
    """Write the advisor workbook (Summary, Actions, Contacts, About) for one tracker, or with
    ``cohort`` one summary row per tracker. The trackers are only read; ``output`` must be a new
    file or sheetsync's own earlier export (:class:`~sheetsync.errors.OutputRefused` otherwise).
    ``redact`` hides third parties' personal details (default: ``[export] redact``).
    """
    from sheetsync.advisor import export as write_export

    settings = settings if settings is not None else load_settings()
    day = today or today_for(settings)
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    return write_export(
        [os.fspath(s) for s in sources],
        Path(output),
        settings,
        day,
        since=since,
        redact=redact,
        student=student,
        cohort=cohort,
    )
