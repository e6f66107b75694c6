"""``sheetsync run``: what to sync and when, and what a run reports.

* the ``[run]`` section of sheetsync.toml (:class:`RunConfig`, :func:`parse_config`);
* :func:`make_spec` combines it with the command's options into a :class:`RunSpec` (sources,
  :class:`~sheetsync.slots.Slots`, state file, retries), and :func:`check_outputs` refuses a
  state, digest or calendar path sheetsync may not write before anything runs;
* which errors are worth retrying before the next slot (:func:`is_transient`), how an error is
  shown and stored (:func:`describe_error`), and SIGTERM/SIGINT as a stop request
  (:func:`stop_on_signals`);
* :class:`RunReport`, what one run did.

The loop itself is :class:`sheetsync.runner.Runner`; when a slot is due is
:mod:`sheetsync.slots`; the state file and the single-instance lock are
:mod:`sheetsync.run_state`. This module loads no scheduling, spreadsheet or mail library, so
reading a config with ``[run]`` stays cheap.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sheetsync import files
from sheetsync.config import Settings
from sheetsync.config import resolve_source as resolve_source
from sheetsync.errors import AlreadyRunning as AlreadyRunning
from sheetsync.errors import (
    ConfigError,
    SheetsyncError,
)
from sheetsync.run_state import state_path
from sheetsync.slots import DAY, Slots, zone_of
from sheetsync.slots import UNIT_SECONDS as _UNIT_SECONDS

if TYPE_CHECKING:  # the digest (and its mail code) loads only for a run
    from sheetsync.digest import Digest, SourceRun
from sheetsync.schema import Where, beside_config, parse_section, setting, user_path

log = logging.getLogger("sheetsync")

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------- config [run]


def _time_of_day(value: str, where: Where) -> dt.time:
    try:
        return parse_at(value)
    except ValueError as exc:
        raise ConfigError(f"{where.path}: [run] {exc}") from exc


def _interval(value: str, where: Where) -> dt.timedelta:
    try:
        return parse_every(value)
    except ValueError as exc:
        raise ConfigError(f"{where.path}: [run] {exc}") from exc


def _sources(value: Sequence[str], where: Where) -> tuple[str, ...]:
    for source in value:
        user_path(source, where)  # an unknown ~user is a config error
    return tuple(resolve_source(s, where.path) for s in value)


@dataclass(frozen=True)
class RunConfig:
    """The ``[run]`` section of sheetsync.toml."""

    sources: tuple[str, ...] = setting(
        (),
        list,
        "the trackers `run` and `status` sync, relative to the config",
        items=str,
        nonblank=True,
        shape='be a list of sources, like ["a.xlsx"]',
        convert=_sources,
    )
    at: dt.time = setting(
        dt.time(8, 0),
        str,
        'the daily run time, and the anchor of shorter intervals ("7:30")',
        convert=_time_of_day,
    )
    every: dt.timedelta = setting(
        DAY, str, 'how often to sync: "30m", "2h" or "1d"', convert=_interval
    )
    state_file: str | None = setting(
        None,
        str,
        "where `run` keeps its state (default: <config name>.state.json beside the config)",
        convert=beside_config,
    )
    retries: int = setting(3, int, "retries of a transient error before the next slot", minimum=0)
    retry_delay: float = setting(
        30.0,
        float,
        "seconds before the first retry; doubles each time",
        minimum=0,
    )
    catch_up: bool = setting(True, bool, "run a slot missed while asleep once at wake-up")


def parse_config(table: Mapping[str, Any], path: Path) -> RunConfig:
    """Validate ``[run]``; errors name the file and the key."""
    return parse_section(RunConfig, table, path, "run")


def parse_at(text: str) -> dt.time:
    """``"08:00"`` or ``"7:30"`` → a time of day; raises ValueError naming the fix."""
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not found:
        raise ValueError(f"at = {text!r} is not a time of day: use H:MM or HH:MM, like 7:30.")
    return dt.time(int(found.group(1)), int(found.group(2)))


def parse_every(text: str) -> dt.timedelta:
    """``"30m"``, ``"1h"``, ``"1d"`` (and ``"2s"``, for tests) → a timedelta."""
    match = _EVERY.match(text)
    if not match or int(match[1]) < 1:
        raise ValueError(f"every = {text!r} is not an interval: use 30m, 2h or 1d.")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2].lower()]
    if seconds > DAY.total_seconds():
        raise ValueError(f"every = {text!r}: the longest interval is 1d (daily, at --at).")
    return dt.timedelta(seconds=seconds)


# --------------------------------------------------------------------------- outputs


def check_outputs(spec: RunSpec, settings: Settings) -> None:
    """Refuse, before anything runs, a state, digest or calendar path that is a tracker, the
    config, a folder, or a file sheetsync did not write (:class:`OutputRefused`, exit 2)."""
    protected = files.protected_for(settings, *spec.sources)
    files.check_output(spec.state_path, files.Kind.STATE, protected)
    digest_file = settings.section("digest").file
    if settings.section("digest").enabled and digest_file:
        files.check_output(Path(digest_file), files.Kind.DIGEST, protected)
    calendar_file = settings.section("calendar").file
    if calendar_file:
        files.check_output(Path(calendar_file), files.Kind.CALENDAR, protected)


# --------------------------------------------------------------------------- signals


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT set ``stop`` (a second one interrupts); returns a function to undo it."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()  # no logging here: a handler may run while logging holds its lock

    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in signals}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


# --------------------------------------------------------------------------- errors


def is_transient(exc: BaseException) -> bool:
    """Worth retrying before the next slot: what the error class says (``exc.transient``: a
    locked or moving file, Google 429/5xx/no answer), and a network failure outside sheetsync."""
    if isinstance(exc, SheetsyncError):
        return exc.transient
    return isinstance(exc, ConnectionError | TimeoutError)


def describe_error(exc: BaseException) -> str:
    """The message a user sees for an error (its type when it has no message), as it is logged
    and stored in the state file: key material scrubbed, control characters made visible."""
    from sheetsync.safetext import scrub_secrets, visible_lines

    return visible_lines(scrub_secrets(str(exc))) or type(exc).__name__


# --------------------------------------------------------------------------- what a run is


@dataclass(frozen=True)
class RunSpec:
    """Everything a runner needs: what to sync, when, and where to remember it."""

    sources: tuple[str, ...]
    slots: Slots
    state_path: Path
    retries: int = 3
    retry_delay: float = 30.0
    catch_up: bool = True


@dataclass(frozen=True)
class RunReport:
    """One run: when, each source's outcome, and what happened after (digest, calendar)."""

    started: dt.datetime
    finished: dt.datetime
    today: dt.date
    outcomes: tuple[SourceRun, ...]
    digest: Digest | None = None
    emailed: bool = False
    calendar_file: str | None = None
    caught_up: dt.datetime | None = None
    stopped: bool = False
    problems: tuple[str, ...] = ()  # digest or calendar errors

    @property
    def ok(self) -> bool:
        """True when every source synced and the digest and calendar went out."""
        return all(o.ok for o in self.outcomes) and not self.problems and not self.stopped


def make_spec(
    settings: Settings,
    sources: Sequence[str] = (),
    *,
    at: dt.time | None = None,
    every: dt.timedelta | None = None,
    state_file: str | None = None,
) -> RunSpec:
    """Combine options (which win) with ``[run]`` and the top-level ``source``."""
    cfg: RunConfig = settings.section("run")
    chosen = tuple(sources) or cfg.sources
    if not chosen and settings.source:
        chosen = (resolve_source(settings.source, settings.path),)
    if not chosen:
        raise ConfigError(
            "No tracker to sync: pass one (`sheetsync run tracker.xlsx`), or set `source` or "
            "[run] sources in sheetsync.toml."
        )
    state = state_path(settings, state_file, chosen)
    slots = Slots(every or cfg.every, at or cfg.at, zone_of(settings))
    return RunSpec(chosen, slots, state, cfg.retries, cfg.retry_delay, cfg.catch_up)
