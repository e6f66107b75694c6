"""Local mailboxes: an mbox file (a Google Takeout export) or a Maildir folder.

Each message's header block is read and the body skipped; nothing is written back (the mbox
is opened read-only, Maildir flags are never changed).
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from pathlib import Path

from sheetsync.errors import MailUnavailable as MailUnavailable
from sheetsync.mail.headers import Header, parse


def mbox_headers(path: str, zone: str | None = None) -> Iterator[Header]:
    """Every dated message of an mbox file."""
    target = Path(path)
    if not target.is_file():
        raise MailUnavailable(f"mail source mbox:{path} is not a file. Check [mail] source.")
    try:
        box = mailbox.mbox(target, create=False)
        box.lock = box.unlock = lambda: None  # type: ignore[method-assign]  # read-only
        for key in box.iterkeys():
            with box.get_file(key) as fh:
                header = parse(_header_block(fh), zone)
            if header is not None:
                yield header
    except (OSError, mailbox.Error) as exc:
        raise MailUnavailable(f"cannot read mbox:{path}: {exc}") from exc


def maildir_headers(path: str, zone: str | None = None) -> Iterator[Header]:
    """Every dated message of a Maildir folder and its subfolders (Sent, Archive, …)."""
    root = Path(path)
    if not (root / "cur").is_dir() and not (root / "new").is_dir():
        raise MailUnavailable(
            f"mail source maildir:{path} is not a Maildir (no cur/ or new/ inside). "
            "Check [mail] source."
        )
    for folder in _maildir_folders(root):
        for sub in ("new", "cur"):
            for entry in sorted(os.scandir(folder / sub), key=lambda e: e.name):
                if entry.is_file():
                    header = _read_file(Path(entry.path), zone)
                    if header is not None:
                        yield header


def _maildir_folders(root: Path) -> list[Path]:
    """The Maildir itself and its Maildir++ subfolders (``.Sent``, ``.Archive``, …)."""
    subs = sorted(p for p in root.iterdir() if p.name.startswith(".") and (p / "cur").is_dir())
    return [root, *subs]


def _read_file(path: Path, zone: str | None) -> Header | None:
    try:
        with path.open("rb") as fh:
            return parse(_header_block(fh), zone)
    except FileNotFoundError:  # moved by the mail client while we read: not evidence
        return None
    except OSError as exc:
        raise MailUnavailable(f"cannot read {path.parent}: {exc.strerror}") from exc


def _header_block(fh: object) -> bytes:
    """The bytes up to the first blank line: the body is never read."""
    lines: list[bytes] = []
    for line in fh:  # type: ignore[attr-defined]
        if line in (b"\n", b"\r\n"):
            break
        lines.append(line)
    return b"".join(lines)
