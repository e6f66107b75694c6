"""The pipeline's mail step: gather the evidence for a tracker's contacts and attach it.

A mailbox that cannot be read never stops a sync: the run goes on without mail evidence and
says so (a note in the report, a warning in the log).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sheetsync.errors import SheetsyncError
from sheetsync.frame import Tracker
from sheetsync.mail.config import MailConfig
from sheetsync.mail.evidence import Evidence, attach, tracker_addresses
from sheetsync.mail.sources import maildir_headers, mbox_headers

log = logging.getLogger("sheetsync")


@dataclass(frozen=True)
class MailResult:
    """The tracker with its mail columns (unchanged when mail was unavailable), and a note."""

    tracker: Tracker
    note: str | None = None
    evidence: Evidence | None = None


def gather(config: MailConfig, addresses: set[str], zone: str | None = None) -> Evidence:
    """Messages to and from ``addresses`` in the configured mailbox."""
    source = config.source
    assert source is not None
    if source.kind == "imap":
        from sheetsync.mail.imap import scan

        return scan(config, sorted(addresses), zone)[0]
    read = mbox_headers if source.kind == "mbox" else maildir_headers
    evidence = Evidence(source=source.label)
    me, wanted = frozenset(config.me), frozenset(addresses)
    for header in read(source.path, zone):
        evidence.searched += 1
        evidence.add_header(header, me, wanted)
    return evidence


def with_mail(
    tracker: Tracker, config: MailConfig, today: dt.date, zone: str | None = None
) -> MailResult:
    """``tracker`` with mail evidence attached when ``[mail]`` is configured."""
    if not config.enabled:
        return MailResult(tracker)
    if not config.me:
        note = "mail evidence not used: set mail.me to your own addresses (who wrote to whom)."
        log.warning(note)
        return MailResult(tracker, note)
    addresses = {a for found in tracker_addresses(tracker).values() for a in found}
    try:
        evidence = gather(config, addresses, zone)
    except SheetsyncError as exc:  # unreachable, refused, no password: go on without mail
        note = f"mail evidence not used this run: {exc}"
        log.warning(note)
        return MailResult(tracker, note)
    log.info("mail: %d messages searched in %s", evidence.searched, evidence.source)
    return MailResult(attach(tracker, evidence, today), None, evidence)
