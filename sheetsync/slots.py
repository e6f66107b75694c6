"""When ``sheetsync run`` is due: the slots of a schedule, in the configured time zone.

A schedule is daily at ``at``, or every ``every`` from ``at`` each day (:class:`Slots`);
:func:`due_slot` says which slot to serve now given the last one served, so many missed slots
still make one run. Wall-clock times stay put across DST changes; intervals count real time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import tz as dateutil_tz

from sheetsync.config import Settings

DAY = dt.timedelta(days=1)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}  # the units of ``--every``


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
        size = UNIT_SECONDS[unit]
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
