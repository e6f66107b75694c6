"""Which sources are Google Sheets: a Sheets URL or ``gsheet:<id>`` gives the spreadsheet id.

Kept apart from :mod:`sheetsync.backends.google_http` so that telling a Google source from a
file path does not load gspread and google-auth (an .xlsx check never needs them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from sheetsync.errors import ConfigError

_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_SHEET_PATH = re.compile(r"/spreadsheets?/(?:u/\d+/)?d/(e/)?([A-Za-z0-9_-]+)")
_GOOGLE_DOC_HOSTS = ("docs.google.com", "drive.google.com")


def parse_source(text: str) -> str | None:
    """The spreadsheet id in a Google Sheets URL or ``gsheet:<id>``; None for other sources.

    Raises ``ConfigError`` for something that is clearly meant as a Google source but cannot
    be opened through the API (a bad id, a "publish to web" link, the Sheets home page).
    """
    value = text.strip()
    if value.lower().startswith("gsheet:"):
        sheet_id = value[len("gsheet:") :].strip()
        if not _ID.match(sheet_id):
            raise ConfigError(
                f"{text!r} is not a valid gsheet: source — use gsheet:<id>, where <id> is the "
                f"long code between /d/ and /edit in the sheet's URL"
            )
        return sheet_id
    if "google.com" not in value.lower():
        return None  # a file path (which may hold brackets, spaces, anything)
    try:
        parts = urlsplit(value if "://" in value else "https://" + value)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in _GOOGLE_DOC_HOSTS:
        return None
    return _id_from_google_url(text, parts.path, parse_qs(parts.query))


def _id_from_google_url(text: str, path: str, query: Mapping[str, list[str]]) -> str:
    match = _SHEET_PATH.search(path)
    if match and match.group(1):
        raise ConfigError(
            f"{text!r} is a 'Publish to the web' link, which the API cannot open: use the "
            f"sheet's own address (…/spreadsheets/d/<id>/edit) instead"
        )
    if match:
        return match.group(2)
    for key in ("key", "id"):
        values = query.get(key)
        if values and _ID.match(values[0]):
            return values[0]
    raise ConfigError(
        f"{text!r} is a Google address but not a spreadsheet: open the sheet in the browser and "
        f"copy the address that contains /spreadsheets/d/<id>/"
    )
