"""Passwords for the servers sheetsync signs in to (SMTP for the digest, IMAP for mail).

Never from the config file: from the environment variable the config names, else from the
system keyring (when the optional ``keyring`` package is installed).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sheetsync.errors import ConfigError


def refuse_password_key(table: Mapping[str, Any], path: Path, section: str, service: str) -> None:
    """A ``password`` key in ``[section]`` is refused, with the two ways to give one instead."""
    if "password" in table:
        raise ConfigError(
            f"{path}: '{section}.password' is not allowed: never keep a password in the config "
            f'file. Set {section}.password_env = "SHEETSYNC_{section.upper()}_PASSWORD" and '
            f"export that variable, or store it with `keyring set {service} <user>`."
        )


def password(section: str, what: str, *, env: str | None, service: str, user: str | None) -> str:
    """The password for ``user``: ``$<env>`` when the config names one, else the keyring.

    ``section`` is the config table (``smtp``, ``mail``) and ``what`` the server's kind
    ("SMTP", "IMAP"): both appear in the message that says how to provide it.
    """
    if env:
        value = os.environ.get(env)
        if value:
            return value
        raise ConfigError(
            f"{section}.password_env names ${env}, which is not set: export it "
            f"(in the service's environment, for systemd) with the {what} password."
        )
    value = keyring_password(service, user)
    if value is None:
        raise ConfigError(
            f"no {what} password for {user}: set {section}.password_env to the name of an "
            f"environment variable holding it, or run `keyring set {service} {user}`."
        )
    return value


def keyring_password(service: str, user: str | None) -> str | None:
    """The password stored in the system keyring, when the optional keyring package is there."""
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        return None
    value = keyring.get_password(service, user)
    return value if isinstance(value, str) else None
