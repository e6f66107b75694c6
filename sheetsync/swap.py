"""The compare-and-swap replace under every write of :mod:`sheetsync.files`.

:func:`swap_in` puts new bytes at a path only while the file there still holds what sheetsync
read, so another program's save is never lost. The new bytes go to a temp file beside the target
(fsynced, with the old file's mode and owner); then:

- Linux: ``renameat2(RENAME_EXCHANGE)`` swaps temp and target atomically; macOS:
  ``renamex_np(RENAME_SWAP)`` (:func:`exchange`). What was swapped out is then compared with
  what was read. If another program saved in between, the swap is undone: their version goes
  back in place, and a version saved while undoing is kept as
  ``<name>.sheetsync-conflict-<time><suffix>``.
- Elsewhere (or on a file system without the exchange): the target is hashed, re-checked by
  ``stat`` right before ``os.replace`` — a window of microseconds, not a guarantee.
- A new file is created with ``link()`` (fails if something appeared meanwhile).

It decides nothing about *which* file may be written: that is :mod:`sheetsync.files`.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import logging
import os
import platform
import re
import stat
import sys
import tempfile
import time
from pathlib import Path

from sheetsync.errors import OutputRefused, SourceChangedError, WriteRefused

log = logging.getLogger("sheetsync")

TEMP_SUFFIX = ".sheetsync-tmp"
STALE_TEMP_SECONDS = 3600.0

# Set to False to use the portable fallback (tests measure both paths).
USE_EXCHANGE = True


def swap_in(
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
        if sha(outgoing) != sha(expected):
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
    if before is None or sha(current) != sha(expected) or not _same_version(before, now):
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


def sha(data: bytes) -> str:
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
