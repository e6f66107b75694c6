"""The real Google Sheets API, only when real credentials are given (never in CI).

Set ``SHEETSYNC_LIVE_SHEET`` to a spreadsheet id (or URL) shared with the service account
whose key ``GOOGLE_APPLICATION_CREDENTIALS`` points at, and run
``pytest tests/test_live_google.py``. The test reads the sheet and plans a sync (dry run): it
writes nothing to your sheet.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from sheetsync import pipeline
from sheetsync.config import Settings

SHEET = os.environ.get("SHEETSYNC_LIVE_SHEET", "")
KEY = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")

pytestmark = pytest.mark.skipif(
    not (SHEET and KEY) or bool(os.environ.get("SHEETSYNC_SHEETS_ENDPOINT")),
    reason="set SHEETSYNC_LIVE_SHEET and GOOGLE_APPLICATION_CREDENTIALS to run against Google",
)


def test_live_sheet_can_be_checked_and_planned() -> None:
    source = SHEET if "/" in SHEET or SHEET.startswith("gsheet:") else f"gsheet:{SHEET}"
    settings = Settings(google_credentials=KEY, google_auth="service-account")
    backend = pipeline.open_backend(source, settings)
    result = pipeline.sync(backend, settings, dt.date.today(), dry_run=True)
    assert result.rows_read >= 0 and not result.written
    assert result.worksheet
