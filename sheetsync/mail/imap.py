"""The IMAP reader: server-side SEARCH by address, headers only, incremental by UID.

For each folder (Gmail's All Mail when the server has one, else INBOX and the \\Sent folder,
both found through SPECIAL-USE), the contacts' addresses are searched on the server —
``FROM``/``TO``/``CC`` for several addresses OR-ed into one SEARCH — and only the matching
messages' From/To/Cc/Date/Message-ID headers are fetched (``BODY.PEEK``: nothing is marked
read). The folder's UIDVALIDITY and last UID are remembered in a per-source cache, so the next
run asks only about messages that are new, and only new contacts are searched over the whole
folder. A changed UIDVALIDITY (the server renumbered the folder) resets that folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import json
import logging
import shlex
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from sheetsync.mail.config import MailConfig, MailSource, cache_dir
from sheetsync.mail.evidence import Event, Evidence, events_of
from sheetsync.mail.headers import HEADER_FIELDS, Header, parse
from sheetsync.mail.sources import MailUnavailable

log = logging.getLogger("sheetsync")

FETCH_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(f.upper() for f in HEADER_FIELDS) + ")]"
FETCH_KEY = FETCH_ITEM.replace(".PEEK", "").encode()
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail")
FETCH_CHUNK = 500  # UIDs per FETCH
CACHE_VERSION = 1


@dataclass
class FolderState:
    """What the cache remembers of one folder."""

    uidvalidity: int = 0
    last_uid: int = 0
    addresses: set[str] = field(default_factory=set)
    events: dict[str, set[Event]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Dates, directions and Message-ID hashes only: no subject, no body, no name."""
        return {
            "uidvalidity": self.uidvalidity,
            "last_uid": self.last_uid,
            "addresses": sorted(self.addresses),
            "events": {
                a: sorted([e.day.isoformat(), e.direction, e.key] for e in evs)
                for a, evs in sorted(self.events.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FolderState:
        """The inverse of :meth:`to_json`."""
        import datetime as dt

        events = {
            a: {Event(dt.date.fromisoformat(d), direction, key) for d, direction, key in evs}
            for a, evs in data.get("events", {}).items()
        }
        return cls(int(data["uidvalidity"]), int(data["last_uid"]), set(data["addresses"]), events)


@dataclass
class ScanStats:
    """What one scan did: for doctor and the benchmark."""

    folders: list[str] = field(default_factory=list)
    sent_folder: str | None = None
    messages: int = 0  # messages in the folders searched
    matched: int = 0  # messages fetched (headers only)
    round_trips: int = 0  # IMAP commands sent after login
    seconds: float = 0.0
    resets: list[str] = field(default_factory=list)  # folders whose UIDVALIDITY changed


def cache_file(config: MailConfig) -> Path:
    """The cache of one source and one set of your addresses."""
    assert config.source is not None
    ident = json.dumps([config.source.label, sorted(config.me)]).encode()
    return cache_dir(config) / f"imap-{hashlib.sha256(ident).hexdigest()[:16]}.json"


def load_cache(path: Path) -> dict[str, FolderState]:
    """The folders remembered; a missing or unreadable cache is an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {name: FolderState.from_json(f) for name, f in data["folders"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if path.exists():
            log.warning("mail cache %s is unreadable (%s): searching afresh", path, exc)
        return {}


def save_cache(path: Path, folders: dict[str, FolderState]) -> None:
    """Write the cache through the one writer, in a folder only its owner can enter."""
    from sheetsync import files

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "sheetsync": "mail-cache",
        "version": CACHE_VERSION,
        "folders": {n: f.to_json() for n, f in folders.items()},
    }
    text = json.dumps(data, indent=1, sort_keys=True).encode()
    files.write_output(path, text, files.Kind.MAIL_CACHE)


def scan(
    config: MailConfig, addresses: Sequence[str], zone: str | None = None
) -> tuple[Evidence, ScanStats]:
    """Search the server for every address and return the evidence (cache updated)."""
    source = config.source
    assert source is not None and source.kind == "imap"
    path = cache_file(config)
    folders = load_cache(path)
    stats = ScanStats()
    started = time.monotonic()
    with Connection(config, source) as client:
        for name in folders_to_search(client, config, stats):
            state = folders.get(name, FolderState())
            folders[name] = _scan_folder(client, name, state, config, set(addresses), zone, stats)
            save_cache(path, folders)  # a dropped connection later keeps this folder's work
    stats.seconds = time.monotonic() - started
    evidence = Evidence(searched=stats.messages, source=source.label)
    for name in stats.folders:
        for address, events in folders[name].events.items():
            if address in addresses:
                for event in events:
                    evidence.add(address, event)
    return evidence, stats


class Connection:
    """An authenticated IMAPClient; every failure becomes :class:`MailUnavailable`."""

    def __init__(self, config: MailConfig, source: MailSource) -> None:
        self.config, self.source = config, source
        self.client: IMAPClient | None = None

    def __enter__(self) -> IMAPClient:
        self.client = connect(self.config, self.source)
        return self.client

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(IMAPClientError, OSError, imaplib.IMAP4.error):
                client.logout()  # the connection may be gone already: nothing to tidy then
        if isinstance(exc, OSError | imaplib.IMAP4.error | IMAPClientError):
            raise MailUnavailable(
                f"the connection to {self.source.host} failed while searching "
                f"({exc.__class__.__name__}: {exc}). What was searched before is kept; "
                "the next run goes on from there."
            ) from exc


def connect(config: MailConfig, source: MailSource) -> IMAPClient:
    """Open a TLS connection and sign in (password, or XOAUTH2 with a token command)."""
    where = f"{source.host}:{source.port}"
    try:
        context = ssl.create_default_context(cafile=config.cafile) if source.tls else None
        client = IMAPClient(
            source.host,
            port=source.port,
            ssl=source.tls,
            ssl_context=context,
            timeout=config.timeout,
            use_uid=True,
        )
    except ssl.SSLError as exc:
        raise MailUnavailable(
            f"TLS with {where} failed ({exc.reason or exc}): the server's certificate is not "
            "trusted. If your server uses its own certificate, set mail.cafile to its CA file."
        ) from exc
    except OSError as exc:
        raise MailUnavailable(
            f"cannot reach the mail server {where} ({exc.strerror or exc}). "
            "Check the host and port in [mail] source, and your network."
        ) from exc
    try:
        if config.oauth2_command:
            client.oauth2_login(source.user, _token(config.oauth2_command))
        else:
            from sheetsync.secrets import password

            client.login(
                source.user,
                password(
                    "mail",
                    "IMAP",
                    env=config.password_env,
                    service=config.keyring_service,
                    user=source.user,
                ),
            )
    except LoginError as exc:
        client.shutdown()
        raise MailUnavailable(
            f"the mail server {where} refused the login for {source.user}: wrong password? "
            "(Gmail and Outlook need an app password, or oauth2_command.)"
        ) from exc
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        raise MailUnavailable(f"signing in to {where} failed: {exc}") from exc
    return client


def _token(command: str) -> str:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MailUnavailable(f"mail.oauth2_command failed: {exc}") from exc
    token = done.stdout.strip()
    if not token:
        raise MailUnavailable("mail.oauth2_command printed no access token.")
    return token


def folders_to_search(client: IMAPClient, config: MailConfig, stats: ScanStats) -> list[str]:
    """All Mail when there is one (Gmail), else INBOX and the Sent folder; or as configured."""
    listed = client.list_folders()
    stats.round_trips += 1
    names = {str(name): {f.decode() if isinstance(f, bytes) else str(f) for f in flags}
             for flags, _, name in listed}  # fmt: skip
    sent = next((n for n, flags in names.items() if "\\Sent" in flags), None)
    sent = sent or next((n for n in SENT_NAMES if n in names), None)
    stats.sent_folder = sent
    if config.folders:
        missing = [f for f in config.folders if f not in names]
        if missing:
            raise MailUnavailable(
                f"mail.folders names {missing[0]!r}, which the server does not have "
                f"(it has: {', '.join(sorted(names))})."
            )
        chosen = list(config.folders)
    else:
        every = next((n for n, flags in names.items() if "\\All" in flags), None)
        chosen = [every] if every else ["INBOX", *([sent] if sent else [])]
    stats.folders = chosen
    return chosen


def _scan_folder(
    client: IMAPClient,
    name: str,
    state: FolderState,
    config: MailConfig,
    wanted: set[str],
    zone: str | None,
    stats: ScanStats,
) -> FolderState:
    info = client.select_folder(name, readonly=True)
    stats.round_trips += 1
    validity = int(info[b"UIDVALIDITY"])
    uidnext = int(info.get(b"UIDNEXT", 0))
    stats.messages += int(info.get(b"EXISTS", 0))
    if state.uidvalidity != validity:
        if state.uidvalidity:
            stats.resets.append(name)
            log.info("mail folder %s was renumbered (UIDVALIDITY changed): searching afresh", name)
        state = FolderState(uidvalidity=validity)
    me = frozenset(config.me)
    known = sorted(wanted & state.addresses)
    new = sorted(wanted - state.addresses)
    uids: set[int] = set()
    for batch in _batches(new, config.batch):
        uids |= search_addresses(client, batch, None, stats)
    if state.last_uid and known:
        uids |= _since(client, known, state.last_uid, uidnext, config.batch, stats)
    look_for = frozenset(wanted)
    for header in _fetch_headers(client, sorted(uids), zone, stats):
        for address, event in events_of(header, me, look_for):
            state.events.setdefault(address, set()).add(event)
    state.addresses |= wanted
    state.last_uid = max(state.last_uid, uidnext - 1, max(uids, default=0))
    return state


def _since(
    client: IMAPClient,
    known: list[str],
    last_uid: int,
    uidnext: int,
    batch: int,
    stats: ScanStats,
) -> set[int]:
    """UIDs above ``last_uid`` that may concern the known contacts.

    Nothing new (UIDNEXT unchanged): no command at all. A few new messages: their UIDs as they
    are (their headers are fetched and matched here — one command instead of one SEARCH per
    batch of addresses). Many: SEARCH by address within the new UIDs.
    """
    if uidnext and uidnext - 1 <= last_uid:
        return set()
    if uidnext and uidnext - 1 - last_uid <= FETCH_CHUNK:
        return set(range(last_uid + 1, uidnext))
    uids: set[int] = set()
    for part in _batches(known, batch):
        uids |= search_addresses(client, part, last_uid, stats)
    return uids


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def search_addresses(
    client: IMAPClient, addresses: list[str], after_uid: int | None, stats: ScanStats
) -> set[int]:
    """One SEARCH for messages from, to or cc any of ``addresses`` (after a UID, if given)."""
    terms: list[Any] = [[key, a] for a in addresses for key in ("FROM", "TO", "CC")]
    criteria: list[Any] = [_or_tree(terms)]
    if after_uid is not None:
        criteria = ["UID", f"{after_uid + 1}:*", *criteria]
    found = client.search(criteria)
    stats.round_trips += 1
    # "UID n:*" always includes the folder's last message, even when its UID is below n.
    return {int(u) for u in found if after_uid is None or int(u) > after_uid}


def _or_tree(terms: list[Any]) -> Any:
    """IMAP's OR takes two keys: a balanced tree of them (shallow, for many addresses)."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return ["OR", _or_tree(terms[:middle]), _or_tree(terms[middle:])]


def _fetch_headers(
    client: IMAPClient, uids: list[int], zone: str | None, stats: ScanStats
) -> Iterator[Header]:
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        answer = client.fetch(chunk, [FETCH_ITEM])
        stats.round_trips += 1
        for data in answer.values():
            header = parse(bytes(data.get(FETCH_KEY, b"")), zone)
            stats.matched += 1
            if header is not None:
                yield header
