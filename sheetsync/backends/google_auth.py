"""Signing in to Google Sheets: which credentials, with only the spreadsheets scope.

:func:`open_client` signs in the way gspread does (service account, OAuth, Application Default
Credentials, anonymous for an emulator) and returns a ``gspread.Client`` that talks through
:class:`~sheetsync.backends.google_http.SheetsHTTPClient`. Key files that other users of the
computer can read are warned about (:func:`warn_if_readable_by_others`).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.auth
import gspread
import gspread.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account

from sheetsync.backends.google_errors import safe_text
from sheetsync.backends.google_http import (
    DEFAULT_DEADLINE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    ENDPOINT_ENV,
    SheetsHTTPClient,
    Timeout,
)
from sheetsync.errors import ConfigError

log = logging.getLogger("sheetsync")

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
AUTH_MODES = ("auto", "service-account", "oauth", "adc", "anonymous")


OAuthFlow = Callable[..., Any]


def open_client(
    *,
    credentials_file: str | None = None,
    auth: str = "auto",
    endpoint: str | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    deadline: float = DEFAULT_DEADLINE,
    authorized_user_file: str | None = None,
    oauth_flow: OAuthFlow | None = None,
) -> gspread.Client:
    """A gspread client signed in as ``auth`` says, talking through ``SheetsHTTPClient``.

    ``auth``: "service-account" (key file from ``credentials_file``,
    ``$GOOGLE_APPLICATION_CREDENTIALS`` or gspread's ``service_account.json``), "oauth"
    (installed-app flow; client secrets from ``credentials_file`` or gspread's
    ``credentials.json``; the token cached in gspread's ``authorized_user.json``), "adc"
    (Application Default Credentials), "anonymous", or "auto": anonymous when an endpoint
    override is set, else chosen from the credentials file's type, else a cached OAuth token,
    else ADC. Only the spreadsheets scope is requested. The service account's email, when
    there is one, is ``client.http_client.service_account_email``.
    """
    if auth not in AUTH_MODES:
        raise ConfigError(f"auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
    endpoint = endpoint if endpoint is not None else (os.environ.get(ENDPOINT_ENV) or None)
    mode = _choose_mode(auth, credentials_file, endpoint, authorized_user_file)
    credentials = _credentials(mode, credentials_file, authorized_user_file, oauth_flow)
    client = gspread.Client(auth=credentials)
    client.http_client = SheetsHTTPClient(
        credentials,
        endpoint=endpoint or "",
        timeout=timeout,
        retries=retries,
        deadline=deadline,
    )
    log.debug("Google Sheets: signed in with %s credentials", mode)
    return client


def _choose_mode(
    auth: str, credentials_file: str | None, endpoint: str | None, authorized_user_file: str | None
) -> str:
    if auth != "auto":
        return auth
    if endpoint:
        return "anonymous"
    path = credentials_file or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path:
        kind = _key_type(Path(path))
        return "oauth" if kind in ("installed", "web", "authorized_user") else "service-account"
    cached = Path(authorized_user_file or gspread.auth.DEFAULT_AUTHORIZED_USER_FILENAME)
    return "oauth" if cached.exists() else "adc"


def _key_type(path: Path) -> str | None:
    """The ``type`` of a Google credentials JSON file (client secrets have a top-level key)."""
    info = _read_json(path)
    if "installed" in info or "web" in info:
        return "installed"
    kind = info.get("type")
    return kind if isinstance(kind, str) else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"credentials file {path} does not exist: check the path in sheetsync.toml or "
            f"GOOGLE_APPLICATION_CREDENTIALS"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"credentials file {path} cannot be read as JSON ({type(exc).__name__}): download "
            f"the key again from the Google Cloud console"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"credentials file {path} is not a Google credentials JSON object")
    return data


def _credentials(
    mode: str,
    credentials_file: str | None,
    authorized_user_file: str | None,
    oauth_flow: OAuthFlow | None,
) -> Credentials:
    if mode == "anonymous":
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if mode == "service-account":
        return _service_account(credentials_file)
    if mode == "oauth":
        return _oauth(credentials_file, authorized_user_file, oauth_flow)
    return _adc()


def _service_account(credentials_file: str | None) -> Credentials:
    path = Path(
        credentials_file
        or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        or gspread.auth.DEFAULT_SERVICE_ACCOUNT_FILENAME
    )
    info = _read_json(path)
    warn_if_readable_by_others(path)
    if info.get("type") != "service_account":
        raise ConfigError(
            f"{path} is not a service-account key (its type is {info.get('type')!r}): create a "
            f"key under IAM & Admin → Service accounts → Keys → Add key → JSON"
        )
    try:
        load = service_account.Credentials.from_service_account_info
        creds: Credentials = load(info, scopes=[SHEETS_SCOPE])  # type: ignore[no-untyped-call]
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"{path} is not a usable service-account key ({safe_text(exc, 160)}): download a "
            f"new JSON key from the Google Cloud console"
        ) from None
    return creds


def _oauth(
    credentials_file: str | None, authorized_user_file: str | None, oauth_flow: OAuthFlow | None
) -> Credentials:
    cache = Path(authorized_user_file or gspread.auth.DEFAULT_AUTHORIZED_USER_FILENAME)
    if cache.exists():
        warn_if_readable_by_others(cache)
        try:
            load = oauth2_credentials.Credentials.from_authorized_user_file
            cached: Credentials = load(str(cache), [SHEETS_SCOPE])  # type: ignore[no-untyped-call]
        except (ValueError, KeyError):
            log.warning("Google Sheets: ignoring the unreadable cached token %s", cache)
        else:
            return cached
    secrets_path = Path(credentials_file or gspread.auth.DEFAULT_CREDENTIALS_FILENAME)
    client_config = _read_json(secrets_path)
    flow = oauth_flow or gspread.auth.local_server_flow
    creds = flow(client_config=client_config, scopes=[SHEETS_SCOPE])
    cache.parent.mkdir(parents=True, exist_ok=True)
    gspread.auth.store_credentials(creds, filename=cache)
    if os.name != "nt":
        cache.chmod(0o600)
    result: Credentials = creds
    return result


def _adc() -> Credentials:
    try:
        creds, _project = google.auth.default(scopes=[SHEETS_SCOPE])
    except auth_exceptions.DefaultCredentialsError:
        raise ConfigError(
            "no Google credentials found: run `gcloud auth application-default login "
            f"--scopes={SHEETS_SCOPE},https://www.googleapis.com/auth/cloud-platform`, or set "
            "a service-account key file in sheetsync.toml"
        ) from None
    result: Credentials = creds
    return result


def warn_if_readable_by_others(path: Path) -> bool:
    """Log a warning when a secret file can be read by group/other users; True if it was."""
    if os.name == "nt":
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "credentials file %s can be read by other users of this computer (mode %o): "
            "run `chmod 600 %s`",
            path,
            stat.S_IMODE(mode),
            path,
        )
        return True
    return False
