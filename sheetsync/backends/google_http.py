"""The HTTP client sheetsync talks to Google Sheets through.

``SheetsHTTPClient`` is a ``gspread`` HTTP client with a timeout on every request, bounded
retries (exponential backoff with full jitter, ``Retry-After`` honoured, an overall deadline)
that never repeats a request which may already have been applied, an endpoint override for
emulators (``SHEETSYNC_SHEETS_ENDPOINT=http://host:port``), and errors translated into
``sheetsync.errors.GoogleError`` subclasses whose messages say what to do
(:mod:`sheetsync.backends.google_errors`).

Signing in is :mod:`sheetsync.backends.google_auth`; telling a Google source from a file path
is :mod:`sheetsync.backends.google_source`.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from gspread.http_client import FileType, HTTPClient, ParamsType

from sheetsync.backends import google_errors
from sheetsync.backends.google_errors import safe_text
from sheetsync.errors import (
    ConfigError,
    SheetsAccessDenied,
    SheetsAPIError,
    SheetsQuotaExceeded,
    SheetsTimeout,
    SheetsUnavailable,
)

log = logging.getLogger("sheetsync")

ENDPOINT_ENV = "SHEETSYNC_SHEETS_ENDPOINT"
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
DEFAULT_RETRIES = 5
DEFAULT_DEADLINE = 120.0

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
        error = google_errors.translate(
            response,
            what=call.describe(),
            spreadsheet_id=call.spreadsheet_id,
            service_account=self.service_account_email,
        )
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
        detail = safe_text(exc.args[0] if exc.args else "")
        return SheetsAccessDenied(
            f"could not get an access token from Google ({detail}): check the credentials file "
            f"(or, for OAuth, delete the cached token so sheetsync asks you to sign in again)"
        )

    def _final_error(self, call: _Call, attempts: int, failure: _Failure) -> SheetsAPIError:
        error = failure.error
        if attempts > 1:
            elapsed = self._clock() - call.started
            error.args = (
                f"{error.args[0]} (gave up after {attempts} attempts in {elapsed:.1f} s)",
            )
        return error


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
