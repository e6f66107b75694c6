"""Backups a student can count on: taken before every write of a tracker, listed, restored.

Per tracker, by exact name (``<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>``, matched by a regular
expression built from the escaped name — never a glob); the workbook as it was before the
first sync is kept as ``<stem>.original<suffix>`` until the user deletes it, plus the ``keep``
most recent. Temp files a killed run left in the backup folder are removed after an hour.
A backup is written like every file, through :mod:`sheetsync.swap` (never over anything);
a restore puts the tracker back through :mod:`sheetsync.files`, backing up the current one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sheetsync import files, swap
from sheetsync.errors import OutputRefused, WriteRefused

_STAMP_RE = r"\d{8}-\d{6}-\d{6}"


@dataclass(frozen=True)
class Backup:
    """One backup of a tracker."""

    path: Path
    original: bool  # the workbook as it was before sheetsync first wrote it
    taken: dt.datetime

    @property
    def label(self) -> str:
        """``original`` or the time it was taken."""
        return "original" if self.original else f"{self.taken:%Y-%m-%d %H:%M:%S}"


def backup_dir_for(tracker: Path, backup_dir: Path | None = None) -> Path:
    """``backup_dir`` if given, else ``.sheetsync-backups`` beside the tracker."""
    return backup_dir if backup_dir is not None else tracker.parent / ".sheetsync-backups"


def _backup_re(tracker: Path) -> re.Pattern[str]:
    stem, suffix = re.escape(tracker.stem), re.escape(tracker.suffix)
    return re.compile(rf"^{stem}\.(original|{_STAMP_RE}){suffix}$")


def list_backups(tracker: Path, backup_dir: Path | None = None) -> list[Backup]:
    """The tracker's backups, oldest first (the original first of all)."""
    folder = backup_dir_for(tracker, backup_dir)
    pattern = _backup_re(tracker)
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = pattern.match(name)
        if match is None:
            continue
        path = folder / name
        original = match[1] == "original"
        taken = (
            dt.datetime.fromtimestamp(path.stat().st_mtime)
            if original
            else dt.datetime.strptime(match[1], "%Y%m%d-%H%M%S-%f")
        )
        found.append(Backup(path, original, taken))
    return sorted(found, key=lambda b: (not b.original, b.taken, b.path.name))


def backup(tracker: Path, data: bytes, *, keep: int, backup_dir: Path | None = None) -> Path | None:
    """Keep ``data`` (the tracker as read) as a backup; prune to the original + ``keep``.

    The first backup of a tracker with none is its ``original``: kept until the user deletes
    it. Returns the backup's path (None when ``keep`` is 0)."""
    if keep <= 0:
        return None
    folder = backup_dir_for(tracker, backup_dir)
    existing = list_backups(tracker, backup_dir)
    if not existing:
        name = f"{tracker.stem}.original{tracker.suffix}"
    else:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        name = f"{tracker.stem}.{stamp}{tracker.suffix}"
    dest = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        swap.swap_in(dest, data, expected=None, label=dest)
    except (OSError, WriteRefused) as exc:
        raise WriteRefused(
            f"Could not write a backup to {folder} ({exc}). Nothing was written; the original "
            "is untouched. Free some space or set sync.backup_dir."
        ) from exc
    _prune(tracker, keep, backup_dir)
    _sweep_temps(folder)
    return dest


def _prune(tracker: Path, keep: int, backup_dir: Path | None) -> None:
    dated = [b for b in list_backups(tracker, backup_dir) if not b.original]
    for old in dated[: max(0, len(dated) - keep)]:
        old.path.unlink(missing_ok=True)


def _sweep_temps(folder: Path) -> None:
    """The backup folder is sheetsync's own: any temp file a killed run left there (an hour old
    or more) goes."""
    now = time.time()
    for entry in os.scandir(folder):
        if entry.name.startswith(".") and entry.name.endswith(swap.TEMP_SUFFIX):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > swap.STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                continue


def find_backup(tracker: Path, which: str | None, backup_dir: Path | None = None) -> Backup:
    """The backup named ``which`` (a file name from the list, ``original``, or a path); the most
    recent when None."""
    backups = list_backups(tracker, backup_dir)
    if not backups:
        folder = backup_dir_for(tracker, backup_dir)
        raise OutputRefused(f"{tracker} has no backups in {folder}; nothing to restore.")
    if which is None:
        return max(backups, key=lambda b: (not b.original, b.taken))
    for b in backups:
        if which in (b.path.name, str(b.path)) or (which == "original" and b.original):
            return b
    names = ", ".join(b.path.name for b in backups)
    raise OutputRefused(f"No backup {which!r} of {tracker.name}. Its backups: {names}.")


def restore(
    tracker: Path, chosen: Backup, *, keep: int, backup_dir: Path | None = None
) -> Path | None:
    """Put ``chosen`` back as the tracker; the current file is backed up first (returned)."""
    try:
        current = tracker.read_bytes()
    except FileNotFoundError:
        current = None
    data = chosen.path.read_bytes()
    if current is None:
        files.write_output(tracker, data, files.Kind.NEW)
        return None
    saved = backup(tracker, current, keep=max(keep, 1), backup_dir=backup_dir)
    files.replace_tracker(tracker, data, expected=current)
    return saved
