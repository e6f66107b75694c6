"""How sheetsync talks to Google: one HTTP client, the sources it accepts, and sign-in.

* ``SheetsHTTPClient`` is a ``gspread`` HTTP client with a timeout on every request, bounded
  retries (exponential backoff with full jitter, ``Retry-After`` honoured, an overall deadline)
  that never repeats a request which may already have been applied, an endpoint override for
  emulators (``SHEETSYNC_SHEETS_ENDPOINT=http://host:port``), and errors translated into
  ``sheetsync.errors.GoogleError`` subclasses whose messages say what to do.
* ``parse_source`` recognises a Google Sheets URL or ``gsheet:<id>``.
* ``open_client`` signs in the way gspread does (service account, OAuth, ADC, anonymous) with
  only the spreadsheets scope, and returns a ``gspread.Client`` using ``SheetsHTTPClient``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import stat
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import google.auth
import gspread
import gspread.auth
import requests
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account
from gspread.http_client import FileType, HTTPClient, ParamsType

from sheetsync.backends.google_source import parse_source as parse_source
from sheetsync.errors import ConfigError
from sheetsync.errors import (
    SheetsAccessDenied as SheetsAccessDenied,
)
from sheetsync.errors import (
    SheetsAPIError as SheetsAPIError,
)
from sheetsync.errors import (
    SheetsBadRequest as SheetsBadRequest,
)
from sheetsync.errors import (
    SheetsNotFound as SheetsNotFound,
)
from sheetsync.errors import (
    SheetsQuotaExceeded as SheetsQuotaExceeded,
)
from sheetsync.errors import (
    SheetsTimeout as SheetsTimeout,
)
from sheetsync.errors import (
    SheetsUnavailable as SheetsUnavailable,
)

log = logging.getLogger("sheetsync")

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
ENDPOINT_ENV = "SHEETSYNC_SHEETS_ENDPOINT"
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
DEFAULT_RETRIES = 5
DEFAULT_DEADLINE = 120.0
AUTH_MODES = ("auto", "service-account", "oauth", "adc", "anonymous")

Timeout = float | tuple[float, float]


# --------------------------------------------------------------------------------------------
# Requests: what they are, whether repeating them is safe
# --------------------------------------------------------------------------------------------

_SPREADSHEET_ID = re.compile(r"/v4/spreadsheets/([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class _Call:
    """One logical request (all attempts share it)."""

    method: str
    url: str
    idempotent: bool
    started: float

    @property
    def spreadsheet_id(self) -> str | None:
        match = _SPREADSHEET_ID.search(urlsplit(self.url).path)
        return match.group(1) if match else None

    def describe(self) -> str:
        """``POST values:batchUpdate`` — what the request was, for messages and logs."""
        path = unquote(urlsplit(self.url).path)
        match = _SPREADSHEET_ID.search(path)
        what = path[match.end() :].lstrip("/") if match else path
        return f"{self.method} {what or 'spreadsheet metadata'}"


def is_idempotent(method: str, url: str, body: Mapping[str, Any] | None) -> bool:
    """True when sending the request twice has the same effect as sending it once.

    GET/PUT/DELETE are. Of the POSTs, ``values:batchUpdate`` with RAW values writes fixed
    cells (safe); clears and metadata searches are safe; ``values:append`` and the structural
    ``spreadsheets:batchUpdate`` (insert a row twice = two rows) are not.
    """
    if method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS"):
        return True
    path = urlsplit(url).path
    if path.endswith("/values:batchUpdate"):
        return (body or {}).get("valueInputOption") == "RAW"
    safe_suffixes = (":clear", "/values:batchClear", "/developerMetadata:search", "ByDataFilter")
    return path.endswith(safe_suffixes)


@dataclass(frozen=True)
class _Failure:
    """Why an attempt failed, whether another attempt is safe, and the error if we stop."""

    error: SheetsAPIError
    retryable: bool
    retry_after: float | None = None


# --------------------------------------------------------------------------------------------
# The HTTP client
# --------------------------------------------------------------------------------------------


def service_account_email(credentials: Credentials | None) -> str | None:
    """The service account's email address, when the credentials belong to one."""
    email_addr = getattr(credentials, "service_account_email", None)
    if isinstance(email_addr, str) and "@" in email_addr:
        return email_addr
    return None


def _normalise_endpoint(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(
            f"{ENDPOINT_ENV} must look like http://host:port (an emulator's address), not {value!r}"
        )
    return value.strip().rstrip("/")


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with timeouts, safe bounded retries and translated errors.

    ``sleep``, ``rng`` (returns a float in [0, 1)), ``clock`` and ``wall_clock`` are seams
    for tests. Every other argument has a production default.
    """

    def __init__(
        self,
        auth: Credentials,
        session: requests.Session | None = None,
        *,
        endpoint: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        deadline: float = DEFAULT_DEADLINE,
        backoff_base: float = 1.0,
        backoff_max: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        service_account: str | None = None,
    ) -> None:
        super().__init__(auth, session)
        if endpoint is None:
            endpoint = os.environ.get(ENDPOINT_ENV) or None
        self.endpoint = _normalise_endpoint(endpoint) if endpoint else None
        self.default_timeout: Timeout = timeout
        self.timeout = timeout
        self.retries = max(0, retries)
        self.deadline = deadline
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.service_account_email = service_account or service_account_email(auth)
        self._sleep = sleep
        self._rng = rng
        self._clock = clock
        self._wall_clock = wall_clock

    # -- the one override gspread calls for everything -------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API request, retrying only when that is safe; raise ``SheetsAPIError``."""
        url = self.rewrite_url(endpoint)
        idempotent = files is None and is_idempotent(method, url, json)
        call = _Call(method.upper(), url, idempotent, self._clock())
        attempt = 0
        while True:
            attempt += 1
            failure = self._attempt(call, params, data, json, files, headers)
            if isinstance(failure, requests.Response):
                return failure
            delay = self._retry_delay(call, attempt, failure)
            if delay is None:
                raise self._final_error(call, attempt, failure)
            log.warning(
                "Google Sheets: %s failed (%s); retrying in %.1f s (attempt %d of %d)",
                call.describe(),
                _short_reason(failure.error),
                delay,
                attempt + 1,
                self.retries + 1,
            )
            self._sleep(delay)

    def rewrite_url(self, url: str) -> str:
        """Point a Google API URL at the endpoint override, if one is set."""
        if not self.endpoint:
            return url
        for host in GOOGLE_HOSTS:
            if url.startswith(host + "/"):
                return self.endpoint + url[len(host) :]
        return url

    def effective_timeout(self) -> Timeout:
        """The timeout for the next request (gspread's ``set_timeout(None)`` cannot remove it)."""
        return self.timeout if self.timeout is not None else self.default_timeout

    # -- one attempt ---------------------------------------------------------------------------

    def _attempt(
        self,
        call: _Call,
        params: ParamsType | None,
        data: bytes | None,
        body: Mapping[str, Any] | None,
        files: FileType,
        headers: MutableMapping[str, str] | None,
    ) -> requests.Response | _Failure:
        try:
            response = self.session.request(
                method=call.method,
                url=call.url,
                json=body,
                params=params,
                data=data,
                files=files,
                headers=headers,
                timeout=self.effective_timeout(),
            )
        except auth_exceptions.RefreshError as exc:
            return _Failure(self._refresh_error(exc), retryable=False)
        except (requests.RequestException, auth_exceptions.TransportError) as exc:
            return self._network_failure(call, exc)
        if response.ok:
            return response
        return self._http_failure(call, response)

    def _retry_delay(self, call: _Call, attempt: int, failure: _Failure) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not failure.retryable or attempt > self.retries:
            return None
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        delay = ceiling * self._rng()  # "full jitter"
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        if self._clock() - call.started + delay > self.deadline:
            return None
        return delay

    # -- classifying failures ------------------------------------------------------------------

    def _http_failure(self, call: _Call, response: requests.Response) -> _Failure:
        code = response.status_code
        google_status, api_message = _error_fields(response)
        error = self._translate(call, code, google_status, api_message)
        retry_after = _parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
        if isinstance(error, SheetsQuotaExceeded) or code == 503:
            return _Failure(error, retryable=True, retry_after=retry_after)  # rejected, not applied
        if code >= 500 or code == 408:
            return _Failure(error, retryable=call.idempotent, retry_after=retry_after)
        return _Failure(error, retryable=False)

    def _network_failure(self, call: _Call, exc: Exception) -> _Failure:
        host = urlsplit(call.url).netloc
        connect, read = _split_timeout(self.effective_timeout())
        never_sent = isinstance(exc, requests.ConnectTimeout) or _connection_refused(exc)
        if isinstance(exc, requests.ConnectTimeout):
            message = (
                f"could not connect to {host} within the {connect:g} s connect timeout "
                f"({call.describe()}): check your network connection"
            )
            error: SheetsAPIError = SheetsTimeout(message)
        elif isinstance(exc, requests.Timeout):
            message = (
                f"no answer from {host} within the {read:g} s read timeout "
                f"({call.describe()}): check your network connection, or try again later"
            )
            error = SheetsTimeout(message)
        else:
            message = (
                f"could not reach {host} ({call.describe()}: {type(exc).__name__}): check your "
                f"network connection" + (f" and {ENDPOINT_ENV}" if self.endpoint else "")
            )
            error = SheetsUnavailable(message)
        retryable = never_sent or call.idempotent
        if not retryable:
            error.args = (
                f"{error.args[0]}. The request may already have been applied, so sheetsync did "
                f"not send it again; run the sync again (it re-reads the sheet first).",
            )
        return _Failure(error, retryable=retryable)

    def _refresh_error(self, exc: auth_exceptions.RefreshError) -> SheetsAccessDenied:
        detail = _safe_text(exc.args[0] if exc.args else "")
        return SheetsAccessDenied(
            f"could not get an access token from Google ({detail}): check the credentials file "
            f"(or, for OAuth, delete the cached token so sheetsync asks you to sign in again)"
        )

    # -- messages ------------------------------------------------------------------------------

    def _translate(
        self, call: _Call, code: int, google_status: str | None, api_message: str | None
    ) -> SheetsAPIError:
        text = api_message or f"HTTP {code}"
        kwargs: dict[str, Any] = {
            "status": code,
            "google_status": google_status,
            "api_message": api_message,
        }
        if code == 429 or google_status == "RESOURCE_EXHAUSTED" or _is_rate_limit(text):
            return SheetsQuotaExceeded(_quota_message(code), **kwargs)
        if code in (401, 403):
            return SheetsAccessDenied(self._access_message(call, code, text), **kwargs)
        if code == 404:
            return SheetsNotFound(_not_found_message(call), **kwargs)
        if code == 400:
            return _bad_request_error(text, kwargs)
        if code >= 500:
            return SheetsUnavailable(
                f"Google Sheets had a server error (HTTP {code}) on {call.describe()}: try "
                f"again in a few minutes",
                **kwargs,
            )
        return SheetsAPIError(
            f"Google Sheets refused {call.describe()} (HTTP {code}): {text}", **kwargs
        )

    def _access_message(self, call: _Call, code: int, text: str) -> str:
        lowered = text.lower()
        if code == 401:
            return (
                f"Google did not accept sheetsync's credentials ({text}): check the credentials "
                f"file, or for OAuth delete the cached token and sign in again"
            )
        if "has not been used" in lowered or "is disabled" in lowered:
            return (
                f"the Google Sheets API is not enabled for the Google Cloud project of these "
                f"credentials: enable it in the Cloud console (APIs & Services → Library → "
                f"Google Sheets API) and try again. Google said: {text}"
            )
        if "insufficient authentication scopes" in lowered:
            return (
                "the credentials were not granted access to Google Sheets: sign in again and "
                "allow sheetsync to see, edit, create and delete your spreadsheets"
            )
        which = f" {call.spreadsheet_id}" if call.spreadsheet_id else ""
        if self.service_account_email:
            return (
                f"sheetsync cannot open this spreadsheet{which}: share it with "
                f"{self.service_account_email} (Share → add that address as Editor)"
            )
        return (
            f"sheetsync cannot open this spreadsheet{which}: the signed-in account has no access. "
            f"Share the sheet with that account as Editor, or sign in with an account that can "
            f"edit it"
        )

    def _final_error(self, call: _Call, attempts: int, failure: _Failure) -> SheetsAPIError:
        error = failure.error
        if attempts > 1:
            elapsed = self._clock() - call.started
            error.args = (
                f"{error.args[0]} (gave up after {attempts} attempts in {elapsed:.1f} s)",
            )
        return error


def _quota_message(code: int) -> str:
    return (
        f"Google Sheets quota exceeded (HTTP {code}): wait a minute and run sheetsync again. "
        f"If it keeps happening, run it less often (fewer scheduled runs) — Google allows about "
        f"60 reads and 60 writes per minute per user"
    )


def _not_found_message(call: _Call) -> str:
    if call.spreadsheet_id:
        return (
            f"no spreadsheet with id {call.spreadsheet_id} — check the URL or id (copy it from "
            f"the browser's address bar while the sheet is open)"
        )
    return f"Google Sheets could not find what {call.describe()} asked for — check the URL or id"


_PARSE_RANGE = re.compile(r"Unable to parse range: (.+)$")
_GRID_LIMITS = re.compile(r"Range \((.+)\) exceeds grid limits")


def _bad_request_error(text: str, kwargs: dict[str, Any]) -> SheetsBadRequest:
    match = _PARSE_RANGE.search(text)
    if match:
        rng = match.group(1).strip()
        return SheetsBadRequest(
            f"Google could not use the range {rng}: check that the tab name is spelled exactly "
            f"as in the spreadsheet and that the tab still exists",
            range_=rng,
            **kwargs,
        )
    match = _GRID_LIMITS.search(text)
    if match:
        rng = match.group(1)
        return SheetsBadRequest(
            f"the range {rng} lies outside the tab's grid ({text}): the tab has fewer rows or "
            f"columns than expected — run the sync again so it re-reads the sheet",
            range_=rng,
            **kwargs,
        )
    if "not supported for this document" in text:
        return SheetsBadRequest(
            "this file is an Excel workbook stored in Google Drive, not a Google Sheet: open it "
            "and use File → Save as Google Sheets, then use the new sheet's URL (or download the "
            ".xlsx and point sheetsync at the file)",
            **kwargs,
        )
    return SheetsBadRequest(f"Google Sheets rejected the request: {text}", **kwargs)


def _error_fields(response: requests.Response) -> tuple[str | None, str | None]:
    """(status, message) from Google's error JSON; (None, None) for HTML or garbage."""
    try:
        error = response.json().get("error")
    except ValueError:
        return None, None
    if not isinstance(error, dict):
        return None, None
    status = error.get("status")
    message = error.get("message")
    return (
        status if isinstance(status, str) else None,
        _safe_text(message) if isinstance(message, str) else None,
    )


def _is_rate_limit(text: str) -> bool:
    lowered = text.lower()
    return "rate limit exceeded" in lowered or "quota exceeded" in lowered


def _parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from now (it may be seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _split_timeout(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return timeout
    return timeout, timeout


def _connection_refused(exc: Exception) -> bool:
    """True when the connection was never made (so the request was never sent)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, ConnectionRefusedError) or type(item).__name__ == "NewConnectionError":
            return True
        if isinstance(item, BaseException):
            todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
            todo.extend(arg for arg in item.args if isinstance(arg, BaseException))
    return False


def _short_reason(error: SheetsAPIError) -> str:
    if error.status is not None:
        return f"HTTP {error.status}" + (f" {error.google_status}" if error.google_status else "")
    return type(error).__name__


def _safe_text(text: object, limit: int = 300) -> str:
    """Text from Google for a message: one line, bounded, never anything key-like."""
    line = " ".join(str(text).split())
    if "PRIVATE KEY" in line or "private_key" in line:
        return "details withheld"
    return line[:limit]


# --------------------------------------------------------------------------------------------
# Signing in
# --------------------------------------------------------------------------------------------

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
            f"{path} is not a usable service-account key ({_safe_text(exc, 160)}): download a "
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
