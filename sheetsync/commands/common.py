"""What every command shares: the console, exit codes, error reporting, the tracker options.

A command module (``sheetsync.commands.*``, and :mod:`sheetsync.cli` itself) builds on these:
:func:`run_action` runs a command's body and turns its outcome into the exit code — 0 ok · 1
``check`` found something · 2 usage or config error (every error whose ``usage`` is true) · 3
any other :class:`~sheetsync.errors.SheetsyncError` · 130 interrupted — printing errors on
stderr without a traceback; :func:`judged_options` gives a command the options of every
command that judges a tracker, as one :class:`Target`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from sheetsync import api, gcpause, handoff
from sheetsync.commands import parse_date
from sheetsync.config import Settings, load_settings
from sheetsync.errors import SheetsyncError
from sheetsync.safetext import scrub_secrets, visible, visible_lines

EXIT_FINDINGS, EXIT_USAGE, EXIT_ERROR, EXIT_INTERRUPTED = 1, 2, 3, 130


def console(stderr: bool = False) -> Console:
    """A rich console for output (stderr for errors), as wide as the terminal or $COLUMNS."""
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "120"))
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def literal(text: str) -> str:
    """Text from a sheet, a path or a message, printed literally: no rich markup, and
    control characters shown (ESC as ␛), never sent to the terminal raw."""
    return escape(visible(text))


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print an error for the user and exit."""
    shown = escape(visible_lines(scrub_secrets(message)))
    console(stderr=True).print(f"[bold red]Error:[/] {shown}", highlight=False)
    sys.exit(code)


# ---------------------------------------------------------------------- shared options


@dataclass(frozen=True)
class Target:
    """What the shared options say: which tracker, judged how, as of when."""

    source: str | None
    today: dt.date | None
    worksheet: str | None
    header_row: int | None
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    day_first: bool | None
    config_path: str | None
    mail: str | None = None

    def settings(self, loaded: Settings | None = None) -> Settings:
        """The config file's settings (``loaded`` already) with these options laid over them."""
        settings = with_options(
            loaded if loaded is not None else load_settings(self.config_path),
            worksheet=self.worksheet,
            header_row=self.header_row,
            select=self.select,
            ignore=self.ignore,
            day_first=self.day_first,
        )
        if not self.mail:
            return settings
        from sheetsync.mail import config as mail_config  # only for --mail

        return mail_config.with_source(settings, self.mail)

    def resolve(self, *, writing: bool = False) -> tuple[Settings, str, dt.date]:
        """Settings, the source to open and the day to judge by.

        An .xlsx tracker is read as soon as it and the read limits are known, while the checks
        (pandas) load on a second thread, and with ``writing`` the prep tab's modules too; the
        backend takes that read."""
        loaded = load_settings(self.config_path)
        source = source_for(self.source, loaded)
        from sheetsync.backends.xlsx_read import read_early, read_limits

        with checks_loading_meanwhile(PREP if writing else ()):
            read_early(source, read_limits(loaded.max_unzipped_mb, loaded.max_cells))
        settings = self.settings(loaded)
        return settings, source, today_for(self.today, settings)


TARGET_FIELDS = tuple(Target.__dataclass_fields__)


mail_option = click.option(
    "--mail",
    metavar="SOURCE",
    help="Read replies from this mailbox (headers only): imaps://USER@HOST, mbox:PATH or "
    "maildir:PATH (default: [mail] source).",
)


def judged_options(func: Callable[..., None]) -> Callable[..., None]:
    """Options shared by commands that judge a tracker, handed to the command as a Target."""

    @functools.wraps(func)
    def command(**kwargs: Any) -> None:
        target = Target(**{name: kwargs.pop(name) for name in TARGET_FIELDS})
        func(target=target, **kwargs)

    options = [
        click.argument("source", required=False),
        click.option(
            "--today",
            callback=parse_date,
            metavar="YYYY-MM-DD",
            help="Judge dates as of this day (default: today).",
        ),
        click.option("--worksheet", help="The contacts tab (default: found automatically)."),
        click.option(
            "--header-row",
            type=click.IntRange(min=1),
            help="The header's row number (default: found automatically).",
        ),
        click.option("--select", multiple=True, metavar="RULE", help="Run only these rules."),
        click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules."),
        click.option(
            "--day-first/--month-first",
            default=None,
            help="How to read typed dates like 3/10/2026 (default: month first).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="sheetsync.toml to use (default: $SHEETSYNC_CONFIG, ./sheetsync.toml).",
        ),
        mail_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def settings_for(config_path: str | None, **overrides: Any) -> Settings:
    """The config file's settings with command-line options laid over them."""
    return with_options(load_settings(config_path), **overrides)


CHECKS = ("sheetsync.rules", "sheetsync.pipeline")  # pandas and numpy come with them
PREP = ("sheetsync.prep", "sheetsync.backends.xlsx_prep")  # what a sync loads besides (Jinja2)


def _load(modules: Sequence[str]) -> None:
    for name in modules:
        importlib.import_module(name)


@contextlib.contextmanager
def checks_loading_meanwhile(also: Sequence[str] = ()) -> Iterator[None]:
    """Load the checks (:data:`CHECKS`: pandas, numpy), and the modules ``also`` names, on a
    second thread while the ``with`` block runs, the cycle collector paused
    (:func:`gcpause.loading`). If that import fails, :func:`with_options` imports again and
    raises the error in its place."""
    if "sheetsync.rules" in sys.modules:
        yield
        return
    with gcpause.loading(), handoff.helpers_running():
        # Each time the reading thread gets the lock back (after a parse or an inflate) it
        # waits for the loading thread to let go: at the default 5 ms a small tracker's read
        # loses more that way than it gains (30 ms for 200 rows); at 1 ms it does not.
        modules = (*CHECKS, *also)
        loader = threading.Thread(target=_load, args=(modules,), name="sheetsync-load", daemon=True)
        loader.start()
        try:
            yield
        finally:
            loader.join()


def with_options(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with command-line options laid over them (rule ids checked)."""
    # The first time, loading the checks loads pandas and numpy, some 700 modules; without
    # gcpause.loading the cycle collector would walk the objects they make again and again
    # (about 40 ms of a check) and find nothing to free.
    first = "sheetsync.rules" not in sys.modules
    with gcpause.loading() if first else contextlib.nullcontext():
        from sheetsync import rules

    for key in ("select", "ignore"):
        ids = overrides.get(key) or ()
        unknown = [r for r in ids if r not in rules.RULES]
        if unknown:
            raise click.BadParameter(
                f"no rule '{unknown[0]}'; see `sheetsync rules`.", param_hint=f"--{key}"
            )
        overrides[key] = tuple(ids) or None
    return settings.with_overrides(**overrides)


def source_for(source: str | None, settings: Settings) -> str:
    """The tracker to open: the argument, else ``source`` of the config (beside it)."""
    chosen = source or settings.source
    if not chosen:
        raise click.UsageError(
            "Say which tracker: `sheetsync check tracker.xlsx`, or set `source` in sheetsync.toml."
        )
    if settings.path and not source and not Path(chosen).is_absolute() and ":" not in chosen:
        chosen = str(settings.path.parent / chosen)  # relative to the config file
    return chosen


def today_for(given: dt.date | None, settings: Settings) -> dt.date:
    """``--today``, else today in the configured time zone."""
    return given or api.today_for(settings)


def exit_code(exc: SheetsyncError) -> int:
    """2 when the fix is the user's to make (``exc.usage``: config, option, output path, map to
    confirm, read-only source), 3 for any other error."""
    return EXIT_USAGE if exc.usage else EXIT_ERROR


def run_action(action: Callable[[], int]) -> NoReturn:
    """Run a command's body: its return value is the exit code; a SheetsyncError is a message
    on stderr and exit 2 or 3 (:func:`exit_code`); anything unexpected is reported as a bug,
    without a traceback."""
    try:
        code = action()
    except SheetsyncError as exc:
        fail(str(exc), exit_code(exc))
    except KeyboardInterrupt:
        fail("Interrupted.", EXIT_INTERRUPTED)
    except click.ClickException:
        raise  # usage errors: main() prints them and exits 2
    except Exception as exc:
        unexpected(exc)
    sys.exit(code)


def unexpected(exc: Exception) -> NoReturn:
    """A bug: say so plainly; the traceback is for -vv."""
    logging.getLogger("sheetsync").debug("unexpected error", exc_info=True)
    fail(
        f"Unexpected {type(exc).__name__}: {exc}. This is a bug in sheetsync; nothing was "
        "written after it. Run again with -vv for details and please report it."
    )
