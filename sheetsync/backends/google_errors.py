"""Google's error answers as sheetsync errors whose messages say what to do.

:func:`translate` turns a failed Sheets API response into a
:class:`~sheetsync.errors.SheetsAPIError` subclass (quota, access, not found, bad request,
unavailable); :func:`safe_text` makes any text from Google fit for a message (one line,
bounded, never key material). Whether a failure may be retried is decided by the client in
:mod:`sheetsync.backends.google_http`.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from sheetsync.errors import (
    SheetsAccessDenied,
    SheetsAPIError,
    SheetsBadRequest,
    SheetsNotFound,
    SheetsQuotaExceeded,
    SheetsUnavailable,
)


def translate(
    response: requests.Response,
    *,
    what: str,
    spreadsheet_id: str | None = None,
    service_account: str | None = None,
) -> SheetsAPIError:
    """The error for a failed response, with a message that says what to do.

    ``what`` names the request (``POST values:batchUpdate``), ``spreadsheet_id`` the sheet it
    was for, ``service_account`` the address to share the sheet with (when signed in as one).
    """
    code = response.status_code
    google_status, api_message = _error_fields(response)
    text = api_message or f"HTTP {code}"
    kwargs: dict[str, Any] = {
        "status": code,
        "google_status": google_status,
        "api_message": api_message,
    }
    if code == 429 or google_status == "RESOURCE_EXHAUSTED" or _is_rate_limit(text):
        return SheetsQuotaExceeded(_quota_message(code), **kwargs)
    if code in (401, 403):
        return SheetsAccessDenied(
            _access_message(spreadsheet_id, service_account, code, text), **kwargs
        )
    if code == 404:
        return SheetsNotFound(_not_found_message(what, spreadsheet_id), **kwargs)
    if code == 400:
        return _bad_request_error(text, kwargs)
    if code >= 500:
        return SheetsUnavailable(
            f"Google Sheets had a server error (HTTP {code}) on {what}: try again in a few minutes",
            **kwargs,
        )
    return SheetsAPIError(f"Google Sheets refused {what} (HTTP {code}): {text}", **kwargs)


def _access_message(
    spreadsheet_id: str | None, service_account: str | None, code: int, text: str
) -> str:
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
    which = f" {spreadsheet_id}" if spreadsheet_id else ""
    if service_account:
        return (
            f"sheetsync cannot open this spreadsheet{which}: share it with "
            f"{service_account} (Share → add that address as Editor)"
        )
    return (
        f"sheetsync cannot open this spreadsheet{which}: the signed-in account has no access. "
        f"Share the sheet with that account as Editor, or sign in with an account that can "
        f"edit it"
    )


def _quota_message(code: int) -> str:
    return (
        f"Google Sheets quota exceeded (HTTP {code}): wait a minute and run sheetsync again. "
        f"If it keeps happening, run it less often (fewer scheduled runs) — Google allows about "
        f"60 reads and 60 writes per minute per user"
    )


def _not_found_message(what: str, spreadsheet_id: str | None) -> str:
    if spreadsheet_id:
        return (
            f"no spreadsheet with id {spreadsheet_id} — check the URL or id (copy it from "
            f"the browser's address bar while the sheet is open)"
        )
    return f"Google Sheets could not find what {what} asked for — check the URL or id"


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
        safe_text(message) if isinstance(message, str) else None,
    )


def _is_rate_limit(text: str) -> bool:
    lowered = text.lower()
    return "rate limit exceeded" in lowered or "quota exceeded" in lowered


def safe_text(text: object, limit: int = 300) -> str:
    """Text from Google for a message: one line, bounded, never anything key-like."""
    line = " ".join(str(text).split())
    if "PRIVATE KEY" in line or "private_key" in line:
        return "details withheld"
    return line[:limit]
