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
* **The replace is a compare-and-swap**, so another program's save is never lost. The new bytes
  go to a temp file beside the target (fsynced, mode and owner set); then:

  - Linux: ``renameat2(RENAME_EXCHANGE)`` swaps temp and target atomically; macOS:
    ``renamex_np(RENAME_SWAP)``. What was swapped out is then compared with what was read. If
    another program saved in between, the swap is undone: their version goes back in place,
    and a version saved while undoing is kept as ``<name>.sheetsync-conflict-<time><suffix>``.
  - Elsewhere (or on a file system without the exchange): the target is hashed, re-checked by
    ``stat`` right before ``os.replace`` — a window of microseconds, not a guarantee.
  - A new file is created with ``link()`` (fails if something appeared meanwhile).

* **Backups a student can count on** (:func:`backup`, :func:`list_backups`, :func:`restore`):
  per tracker, by exact name (``<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>``, matched by a regular
  expression built from the escaped name — never a glob); the workbook as it was before the
  first sync is kept as ``<stem>.original<suffix>`` until the user deletes it, plus the ``keep``
  most recent. Temp files a killed run left behind are removed after an hour.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import io
import json
import logging
import os
import platform
import re
import stat
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sheetsync.errors import OutputRefused, SourceChangedError, WriteRefused

log = logging.getLogger("sheetsync")

TEMP_SUFFIX = ".sheetsync-tmp"
STALE_TEMP_SECONDS = 3600.0
STATE_MARKER = ("sheetsync", "run-state")  # key and value in the state JSON
EXPORT_PROPERTY = ("sheetsync", "advisor-export")  # custom document property of the export
CALENDAR_PRODID = b"PRODID:-//sheetsync//"
DIGEST_FIRST_LINES = ("sheetsync digest for ", "# sheetsync digest for ")
_STAMP_RE = r"\d{8}-\d{6}-\d{6}"

# Set to False to use the portable fallback (tests measure both paths).
USE_EXCHANGE = True


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
    _swap_in(real, data, expected=current, label=target, private=kind in PRIVATE_KINDS)
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
    _swap_in(real, data, expected=expected, label=path)


def update_config(path: Path, data: bytes, *, expected: bytes | None) -> None:
    """Write the user's config at ``path`` — only ``sheetsync map`` does, after showing the map
    and proving the edit keeps every other setting. Like the tracker it is compared and
    swapped: replaced only while it still holds ``expected`` (None: created only if absent)."""
    real = _real(path)
    _refuse_hard_links(path, real)
    _swap_in(real, data, expected=expected, label=path)


def check_tracker(path: Path) -> None:
    """Refuse now what :func:`replace_tracker` would refuse (several hard links)."""
    _refuse_hard_links(path, _real(path))


# --------------------------------------------------------------------------- compare-and-swap


def _swap_in(
    real: Path, data: bytes, *, expected: bytes | None, label: Path, private: bool = False
) -> None:
    """Put ``data`` at ``real`` iff it holds ``expected`` now (None: iff nothing is there)."""
    like = real if expected is not None else None
    tmp = _write_temp(real, data, like=like, private=private)
    try:
        if expected is None:
            _create(tmp, real, label)
        else:
            _compare_and_swap(tmp, real, data, expected, label)
    except OSError as exc:
        raise WriteRefused(
            f"Writing {label} failed ({exc.strerror}); the original is untouched. Free some "
            "disk space or check permissions (an immutable or read-only file?)."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(real.parent)
    remove_stale_temps(real)


def _write_temp(real: Path, data: bytes, *, like: Path | None, private: bool = False) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=TEMP_SUFFIX, dir=real.parent)
    except OSError as exc:
        raise WriteRefused(
            f"Cannot write in {real.parent} ({exc.strerror}). Nothing was written: "
            "check the folder's permissions, or pass --output elsewhere."
        ) from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            _keep_mode_and_owner(tmp, fh.fileno(), like, private)
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteRefused(
            f"Writing {real} failed ({exc.strerror}); the original is untouched. Free some "
            "disk space or check permissions."
        ) from exc
    return tmp


def _keep_mode_and_owner(tmp: Path, fd: int, like: Path | None, private: bool = False) -> None:
    """The old file's mode, owner and group; a new file's mode from the umask (mkstemp makes
    temp files private, 0600, which a new calendar or tracker should not be)."""
    if like is None and private:  # what only its owner should read (the mail cache)
        os.chmod(tmp, 0o600)
        return
    if like is None:
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    try:
        st = os.stat(like)
    except OSError:
        return
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    if hasattr(os, "fchown"):  # POSIX only
        _chown(fd, st.st_uid, st.st_gid)


def _chown(fd: int, uid: int, gid: int) -> None:
    try:
        os.fchown(fd, uid, gid)
    except PermissionError:
        try:  # a user may set the group of a file to one of their groups
            os.fchown(fd, -1, gid)
        except PermissionError:
            log.debug("could not keep owner/group %s:%s (not permitted)", uid, gid)


def _create(tmp: Path, real: Path, label: Path) -> None:
    """Create ``real`` from ``tmp``; fail if something appeared there meanwhile."""
    try:
        os.link(tmp, real)
        return
    except FileExistsError:
        raise OutputRefused(
            f"{label} appeared while sheetsync was writing it; it was left as it is. "
            "Run again, or pick another path."
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise WriteRefused(f"Creating {label} failed ({exc.strerror}).") from exc
    if real.exists():  # no hard links on this file system: the narrowest check
        raise OutputRefused(f"{label} appeared while sheetsync was writing it; it was left.")
    os.replace(tmp, real)


def _compare_and_swap(tmp: Path, real: Path, ours: bytes, expected: bytes, label: Path) -> None:
    if not os.path.lexists(real):
        raise SourceChangedError(
            f"{label} was moved or deleted since sheetsync read it. Nothing was written."
        )
    if USE_EXCHANGE and exchange(tmp, real):
        outgoing = tmp.read_bytes()  # what was at ``real`` the instant it was swapped out
        if _sha(outgoing) != _sha(expected):
            _undo_swap(tmp, real, ours, label)
        return
    _check_then_replace(tmp, real, expected, label)


def _undo_swap(tmp: Path, real: Path, ours: bytes, label: Path) -> None:
    """Another program saved between our read and our swap: put their version back."""
    try:
        exchange(tmp, real)  # theirs back at ``real``; ``tmp`` now holds what was there
    except OSError as exc:  # cannot swap back: their version must not go with the temp file
        copy = conflict_copy_path(real)
        os.replace(tmp, copy)
        raise SourceChangedError(
            f"{label.name} changed while sheetsync was writing it, and putting the other "
            f"program's version back failed ({exc.strerror}): it is kept as {copy.name}. "
            f"Check which version you want and rename it to {real.name}."
        ) from exc
    kept = ""
    if tmp.read_bytes() != ours:  # yet another save landed while we were undoing: keep it
        copy = conflict_copy_path(real)
        os.replace(tmp, copy)
        kept = f" A version saved meanwhile is kept as {copy.name}."
    raise SourceChangedError(
        f"{label.name} changed while sheetsync was writing it (saved by another program). "
        f"Their version was kept in place and nothing of ours was written.{kept} Run sync again."
    )


def _check_then_replace(tmp: Path, real: Path, expected: bytes, label: Path) -> None:
    """No atomic exchange here: hash, then re-check by ``stat`` right before the replace."""
    try:
        with open(real, "rb") as fh:
            before = os.fstat(fh.fileno())
            current = fh.read()
    except FileNotFoundError:
        current, before = b"", None
    now = _stat_or_none(real)
    if before is None or _sha(current) != _sha(expected) or not _same_version(before, now):
        raise SourceChangedError(
            f"{label.name} changed since sheetsync read it (saved by another program). "
            "Nothing was written: run sync again."
        )
    os.replace(tmp, real)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _same_version(a: os.stat_result, b: os.stat_result | None) -> bool:
    if b is None:
        return False
    return (a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns)


def conflict_copy_path(real: Path) -> Path:
    """``tracker.sheetsync-conflict-20260316-081500-123456.xlsx`` beside ``real``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return real.with_name(f"{real.stem}.sheetsync-conflict-{stamp}{real.suffix}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- atomic exchange

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "arm64": 276, "i386": 353, "i686": 353}


def exchange(a: Path, b: Path) -> bool:
    """Swap the directory entries ``a`` and ``b`` atomically. False when this system or file
    system has no such operation (the caller falls back); other errors raise ``OSError``."""
    libc = _libc()
    if libc is None:
        return False
    fa, fb = os.fsencode(a), os.fsencode(b)
    if sys.platform == "darwin":
        result = libc.renamex_np(fa, fb, _RENAME_SWAP)
    elif hasattr(libc, "renameat2"):
        result = libc.renameat2(_AT_FDCWD, fa, _AT_FDCWD, fb, _RENAME_EXCHANGE)
    else:
        number = _SYS_RENAMEAT2.get(platform.machine())
        if number is None:
            return False
        result = libc.syscall(number, _AT_FDCWD, fa, _AT_FDCWD, fb, _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


_LIBC: list[ctypes.CDLL | None] = []


def _libc() -> ctypes.CDLL | None:
    if not _LIBC:
        lib: ctypes.CDLL | None = None
        if sys.platform.startswith("linux") or sys.platform == "darwin":
            try:
                lib = ctypes.CDLL(None, use_errno=True)
            except OSError:
                lib = None
        _LIBC.append(lib)
    return _LIBC[0]


def exchange_supported(folder: Path) -> bool:
    """True when files in ``folder`` can be swapped atomically (tried on two temp files)."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".sheetsync-probe.") as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_bytes(b"a")
        b.write_bytes(b"b")
        return exchange(a, b) and a.read_bytes() == b"b"


# --------------------------------------------------------------------------- housekeeping


def remove_stale_temps(real: Path, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove temp files an earlier, killed run left beside ``real`` (an hour old or more)."""
    pattern = re.compile(rf"^\.{re.escape(real.name)}\.[A-Za-z0-9_]+{re.escape(TEMP_SUFFIX)}$")
    now, removed = time.time(), 0
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return 0
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    return _ledger().get(str(real)) == _sha(current)


def _remember_copy(real: Path, data: bytes) -> None:
    copies = {k: v for k, v in _ledger().items() if Path(k).exists()}
    copies[str(real)] = _sha(data)
    doc = {"sheetsync": "outputs", "copies": copies}
    text = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")
    try:
        write_output(ledger_path(), text, Kind.LEDGER)
    except (OSError, WriteRefused) as exc:  # the copy is written; only its memory is lost
        log.warning("could not record the copy %s in %s: %s", real, ledger_path(), exc)


# --------------------------------------------------------------------------- backups


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
        _swap_in(dest, data, expected=None, label=dest)
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
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
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
        write_output(tracker, data, Kind.NEW)
        return None
    saved = backup(tracker, current, keep=max(keep, 1), backup_dir=backup_dir)
    replace_tracker(tracker, data, expected=current)
    return saved
