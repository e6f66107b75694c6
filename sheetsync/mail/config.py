"""``[mail]`` in sheetsync.toml → :class:`MailConfig`.

```toml
[mail]
source = "imaps://me%40uni.edu@imap.uni.edu"   # or "mbox:PATH", "maildir:PATH"
me = ["me@uni.edu", "me@gmail.com"]            # your own addresses
password_env = "SHEETSYNC_MAIL_PASSWORD"       # or the system keyring; never in the file
```
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sheetsync.config import Settings, parse_named
from sheetsync.errors import ConfigError
from sheetsync.schema import Where, beside_config, setting

SCHEMES = ("imaps", "imap", "mbox", "maildir")


@dataclass(frozen=True)
class MailSource:
    """Where the mail is: a file, a folder, or an IMAP server."""

    kind: str  # "mbox", "maildir" or "imap"
    path: str = ""  # mbox / maildir
    host: str = ""
    port: int = 993
    user: str = ""
    tls: bool = True  # False only for imap:// on a loopback address (a local test server)

    @property
    def label(self) -> str:
        """The source as people read it (no password is ever part of it)."""
        if self.kind == "imap":
            scheme = "imaps" if self.tls else "imap"
            return f"{scheme}://{self.user}@{self.host}:{self.port}"
        return f"{self.kind}:{self.path}"


def _source(value: str, where: Where) -> MailSource:
    return parse_source(value, where=f"{where.path}: '{where.key}'", base=where.path.parent)


def _addresses(value: Sequence[str], where: Where) -> tuple[str, ...]:
    if not all("@" in m for m in value):
        raise where.error('must list your e-mail addresses, like ["me@uni.edu"].')
    return tuple(m.strip().lower() for m in value)


@dataclass(frozen=True)
class MailConfig:
    """The ``[mail]`` settings; ``source`` None means no mail evidence."""

    source: MailSource | None = setting(
        None,
        str,
        'your mailbox: "imaps://me%40uni.edu@imap.uni.edu", "mbox:PATH" or "maildir:PATH"',
        convert=lambda v, w: _source(v, w) if v else None,
    )
    me: tuple[str, ...] = setting(
        (),
        list,
        "your own addresses (default: the IMAP login, when it is one)",
        items=str,
        single=True,
        shape='list your e-mail addresses, like ["me@uni.edu"]',
        convert=_addresses,
        derive=lambda v: _login_address(v["source"]),
    )
    password_env: str | None = setting(
        None, str, "the environment variable that holds the IMAP password"
    )
    keyring_service: str = setting(
        "sheetsync-mail", str, "else the password is keyring's for this service and user"
    )
    oauth2_command: str | None = setting(
        None, str, "a command that prints an OAuth2 access token (XOAUTH2 instead of a password)"
    )
    folders: tuple[str, ...] = setting(
        (),
        list,
        "the folders to read (default: All Mail when there is one, else INBOX and Sent)",
        items=str,
        shape="be a list of folder names",
    )
    cafile: str | None = setting(
        None, str, "a CA bundle for a server with its own certificate", convert=beside_config
    )
    timeout: float = setting(30.0, float, "seconds to wait for the server", minimum=0)
    cache_dir: str | None = setting(
        None,
        str,
        "where evidence is cached (default: $XDG_STATE_HOME/sheetsync/mail)",
        convert=beside_config,
    )
    # Addresses per IMAP SEARCH: 50 keeps the command line under the 8,192 octets RFC 7162
    # asks clients to stay within (three OR-ed keys per address).
    batch: int = setting(50, int, "addresses per IMAP search", minimum=1)

    @property
    def enabled(self) -> bool:
        """True when a mailbox is configured."""
        return self.source is not None


def parse_config(table: Mapping[str, Any], path: Path) -> MailConfig:
    """Validate ``[mail]``; errors name the file and the key."""
    return parse_named("mail", table, path)  # type: ignore[no-any-return]


def parse_source(text: str, *, where: str = "--mail", base: Path | None = None) -> MailSource:
    """``imaps://user@host[:port]``, ``mbox:PATH`` or ``maildir:PATH`` → :class:`MailSource`.

    ``imap://`` (no TLS) is accepted only for a server on this machine's loopback address —
    a local test server; a password never crosses a network in clear text.
    """
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise ConfigError(
            f"{where}: '{text}' is not a mail source. Use imaps://USER@HOST (the user's @ "
            "written %40), mbox:PATH or maildir:PATH."
        )
    if scheme in ("mbox", "maildir"):
        if not rest:
            raise ConfigError(f"{where}: '{text}' names no file. Write {scheme}:PATH.")
        try:
            target = Path(rest).expanduser()
        except RuntimeError as exc:  # an unknown ~user
            raise ConfigError(
                f"{where}: '{text}' starts with a ~ that is no home folder here. "
                "Write the full path."
            ) from exc
        if base is not None and not target.is_absolute():
            target = base / target
        return MailSource(scheme, path=str(target))
    return _imap_source(text, scheme, where)


def _imap_source(text: str, scheme: str, where: str) -> MailSource:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{where}: '{text}' has a bad port number.") from exc
    if not parts.hostname or not parts.username:
        raise ConfigError(
            f"{where}: '{text}' needs a user and a server: imaps://me%40uni.edu@imap.uni.edu."
        )
    if parts.password:
        raise ConfigError(
            f"{where}: never put a password in the source; use mail.password_env or the keyring."
        )
    tls = scheme == "imaps"
    if not tls and not _loopback(parts.hostname):
        raise ConfigError(
            f"{where}: imap:// (no TLS) is only for a test server on this machine; "
            f"use imaps://{parts.netloc}."
        )
    return MailSource(
        "imap",
        host=parts.hostname,
        port=port or (993 if tls else 143),
        user=unquote(parts.username),
        tls=tls,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _login_address(source: MailSource | None) -> tuple[str, ...]:
    """Without mail.me, the IMAP login when it is an address (most providers' case)."""
    if source is not None and source.kind == "imap" and "@" in source.user:
        return (source.user.lower(),)
    return ()


def cache_dir(config: MailConfig) -> Path:
    """Where the per-source evidence cache lives (the user's state directory)."""
    if config.cache_dir:
        return Path(config.cache_dir)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sheetsync" / "mail"


def with_source(settings: Settings, source: str | None) -> Settings:
    """``settings`` with ``--mail SOURCE`` laid over ``[mail] source`` (the rest of [mail] kept)."""
    from dataclasses import replace

    if not source:
        return settings
    current: MailConfig = settings.section("mail")
    parsed = parse_source(source)
    mail = replace(current, source=parsed, me=current.me or _login_address(parsed))
    return settings.with_overrides(sections={**settings.sections, "mail": mail})
