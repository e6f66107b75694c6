"""What ``sheetsync doctor`` says about the mailbox: can it sign in, and what can it see.

The probe signs in, finds the folders a scan would search, and runs one search for the
tracker's addresses — without touching the cache, so a doctor run changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sheetsync.mail.config import MailConfig
from sheetsync.mail.sources import maildir_headers, mbox_headers


def probe(config: MailConfig, addresses: Sequence[str]) -> str:
    """One line on what the mailbox holds; raises MailUnavailable with the fix when it fails."""
    source = config.source
    assert source is not None
    if source.kind == "imap":
        return _probe_imap(config, addresses)
    started = time.monotonic()
    read = mbox_headers if source.kind == "mbox" else maildir_headers
    count = sum(1 for _ in read(source.path))
    took = time.monotonic() - started
    return f"{source.label}: {count:,} messages read (headers only) in {took:.1f} s"


def _probe_imap(config: MailConfig, addresses: Sequence[str]) -> str:
    from sheetsync.mail.imap import Connection, ScanStats, folders_to_search, search_addresses

    source = config.source
    assert source is not None
    stats = ScanStats()
    started = time.monotonic()
    matched = 0
    with Connection(config, source) as client:
        for name in folders_to_search(client, config, stats):
            info = client.select_folder(name, readonly=True)
            stats.messages += int(info.get(b"EXISTS", 0))
            if addresses:
                matched += len(
                    search_addresses(client, list(addresses[: config.batch]), None, stats)
                )
    took = time.monotonic() - started
    sent = f"Sent folder '{stats.sent_folder}' found" if stats.sent_folder else "no Sent folder"
    return (
        f"signed in to {source.host} as {source.user}; {sent}; {stats.messages:,} messages in "
        f"{', '.join(stats.folders)} searched in {took:.1f} s "
        f"({matched} from or to the first {min(len(addresses), config.batch)} contacts)"
    )
