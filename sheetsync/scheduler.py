"""The ``run`` loop: sync one or more trackers on a schedule, remember what happened, catch up.

``schedule`` drives the loop with a short wake-up job; *which* slot is due is decided here, from
the configured time zone and the last slot served as persisted in a small JSON state file. That
split is deliberate: ``schedule`` keeps no state across restarts, runs a job
missed while the machine slept once, late, with no notion of "missed", needs pytz for time
zones, and lets a job's exception escape ``run_pending``. So this module:

* catches every error **inside** the job, records it for the source, and goes on with the next
  source; transient errors (network, Google 429/5xx, a workbook open in Excel, a file that
  changed under us) are retried with backoff before the next slot;
* serves each slot at most once — a slot that passed while the machine slept is caught up once
  at wake-up, slots that passed while a run was going are covered by that run;
* persists, per source, the last success, its summary and the last error (written atomically),
  and the day the digest was last emailed, so nothing is sent twice for the same day;
* holds a single-instance lock per state file (one per config), so two loops never race;
* stops between two writes, never during one, when ``stop`` is set (SIGTERM/SIGINT).

The library never prints: it logs to ``logging.getLogger("sheetsync")`` and hands each run's
:class:`RunReport` to a callback, which the CLI renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import random
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import filelock
import schedule
from dateutil import tz as dateutil_tz

from sheetsync import calendar, digest, files, pipeline
from sheetsync.config import Settings
from sheetsync.config import resolve_source as resolve_source
from sheetsync.digest import Digest, SourceRun
from sheetsync.errors import AlreadyRunning as AlreadyRunning
from sheetsync.errors import (
    ConfigError,
    OutputRefused,
    SheetsyncError,
)
from sheetsync.models import SyncResult
from sheetsync.schema import Where, beside_config, parse_section, setting, user_path

log = logging.getLogger("sheetsync")

STATE_VERSION = 1
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DAY = dt.timedelta(days=1)
_T = TypeVar("_T")


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
        convert=lambda v, w: float(v),
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


# --------------------------------------------------------------------------- when to run


@dataclass(frozen=True)
class Slots:
    """The instants a run is due: daily at ``at``, or every ``every`` from ``at`` each day."""

    every: dt.timedelta
    at: dt.time
    zone: dt.tzinfo

    @property
    def daily(self) -> bool:
        """True for one run a day."""
        return self.every >= DAY

    def previous(self, now: dt.datetime) -> dt.datetime:
        """The latest slot at or before ``now`` (aware, in the schedule's zone)."""
        local = now.astimezone(self.zone)
        anchor = self._at_on(local.date())
        if anchor > local:
            anchor = self._at_on(local.date() - DAY)
        if self.daily:
            return anchor
        # Elapsed real time, in UTC: same-zone aware subtraction would ignore a DST change.
        elapsed = local.astimezone(dt.UTC) - anchor.astimezone(dt.UTC)
        steps = elapsed // self.every
        return (anchor.astimezone(dt.UTC) + steps * self.every).astimezone(self.zone)

    def next(self, now: dt.datetime) -> dt.datetime:
        """The first slot after ``now``."""
        slot = self.previous(now)
        if self.daily:
            return self._at_on(slot.date() + DAY)
        return (slot.astimezone(dt.UTC) + self.every).astimezone(self.zone)

    def describe(self) -> str:
        """``daily at 08:00 (Europe/Berlin)`` or ``every 30m``."""
        zone = _zone_name(self.zone)
        if self.daily:
            return f"daily at {self.at:%H:%M} ({zone})"
        return f"every {format_every(self.every)} ({zone})"

    def _at_on(self, day: dt.date) -> dt.datetime:
        # Wall-clock time on that day: 08:00 stays 08:00 across DST changes.
        return dt.datetime.combine(day, self.at, tzinfo=self.zone)


def format_every(every: dt.timedelta) -> str:
    """A timedelta in the ``--every`` notation: ``30m``, ``2h``, ``1d``, ``5s``."""
    seconds = int(every.total_seconds())
    for unit in "dhm":
        size = _UNIT_SECONDS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def zone_of(settings: Settings) -> dt.tzinfo:
    """The configured ``timezone``, else the machine's local zone (DST-aware)."""
    if settings.timezone:
        return ZoneInfo(settings.timezone)
    return dateutil_tz.tzlocal()


def _zone_name(zone: dt.tzinfo) -> str:
    return getattr(zone, "key", None) or "local time"


def due_slot(slots: Slots, last_slot: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The slot to serve now, or None. Many missed slots still make one run (the latest)."""
    slot = slots.previous(now)
    if last_slot is not None and slot <= last_slot:
        return None
    return slot


# --------------------------------------------------------------------------- the state file


@dataclass
class SourceState:
    """What the state file remembers about one source."""

    last_success: str | None = None  # ISO timestamps
    last_attempt: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    last_error: dict[str, str] | None = None
    runs: int = 0
    failures: int = 0


@dataclass
class RunState:
    """The state file: survives restarts, read by ``sheetsync status``."""

    runs: int = 0
    last_slot: str | None = None
    last_run_started: str | None = None
    last_run_finished: str | None = None
    catch_ups: int = 0
    last_catch_up: dict[str, str] | None = None
    digest: dict[str, Any] = field(default_factory=dict)
    calendar: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, SourceState] = field(default_factory=dict)
    pid: int | None = None
    schedule: str | None = None
    next_run: str | None = None

    def source(self, name: str) -> SourceState:
        """The entry of a source, created on first use."""
        return self.sources.setdefault(name, SourceState())

    @property
    def last_slot_time(self) -> dt.datetime | None:
        """``last_slot`` as a datetime."""
        return dt.datetime.fromisoformat(self.last_slot) if self.last_slot else None

    def to_json(self) -> dict[str, Any]:
        """The JSON document written to disk (its ``"sheetsync"`` key marks it as ours)."""
        marker, kind = files.STATE_MARKER
        return {marker: kind, "version": STATE_VERSION, **asdict(self)}


def load_state(path: Path) -> RunState:
    """Read the state file; a missing file is a fresh state. A path that is a folder or a file
    that is not a sheetsync state file is refused (:class:`OutputRefused`), never moved aside:
    it may be the user's."""
    if path.is_dir():
        raise OutputRefused(
            f"The state file {path} is a folder. Give a file path, e.g. "
            f"--state-file {path / 'sheetsync.state.json'}."
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return RunState()
    except OSError as exc:
        raise OutputRefused(f"The state file {path} cannot be read ({exc.strerror}).") from exc
    if raw and not files.is_own(files.Kind.STATE, raw):
        raise OutputRefused(
            f"{path} is not a sheetsync state file; sheetsync will neither read nor replace it. "
            "Pick another --state-file (or [run] state_file), or move that file away."
        )
    return _parse_state(path, raw)


def _parse_state(path: Path, raw: bytes) -> RunState:
    if not raw:
        return RunState()
    try:
        data = json.loads(raw)
        sources = {k: SourceState(**v) for k, v in data.pop("sources", {}).items()}
        data.pop("version", None)
        data.pop(files.STATE_MARKER[0], None)
        return RunState(**data, sources=sources)
    except (ValueError, TypeError, AttributeError) as exc:
        raise OutputRefused(
            f"The state file {path} is damaged ({exc}); it was left as it is. Delete it to "
            "start afresh (it only holds the history shown by `sheetsync status`)."
        ) from exc


def save_state(path: Path, state: RunState) -> None:
    """Write the state file atomically; it replaces only a sheetsync state file."""
    text = json.dumps(state.to_json(), indent=2, ensure_ascii=False, sort_keys=True)
    files.write_output(path, (text + "\n").encode("utf-8"), files.Kind.STATE)


def state_path(settings: Settings, given: str | None = None, sources: Sequence[str] = ()) -> Path:
    """``--state-file``, else ``[run] state_file``, else ``<config stem>.state.json`` beside the
    config; without a config, one per set of trackers in the user's state folder
    (platformdirs), never the current folder."""
    chosen = given or settings.section("run").state_file
    if chosen:
        return Path(chosen).expanduser()
    if settings.path is not None:
        return settings.path.with_name(f"{settings.path.stem}.state.json")
    if not sources:
        raise ConfigError(
            "Without a sheetsync.toml the state is kept per tracker: name the tracker "
            "(`sheetsync status tracker.xlsx`), or pass --state-file."
        )
    return files.state_dir() / f"{_state_name(sources)}.state.json"


def _state_name(sources: Sequence[str]) -> str:
    """``tracker-1a2b3c4d5e``: the first tracker's name and a hash of every real path."""
    keys = [s if ":" in s and not Path(s).exists() else str(Path(s).resolve()) for s in sources]
    digest_ = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(sources[0]).stem)[:40] or "tracker"
    return f"{stem}-{digest_}"


def check_outputs(spec: RunSpec, settings: Settings) -> None:
    """Refuse, before anything runs, a state, digest or calendar path that is a tracker, the
    config, a folder, or a file sheetsync did not write (:class:`OutputRefused`, exit 2)."""
    protected = pipeline.protected(settings, *spec.sources)
    files.check_output(spec.state_path, files.Kind.STATE, protected)
    digest_file = settings.section("digest").file
    if settings.section("digest").enabled and digest_file:
        files.check_output(Path(digest_file), files.Kind.DIGEST, protected)
    calendar_file = settings.section("calendar").file
    if calendar_file:
        files.check_output(Path(calendar_file), files.Kind.CALENDAR, protected)


# --------------------------------------------------------------------------- single instance


def lock_path_for(state_path: Path) -> Path:
    """The lock file that keeps one ``run`` per config (per state file)."""
    return state_path.with_name(state_path.name + ".lock")


@contextmanager
def single_instance(state_path: Path) -> Iterator[None]:
    """Hold this config's lock, or raise :class:`AlreadyRunning` naming the holder."""
    lock = filelock.FileLock(lock_path_for(state_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        holder = load_state(state_path).pid
        who = f" (pid {holder})" if holder else ""
        raise AlreadyRunning(
            f"another `sheetsync run` is already running for this config{who}, holding "
            f"{lock.lock_file}. Stop it first, or give this one another config or "
            "[run] state_file."
        ) from None
    try:
        yield
    finally:
        lock.release()


def is_running(state_path: Path) -> bool:
    """True when a ``run`` holds this config's lock right now."""
    lock = filelock.FileLock(lock_path_for(state_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return True
    lock.release()
    return False


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


# --------------------------------------------------------------------------- one run


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


class Runner:
    """Syncs the sources of a :class:`RunSpec`, once or on its schedule, and keeps the state."""

    def __init__(
        self,
        spec: RunSpec,
        settings: Settings,
        *,
        today: dt.date | None = None,
        stop: threading.Event | None = None,
        on_run: Callable[[RunReport], None] | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.fixed_today = today
        self.stop = stop or threading.Event()
        self.on_run = on_run
        self.state = load_state(spec.state_path)
        self.protected = pipeline.protected(settings, *spec.sources)
        self._running = False
        # Calendar events of each source synced in this run, taken from the check its sync
        # made (so the calendar does not read every source a second time).
        self._events: dict[str, list[calendar.DueEvent]] = {}

    # -- the loop -----------------------------------------------------------------------------

    def run_forever(self) -> None:
        """Sync now, then on every slot until ``stop`` is set. Never raises for a job's error."""
        self._begin()
        self.serve(self.spec.slots.previous(self.now()), at_start=True)
        scheduler = schedule.Scheduler()
        scheduler.every(self._tick_seconds()).seconds.do(self.tick)
        while not self.stop.is_set():
            scheduler.run_pending()
            self.stop.wait(min(1.0, max(0.05, scheduler.idle_seconds or 0.05)))
        log.info("stopped")

    def run_once(self) -> RunReport:
        """One run of every source, for cron and systemd timers."""
        self._begin()
        return self.serve(self.spec.slots.previous(self.now()), at_start=True)

    def _begin(self) -> None:
        self.state.pid = os.getpid()
        self.state.schedule = self.spec.slots.describe()
        save_state(self.spec.state_path, self.state)

    def _tick_seconds(self) -> int:
        # Often enough to notice a slot (or a wake-up) promptly, rarely enough to cost nothing.
        return max(1, min(30, int(self.spec.slots.every.total_seconds()) // 4))

    def tick(self) -> None:
        """The ``schedule`` job: serve the due slot, if any. Catches everything (``schedule`` would
        let an error escape ``run_pending`` and stop the loop)."""
        try:
            slot = due_slot(self.spec.slots, self.state.last_slot_time, self.now())
            if slot is None or self.stop.is_set():
                return
            if self._is_late(slot, self.now()) and not self.spec.catch_up:
                log.info("skipping the run due %s: it was missed and catch_up is off", _stamp(slot))
                self.state.last_slot = _stamp(slot)
                save_state(self.spec.state_path, self.state)
                return
            self.serve(slot)
        except Exception:
            log.exception("the scheduled run failed unexpectedly; the loop goes on")

    def _is_late(self, slot: dt.datetime, now: dt.datetime) -> bool:
        """Served well after its time: the machine slept, or the loop was not running."""
        return now - slot > dt.timedelta(seconds=2 * self._tick_seconds() + 5)

    def now(self) -> dt.datetime:
        """The current time in the schedule's zone."""
        return dt.datetime.now(self.spec.slots.zone)

    def today(self) -> dt.date:
        """``--today``, else the date in the configured zone."""
        return self.fixed_today or self.now().date()

    # -- serving a slot -----------------------------------------------------------------------

    def serve(self, slot: dt.datetime, *, at_start: bool = False) -> RunReport:
        """Sync every source for ``slot``, then digest and calendar; record it all."""
        if self._running:  # a run is never started twice (re-entry from a callback)
            raise RuntimeError("a run is already going")
        self._running = True
        try:
            return self._serve(slot, at_start)
        finally:
            self._running = False

    def _serve(self, slot: dt.datetime, at_start: bool) -> RunReport:
        started, today = self.now(), self.today()
        caught_up = self._note_catch_up(slot, started, at_start)
        self.state.last_run_started = _stamp(started)
        self._events = {}
        outcomes = tuple(self._sync_source(s, today) for s in self._sources_until_stopped())
        stopped = len(outcomes) < len(self.spec.sources)
        after = self._after_run(today, outcomes) if not stopped else _After()
        finished = self.now()
        self._finish(slot, finished)
        report = RunReport(
            started=started,
            finished=finished,
            today=today,
            outcomes=outcomes,
            digest=after.digest,
            emailed=after.emailed,
            calendar_file=after.calendar,
            caught_up=caught_up,
            stopped=stopped,
            problems=tuple(after.problems),
        )
        self._report(report)
        return report

    def _sources_until_stopped(self) -> Iterator[str]:
        for source in self.spec.sources:
            if self.stop.is_set():
                log.info("stopping before %s", source)
                return
            yield source

    def _note_catch_up(
        self, slot: dt.datetime, now: dt.datetime, at_start: bool
    ) -> dt.datetime | None:
        """A slot served late (asleep, or not running at the time) is a catch-up: record it."""
        last = self.state.last_slot_time
        if last is None or slot <= last or not (at_start or self._is_late(slot, now)):
            return None
        log.info("catching up the run due %s (missed: machine asleep or not running)", _stamp(slot))
        self.state.catch_ups += 1
        self.state.last_catch_up = {"slot": _stamp(slot), "at": _stamp(now)}
        return slot

    def _finish(self, slot: dt.datetime, finished: dt.datetime) -> None:
        covered = max(slot, self.spec.slots.previous(finished))
        if covered > slot:  # slots that fell due during this run are served by it
            log.info("a run came due while this one was going; it is covered by this run")
        self.state.last_slot = _stamp(covered)
        self.state.last_run_finished = _stamp(finished)
        self.state.next_run = _stamp(self.spec.slots.next(finished))
        self.state.runs += 1
        save_state(self.spec.state_path, self.state)
        log.info("run finished; next run due %s", self.state.next_run)

    def _report(self, report: RunReport) -> None:
        if self.on_run is None:
            return
        try:
            self.on_run(report)
        except Exception:
            log.exception("showing the run's report failed; the loop goes on")

    # -- one source ---------------------------------------------------------------------------

    def _sync_source(self, source: str, today: dt.date) -> SourceRun:
        """Sync one source with retries; record and return its outcome. Never raises."""
        entry = self.state.source(source)
        entry.last_attempt = _stamp(self.now())
        try:
            result = self._with_retries(source, today)
        except Exception as exc:  # isolation: one source's failure never stops the others
            self._record_failure(source, exc)
            save_state(self.spec.state_path, self.state)
            return SourceRun(source, error=describe_error(exc))
        entry.last_success, entry.summary = _stamp(self.now()), summarize(result)
        entry.last_error, entry.runs = None, entry.runs + 1
        save_state(self.spec.state_path, self.state)
        self._keep_events(source, result)
        # The grid and frame of a source are not kept past it: a run may cover hundreds.
        return SourceRun(source, result=replace(result, checked=None))

    def _keep_events(self, source: str, result: SyncResult) -> None:
        """Note the source's calendar events from its sync's check, when a calendar is due."""
        cfg: calendar.CalendarConfig = self.settings.section("calendar")
        if not cfg.file or result.checked is None:
            return
        try:
            self._events[source] = calendar.events_for(result.checked, cfg, self.settings.timezone)
        except Exception:  # the calendar step reads the source again and reports the error
            log.debug("%s: calendar events from the sync's check failed", source, exc_info=True)

    def _with_retries(self, source: str, today: dt.date) -> SyncResult:
        attempt = 0
        while True:
            try:
                backend = pipeline.open_backend(source, self.settings)
                return pipeline.sync(backend, self.settings, today)
            except Exception as exc:
                delay = self._retry_delay(attempt, exc)
                if delay is None:
                    raise
                log.warning("%s: %s — retrying in %.0f s", source, describe_error(exc), delay)
                if self.stop.wait(delay):
                    raise
                attempt += 1

    def _retry_delay(self, attempt: int, exc: BaseException) -> float | None:
        """Seconds to wait before retrying, or None to give up (not transient, or no time)."""
        if not is_transient(exc) or attempt >= self.spec.retries:
            return None
        delay = self.spec.retry_delay * 2**attempt * random.uniform(0.8, 1.2)
        room = (self.spec.slots.next(self.now()) - self.now()).total_seconds() - 1
        return delay if delay < room else None

    def _record_failure(self, source: str, exc: Exception) -> None:
        entry = self.state.source(source)
        entry.failures += 1
        entry.last_error = {
            "at": _stamp(self.now()),
            "type": type(exc).__name__,
            "message": describe_error(exc),
        }
        if isinstance(exc, SheetsyncError):
            log.error("%s: %s", source, describe_error(exc))
        else:  # a bug: keep the traceback for the report
            log.exception("%s: unexpected error", source)

    # -- after the run ------------------------------------------------------------------------

    def _after_run(self, today: dt.date, outcomes: Sequence[SourceRun]) -> _After:
        """Digest and calendar; a failure in either is logged and recorded, never raised."""
        after = _After()
        made = self._guarded("digest", partial(self._deliver_digest, today, outcomes), after)
        if made is not None:
            after.digest, after.emailed = made
        write = partial(self._write_calendar, today, outcomes)
        after.calendar = self._guarded("calendar", write, after)
        return after

    def _guarded(self, part: str, step: Callable[[], _T], after: _After) -> _T | None:
        try:
            return step()
        except Exception as exc:
            record: dict[str, Any] = getattr(self.state, part)
            record["last_error"] = {"at": _stamp(self.now()), "message": describe_error(exc)}
            log.error("%s: %s", part, describe_error(exc), exc_info=_is_bug(exc))
            after.problems.append(f"{part}: {describe_error(exc)}")
            return None

    def _deliver_digest(
        self, today: dt.date, outcomes: Sequence[SourceRun]
    ) -> tuple[Digest | None, bool]:
        cfg: digest.DigestConfig = self.settings.section("digest")
        if not cfg.enabled:
            return None, False
        made = digest.build(today, outcomes, week_days=cfg.week_days)
        if cfg.file:
            digest.write_file(made, Path(cfg.file), cfg.file_format, protected=self.protected)
            self.state.digest["last_file"] = cfg.file
        emailed = self._email_once(made, cfg)
        return made, emailed

    def _email_once(self, made: Digest, cfg: digest.DigestConfig) -> bool:
        """Email the digest unless it already went out for this day."""
        if not cfg.email_to:
            return False
        day = made.today.isoformat()
        if self.state.digest.get("last_email_date") == day:
            log.info("digest for %s already emailed; not sending it again", day)
            return False
        smtp: digest.SmtpConfig = self.settings.section("smtp")
        digest.send_email(made, cfg, smtp)
        self.state.digest["last_email_date"] = day
        self.state.digest.pop("last_error", None)
        save_state(self.spec.state_path, self.state)
        return True

    def _write_calendar(self, today: dt.date, outcomes: Sequence[SourceRun]) -> str | None:
        cfg: calendar.CalendarConfig = self.settings.section("calendar")
        if not cfg.file:
            return None
        synced = [o.source for o in outcomes if o.ok]
        unread = [s for s in synced if s not in self._events]
        events = [e for s in synced if s in self._events for e in self._events[s]]
        events = calendar.unique(
            events + calendar.collect_events(unread, self.settings, today, cfg)
        )
        calendar.write_calendar(
            Path(cfg.file), events, cfg, stamp=self.now(), protected=self.protected
        )
        self.state.calendar.update(last_written=_stamp(self.now()), events=len(events))
        self.state.calendar.pop("last_error", None)
        return cfg.file


@dataclass
class _After:
    digest: Digest | None = None
    emailed: bool = False
    calendar: str | None = None
    problems: list[str] = field(default_factory=list)


def summarize(result: SyncResult) -> dict[str, Any]:
    """The summary of a sync kept in the state file."""
    return {
        "worksheet": result.worksheet,
        "rows": result.rows_read,
        "findings": len(result.findings),
        "by_rule": result.findings_by_rule,
        "cells_changed": len(result.plan.changes),
        "written": result.written,
    }


def _is_bug(exc: BaseException) -> bool:
    return not isinstance(exc, SheetsyncError | OSError)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")
