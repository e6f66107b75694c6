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

What to run and when (the ``[run]`` settings, :class:`~sheetsync.scheduler.RunSpec`) is
:mod:`sheetsync.scheduler`; when a slot is due is :mod:`sheetsync.slots`; the state file and
the single-instance lock are :mod:`sheetsync.run_state`.

The library never prints: it logs to ``logging.getLogger("sheetsync")`` and hands each run's
:class:`~sheetsync.scheduler.RunReport` to a callback, which the CLI renders.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import schedule

from sheetsync import api, calendar, digest, files
from sheetsync.config import Settings
from sheetsync.digest import Digest, SourceRun
from sheetsync.errors import SheetsyncError
from sheetsync.models import SyncResult
from sheetsync.run_state import load_state, save_state
from sheetsync.scheduler import RunReport, RunSpec, describe_error, is_transient
from sheetsync.slots import due_slot

log = logging.getLogger("sheetsync")

_T = TypeVar("_T")


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
        self.protected = files.protected_for(settings, *spec.sources)
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
                return api.sync(source, today=today, settings=self.settings)
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
