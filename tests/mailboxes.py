"""Mailboxes for the mail tests: real RFC 5322 messages in mbox and Maildir (Maildir++) form.

The same list of messages becomes an mbox file (what Google Takeout exports), a Maildir (what
a local mail client keeps) and the mail store of the Dovecot test server (tests/dovecot.py).
"""

from __future__ import annotations

import datetime as dt
import mailbox
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ME = ("me@uni.edu", "me@gmail.com")
SECRET_SUBJECT = "Subject-never-stored-7f3a"
SECRET_BODY = "Body-never-read-91c2"


@dataclass(frozen=True)
class Mail:
    """One message: who to whom, when, and which folder it sits in ("INBOX" or "Sent")."""

    sender: str
    to: tuple[str, ...]
    day: str  # YYYY-MM-DD
    cc: tuple[str, ...] = ()
    folder: str = "INBOX"
    hour: int = 10
    extra: dict[str, str] = field(default_factory=dict)

    def message(self, n: int) -> EmailMessage:
        """The message as bytes a mail client would store."""
        msg = EmailMessage()
        msg["From"] = f"Someone <{self.sender}>"
        msg["To"] = ", ".join(self.to)
        if self.cc:
            msg["Cc"] = ", ".join(self.cc)
        when = dt.datetime.fromisoformat(self.day).replace(
            hour=self.hour, tzinfo=dt.timezone(dt.timedelta(hours=-5))
        )
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(idstring=f"m{n}", domain="test.invalid")
        msg["Subject"] = f"{SECRET_SUBJECT} {n}"
        for key, value in self.extra.items():
            msg[key] = value
        msg.set_content(f"{SECRET_BODY}\n" + "lorem ipsum\n" * 20)
        return msg


def sent(to: str | Sequence[str], day: str, *, cc: Sequence[str] = (), me: str = ME[0]) -> Mail:
    """A message you sent (it sits in Sent)."""
    targets = (to,) if isinstance(to, str) else tuple(to)
    return Mail(me, targets, day, tuple(cc), folder="Sent")


def received(sender: str, day: str, *, cc: Sequence[str] = (), to: str = ME[0]) -> Mail:
    """A message someone sent you (it sits in INBOX)."""
    return Mail(sender, (to,), day, tuple(cc))


def write_mbox(path: Path, mails: Sequence[Mail]) -> Path:
    """Every message in one mbox file (a Takeout export mixes sent and received)."""
    box = mailbox.mbox(path)
    box.lock()
    try:
        for n, mail in enumerate(mails):
            box.add(mail.message(n))
        box.flush()
    finally:
        box.unlock()
        box.close()
    return path


def write_maildir(root: Path, mails: Sequence[Mail], *, start: int = 0) -> Path:
    """A Maildir++ tree: INBOX at the root, other folders as ``.Name`` subfolders.

    Files are written straight into ``cur/`` (seen): the standard library's Maildir.add
    fsyncs every message, which makes a 10,000-message benchmark store take minutes.
    """
    for n, mail in enumerate(mails, start=start):
        folder = root if mail.folder == "INBOX" else root / f".{mail.folder}"
        if not (folder / "cur").is_dir():
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            if folder != root:
                (folder / "maildirfolder").touch()
        (folder / "cur" / f"{1_700_000_000 + n}.M{n}P{os.getpid()}.sheetsync:2,S").write_bytes(
            mail.message(n).as_bytes()
        )
    return root


# The scenario the end-to-end tests and the README use (today: Mon 16 Mar 2026).
TRACKER_HEADERS = (
    "Name",
    "Organization",
    "Email",
    "Date Contacted",
    "Response",
    "Interview Date",
    "Thank-you Sent",
)
TRACKER_ROWS: tuple[tuple[object, ...], ...] = (
    # 2: replied by e-mail on Thu 5 Mar, nothing recorded → record-reply instead of follow-up-7b
    ("Ann Lee", "Lab Inc", "ann@lab.org", "2026-03-03", None, None, None),
    # 3: thanked from your Gmail address the day after the interview → no thank-you-missing
    ("Bo Chen", "Corp", "bo@corp.com", None, "yes", "2026-03-11", None),
    # 4: two addresses; you wrote to the second, the date contacted is empty → record-outreach
    ("Cy Diaz", "Uni", "cy@uni.edu; cy.diaz@gmail.com", None, None, None, None),
    # 5: only Cc'd on your message, replied on the 4th → the chase stops
    ("Di Egan", "Bio", "di@bio.com", "2026-03-02", None, None, None),
    # 6: wrote to you in January, before your outreach → still follow-up-7b
    ("Ed Fox", "Old Org", "ed@old.org", "2026-03-03", None, None, None),
    # 7: interview in October, e-mails in March → not stale
    ("Flo Gu", "X", "flo@x.org", "2025-09-20", "yes", "2025-10-01", "yes"),
    # 8: no address at all → no mail column text, rules as before
    ("Gil Ho", "Y", None, "2026-03-03", None, None, None),
)
SCENARIO: tuple[Mail, ...] = (
    sent("ann@lab.org", "2026-03-03"),
    received("ann@lab.org", "2026-03-05"),
    sent("bo@corp.com", "2026-03-12", me=ME[1]),
    sent("cy.diaz@gmail.com", "2026-03-09"),
    sent("eve@bio.com", "2026-03-02", cc=["di@bio.com"]),
    received("di@bio.com", "2026-03-04", cc=["eve@bio.com"]),
    received("ed@old.org", "2026-01-10"),
    sent("ed@old.org", "2026-03-03"),
    sent("flo@x.org", "2026-03-01"),
    received("flo@x.org", "2026-03-02"),
    received("stranger@spam.example", "2026-03-10"),  # nobody in the tracker
    received("ann@lab.org", "2026-03-20"),  # after "today": ignored
)
