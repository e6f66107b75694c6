"""The one module that writes files: every byte sheetsync puts on disk goes through here.

What it promises, for every file (tracker, backups, ``sync -o`` copies, the advisor export,
the calendar, the digest, the run state, a new tracker from ``init``):

* **It never writes over what is not its own.** A write names the *kind* of file it makes
  (:class:`Kind`). It refuses — :class:`~sheetsync.errors.OutputRefused`, saying why and what to
  do — to replace a tracker or config in play (compared by real path *and* by inode, so a
  symlink or a hard link to them is caught), a folder, or any existing file that is not its own
  earlier output of the same kind. Its own output is recognised by what the file says about
  itself (see :func:`is_own`): the calendar's ``PRODID``, the state file's ``"sheetsync"`` key,
  the digest's first line, the export's custom document property ``sheetsync``. A ``sync -o``
  copy carries no marker of its own (it is the user's workbook), so it is recognised by the
  SHA-256 sheetsync recorded when it wrote it (a small ledger in the user's state folder): a
  copy someone edited since is theirs. ``init`` never replaces anything. An empty file holds
  nothing to lose and may be replaced by any output.
* **Links and ownership are kept.** A symlink is followed: the file is replaced where it really
  lives, and the link stays a link. A file with several hard links is refused (a replace by
  rename would split them). The new file gets the old one's mode, and its owner and group where
  the system permits (``os.chown``).
* **The replace is a compare-and-swap** (:mod:`sheetsync.swap`), so another program's save
  is never lost: a file is replaced only while it still holds what sheetsync read.
* **Backups a student can count on** (:mod:`sheetsync.backups`, whose names are importable
  from here too): the workbook before the first sync, plus the ``keep`` most recent.
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from sheetsync import swap
from sheetsync.errors import OutputRefused, WriteRefused

if TYPE_CHECKING:
    from sheetsync.config import Settings

log = logging.getLogger("sheetsync")

STATE_MARKER = ("sheetsync", "run-state")  # key and value in the state JSON
EXPORT_PROPERTY = ("sheetsync", "advisor-export")  # custom document property of the export
CALENDAR_PRODID = b"PRODID:-//sheetsync//"
DIGEST_FIRST_LINES = ("sheetsync digest for ", "# sheetsync digest for ")


class Kind(Enum):
    """What a written file is; decides which existing file it may replace. (The tracker itself
    is replaced only by :func:`replace_tracker`, and only while it holds what was read.)"""

    COPY = "synced copy"  # sync -o
    EXPORT = "advisor export"
    CALENDAR = "calendar"
    DIGEST = "digest"
    STATE = "state file"
    NEW = "new tracker"  # init: never replaces anything
    BACKUP = "backup"  # never replaces anything (names are unique)
    LEDGER = "ledger"  # sheetsync's record of the sync -o copies it wrote
    MAIL_CACHE = "mail cache"  # what the mailbox scans remember (dates and directions only)
    HOLIDAY_CACHE = "holiday cache"  # public holidays of a country (sheetsync.public_holidays)


# The file names a kind may have: a workbook named .csv would open as garbage.
SUFFIXES: dict[Kind, tuple[str, ...]] = {Kind.COPY: (".xlsx", ".xlsm")}

# New files of these kinds are readable by their owner only (0600).
PRIVATE_KINDS = frozenset({Kind.MAIL_CACHE})


# --------------------------------------------------------------------------- what is protected


@dataclass(frozen=True)
class Protected:
    """Files no output may replace: the trackers and the config in play."""

    paths: tuple[Path, ...] = ()

    @classmethod
    def of(cls, sources: Iterable[str] = (), config: Path | None = None) -> Protected:
        """Protect every local source (Google Sheets URLs are skipped) and the config file."""
        paths = [Path(s).expanduser() for s in sources if s and not _is_remote(s)]
        if config is not None:
            paths.append(config)
        return cls(tuple(paths))

    def plus(self, more: Iterable[str]) -> Protected:
        """These paths and ``more``."""
        return Protected(self.paths + Protected.of(more).paths)

    def which(self, target: Path) -> Path | None:
        """The protected path ``target`` is (same real path, or same inode), or None."""
        real = _real(target)
        for path in self.paths:
            if _real(path) == real or _same_inode(path, target):
                return path
        return None


NOTHING = Protected()  # no tracker or config in play (the content checks still apply)


def _is_remote(source: str) -> bool:
    return source.startswith(("gsheet:", "http://", "https://"))


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def _same_inode(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


# --------------------------------------------------------------------------- own output


def is_own(kind: Kind, data: bytes) -> bool:
    """True when ``data`` is sheetsync's own earlier output of this ``kind``."""
    if kind is Kind.CALENDAR:
        return data.startswith(b"BEGIN:VCALENDAR") and CALENDAR_PRODID in data[:4096]
    if kind is Kind.DIGEST:
        head = data[:64].decode("utf-8", "replace")
        return head.startswith(DIGEST_FIRST_LINES)
    if kind in (Kind.STATE, Kind.LEDGER, Kind.MAIL_CACHE, Kind.HOLIDAY_CACHE):
        return _is_state(data, kind)
    if kind is Kind.EXPORT:
        return _is_export(data)
    return False


def _is_state(data: bytes, kind: Kind) -> bool:
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    if not isinstance(doc, dict):
        return False
    if kind is Kind.LEDGER:
        return doc.get("sheetsync") == "outputs"
    if kind is Kind.MAIL_CACHE:
        return doc.get("sheetsync") == "mail-cache"
    if kind is Kind.HOLIDAY_CACHE:
        return doc.get("sheetsync") == "holiday-cache"
    if doc.get(STATE_MARKER[0]) == STATE_MARKER[1]:
        return True
    # State files written before the marker existed: version 1 with runs and sources.
    return doc.get("version") == 1 and isinstance(doc.get("sources"), dict) and "runs" in doc


def _is_export(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "docProps/custom.xml" in names:
                custom = package.read("docProps/custom.xml")
                name, value = EXPORT_PROPERTY
                if f'name="{name}"'.encode() in custom and value.encode() in custom:
                    return True
            # Exports made before the property existed: xlsxwriter, author "sheetsync".
            core = package.read("docProps/core.xml") if "docProps/core.xml" in names else b""
            return b"<dc:creator>sheetsync</dc:creator>" in core
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


# --------------------------------------------------------------------------- writing outputs


def write_output(target: Path, data: bytes, kind: Kind, *, protected: Protected = NOTHING) -> Path:
    """Write ``data`` to ``target`` as a file of ``kind``, refusing what is not ours.

    Follows a symlink to the real file; creates missing parent folders (not for ``NEW``).
    Returns the real path written.
    """
    real = _checked_target(target, kind, protected)
    if kind is not Kind.NEW:
        real.parent.mkdir(parents=True, exist_ok=True)
    current = _read_existing(real)
    if current is not None:
        _check_replaceable(target, real, current, kind)
    swap.swap_in(real, data, expected=current, label=target, private=kind in PRIVATE_KINDS)
    if kind is Kind.COPY:
        _remember_copy(real, data)
    return real


def check_output(target: Path, kind: Kind, protected: Protected = NOTHING) -> None:
    """Refuse now (before any work) what :func:`write_output` would refuse later."""
    real = _checked_target(target, kind, protected)
    current = _read_existing(real)
    if current is not None:
        _check_replaceable(target, real, current, kind)


def _checked_target(target: Path, kind: Kind, protected: Protected) -> Path:
    _check_suffix(target, kind)
    hit = protected.which(target)
    if hit is not None:
        what = "the config file" if hit.suffix == ".toml" else "a tracker"
        raise OutputRefused(
            f"{target} is {what} ({hit}); sheetsync never writes its {kind.value} over it. "
            f"Pick another path for the {kind.value}."
        )
    real = _real(target)
    if real.is_dir():
        raise OutputRefused(
            f"{target} is a folder; the {kind.value} is a file. Give a file path inside it, "
            f"e.g. {target / _example_name(kind)}."
        )
    _refuse_hard_links(target, real)
    return real


def _check_suffix(target: Path, kind: Kind) -> None:
    allowed = SUFFIXES.get(kind)
    if allowed and target.suffix.lower() not in allowed:
        names = " or ".join(allowed)
        raise OutputRefused(
            f"{target}: sheetsync writes the {kind.value} as a workbook, which must be named "
            f"{names}, not '{target.suffix or 'no extension'}'. Use e.g. "
            f"{target.with_suffix(allowed[0]).name}."
        )


def _example_name(kind: Kind) -> str:
    return {
        Kind.CALENDAR: "interviews.ics",
        Kind.DIGEST: "digest.md",
        Kind.STATE: "sheetsync.state.json",
    }.get(kind, "output.xlsx")


def _refuse_hard_links(target: Path, real: Path) -> None:
    try:
        links = os.stat(real).st_nlink
    except OSError:
        return
    if links > 1:
        raise OutputRefused(
            f"{target} has {links} hard links. sheetsync replaces a file by renaming a new one "
            "into place, which would split them (the other names would keep the old content). "
            "Replace the extra links with symlinks (ln -sf), or write elsewhere (--output)."
        )


def _read_existing(real: Path) -> bytes | None:
    try:
        return real.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputRefused(
            f"{real} exists but cannot be read ({exc.strerror}); sheetsync will not replace a "
            "file it cannot check. Pick another path."
        ) from exc


def _check_replaceable(target: Path, real: Path, current: bytes, kind: Kind) -> None:
    if kind in (Kind.NEW, Kind.BACKUP):
        raise OutputRefused(
            f"{target} already exists; sheetsync never replaces an existing file here. "
            "Pick another name, or move the file away first."
        )
    if not current or is_own(kind, current):
        return
    if kind is Kind.COPY and _is_remembered_copy(real, current):
        return
    raise OutputRefused(
        f"{target} exists and is not a {kind.value} sheetsync wrote"
        + (" (or it was edited since)" if kind is Kind.COPY else "")
        + "; sheetsync will not replace it. Pick another path, or move the file away first."
    )


# --------------------------------------------------------------------------- lock files


def lock_files(path: Path) -> list[Path]:
    """Lock files Excel (``~$name.xlsx``) or LibreOffice (``.~lock.name.xlsx#``) keep open."""
    candidates = [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]
    if len(path.stem) > 6:  # Excel shortens long names: ~$ replaces the first two characters
        candidates.append(path.with_name(f"~${path.name[2:]}"))
    return [p for p in candidates if p.exists()]


# --------------------------------------------------------------------------- the tracker


def replace_tracker(path: Path, data: bytes, *, expected: bytes) -> None:
    """Replace the tracker at ``path`` (a symlink is followed) with ``data``, if and only if it
    still holds ``expected`` (the bytes read). Raises :class:`SourceChangedError` otherwise,
    leaving the other program's save in place."""
    real = _real(path)
    _refuse_hard_links(path, real)
    swap.swap_in(real, data, expected=expected, label=path)


def update_config(path: Path, data: bytes, *, expected: bytes | None) -> None:
    """Write the user's config at ``path`` — only ``sheetsync map`` does, after showing the map
    and proving the edit keeps every other setting. Like the tracker it is compared and
    swapped: replaced only while it still holds ``expected`` (None: created only if absent)."""
    real = _real(path)
    _refuse_hard_links(path, real)
    swap.swap_in(real, data, expected=expected, label=path)


def check_tracker(path: Path) -> None:
    """Refuse now what :func:`replace_tracker` would refuse (several hard links)."""
    _refuse_hard_links(path, _real(path))


# --------------------------------------------------------------------------- sync -o ledger


def ledger_path() -> Path:
    """Where sheetsync records the ``sync -o`` copies it wrote (path → SHA-256)."""
    return state_dir() / "outputs.json"


def state_dir() -> Path:
    """The user's state folder for sheetsync (platformdirs: ~/.local/state/sheetsync, …)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("sheetsync", appauthor=False))


def _ledger() -> dict[str, str]:
    try:
        doc = json.loads(ledger_path().read_bytes())
    except (OSError, ValueError):
        return {}
    copies = doc.get("copies") if isinstance(doc, dict) else None
    return {str(k): str(v) for k, v in copies.items()} if isinstance(copies, dict) else {}


def _is_remembered_copy(real: Path, current: bytes) -> bool:
    return _ledger().get(str(real)) == swap.sha(current)


def _remember_copy(real: Path, data: bytes) -> None:
    copies = {k: v for k, v in _ledger().items() if Path(k).exists()}
    copies[str(real)] = swap.sha(data)
    doc = {"sheetsync": "outputs", "copies": copies}
    text = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")
    try:
        write_output(ledger_path(), text, Kind.LEDGER)
    except (OSError, WriteRefused) as exc:  # the copy is written; only its memory is lost
        log.warning("could not record the copy %s in %s: %s", real, ledger_path(), exc)


# The backups are their own module; their names stay importable from here.
def protected_for(settings: Settings, *sources: str) -> Protected:
    """Files no output may replace: ``sources``, the config's trackers and the config itself."""
    from sheetsync.config import resolve_source

    named = list(sources)
    if "run" in settings.sections:  # the run loop's module loads only for a config with [run]
        named += settings.section("run").sources
    if settings.source:
        named.append(resolve_source(settings.source, settings.path))
    return Protected.of(named, settings.path)


from sheetsync.backups import Backup as Backup  # noqa: E402
from sheetsync.backups import backup as backup  # noqa: E402
from sheetsync.backups import backup_dir_for as backup_dir_for  # noqa: E402
from sheetsync.backups import find_backup as find_backup  # noqa: E402
from sheetsync.backups import list_backups as list_backups  # noqa: E402
from sheetsync.backups import restore as restore  # noqa: E402
