"""sheetsync's Google HTTP client against the local emulator (real HTTP on loopback).

Time is never slept for real: ``sleep`` is a recording seam and ``rng`` a fixed jitter. The
only real waits are sub-second read timeouts against a deliberately slow emulator.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gspread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials

from sheetsync.backends.google_auth import (
    SHEETS_SCOPE,
    open_client,
    warn_if_readable_by_others,
)
from sheetsync.backends.google_http import (
    ENDPOINT_ENV,
    SheetsHTTPClient,
    is_idempotent,
    service_account_email,
)
from sheetsync.backends.google_source import parse_source
from sheetsync.errors import (
    ConfigError,
    GoogleError,
    SheetsAccessDenied,
    SheetsBadRequest,
    SheetsNotFound,
    SheetsQuotaExceeded,
    SheetsTimeout,
    SheetsUnavailable,
)
from tests.sheets_emulator import SheetsEmulator, emulator

__all__ = ["emulator"]  # the fixture, imported for pytest

SA_EMAIL = "sheetsync-bot@demo-project.iam.gserviceaccount.com"


class Clock:
    """A monotonic clock that only moves when the client "sleeps"; records the sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def http_client(emu: SheetsEmulator, clock: Clock, **kwargs: Any) -> SheetsHTTPClient:
    options: dict[str, Any] = {
        "endpoint": emu.url,
        "sleep": clock.sleep,
        "clock": clock,
        "rng": lambda: 0.5,
    }
    options.update(kwargs)
    return SheetsHTTPClient(AnonymousCredentials(), **options)  # type: ignore[no-untyped-call]


def book(emu: SheetsEmulator, **kwargs: Any) -> str:
    return emu.add_spreadsheet(
        "Tracker", {"Contacts": [["Name", "Email"], ["Ann", "ann@example.org"]]}, **kwargs
    )


# -- retries ---------------------------------------------------------------------------------------


def test_retries_429_then_succeeds(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.fail_next(3, 429)
    got = http_client(emulator, clock).values_get(sid, "Contacts!A1:B2")
    assert got["values"][1] == ["Ann", "ann@example.org"]
    assert emulator.count("values.get") == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]  # full jitter (rng 0.5) under 1, 2, 4 s ceilings


def test_gives_up_after_the_limit_with_the_quota_message(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.fail_next(10, 429)
    with pytest.raises(SheetsQuotaExceeded) as caught:
        http_client(emulator, clock, retries=2).values_batch_get(sid, ["Contacts"])
    assert caught.value.status == 429
    assert caught.value.google_status == "RESOURCE_EXHAUSTED"
    assert "wait a minute" in str(caught.value)
    assert "less often" in str(caught.value)
    assert "3 attempts" in str(caught.value)
    assert emulator.count("values.batchGet") == 3
    assert isinstance(caught.value, GoogleError)


def test_retry_after_seconds_is_honoured(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.fail_next(1, 429, retry_after=7)
    http_client(emulator, clock).values_get(sid, "Contacts")
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    now = 1_800_000_000.0
    emulator.fail_next(1, 503, retry_after=email.utils.formatdate(now + 30, usegmt=True))
    http_client(emulator, clock, wall_clock=lambda: now).values_get(sid, "Contacts")
    assert clock.sleeps == [30.0]


def test_overall_deadline_stops_retrying(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.fail_next(20, 503)
    client = http_client(emulator, clock, retries=10, deadline=5.0, rng=lambda: 1.0)
    with pytest.raises(SheetsUnavailable) as caught:
        client.values_get(sid, "Contacts")
    assert clock.sleeps == [1.0, 2.0]  # the next wait (4 s) would pass the 5 s deadline
    assert caught.value.status == 503
    assert emulator.count("values.get") == 3


def test_500_then_success_and_html_502(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.fail_next(1, 500)
    emulator.fail_next(1, 502)  # Google's front end answers 502 with an HTML page
    got = http_client(emulator, clock).values_get(sid, "Contacts!A1")
    assert got["values"] == [["Name"]]
    assert emulator.count("values.get") == 3


def test_structural_batch_update_is_not_repeated_after_a_timeout(emulator: SheetsEmulator) -> None:
    sid = book(emulator, grid=(10, 5))
    clock = Clock()
    emulator.delay_next(0.6, op="spreadsheets.batchUpdate", after_apply=True)
    client = http_client(emulator, clock, timeout=(2.0, 0.2))
    request = {
        "insertDimension": {
            "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 5, "endIndex": 6}
        }
    }
    with pytest.raises(SheetsTimeout) as caught:
        client.batch_update(sid, {"requests": [request]})
    assert emulator.count("spreadsheets.batchUpdate") == 1
    assert clock.sleeps == []
    assert "may already have been applied" in str(caught.value)
    assert "0.2 s read timeout" in str(caught.value)
    assert caught.value.status is None
    # ...and indeed it was: repeating it would have added a second column.
    assert emulator.sheet_properties(sid, "Contacts")["gridProperties"]["columnCount"] == 6


def test_structural_batch_update_is_retried_after_429(emulator: SheetsEmulator) -> None:
    sid = book(emulator, grid=(10, 5))
    clock = Clock()
    emulator.fail_next(1, 429, op="spreadsheets.batchUpdate")
    request = {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 1}}
    http_client(emulator, clock).batch_update(sid, {"requests": [request]})
    assert emulator.count("spreadsheets.batchUpdate") == 2
    assert emulator.sheet_properties(sid, "Contacts")["gridProperties"]["columnCount"] == 6


def test_raw_values_batch_update_is_retried_after_a_timeout(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.delay_next(0.6, op="values.batchUpdate")
    client = http_client(emulator, clock, timeout=(2.0, 0.2))
    body = {"valueInputOption": "RAW", "data": [{"range": "Contacts!C2", "values": [["due"]]}]}
    client.values_batch_update(sid, body)
    assert emulator.count("values.batchUpdate") == 2
    assert emulator.cell(sid, "Contacts", "C2") == "due"


@pytest.mark.parametrize(
    ("op", "call"),
    [
        (
            "values.append",
            lambda c, sid: c.values_append(
                sid, "Contacts!A1", {"valueInputOption": "RAW"}, {"values": [["x"]]}
            ),
        ),
        (
            "values.batchUpdate",
            lambda c, sid: c.values_batch_update(
                sid,
                {
                    "valueInputOption": "USER_ENTERED",
                    "data": [{"range": "Contacts!C2", "values": [["x"]]}],
                },
            ),
        ),
    ],
)
def test_non_idempotent_writes_not_repeated_after_connection_reset(
    emulator: SheetsEmulator, op: str, call: Callable[[SheetsHTTPClient, str], Any]
) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.reset_connection_next(op=op, after_apply=True)
    with pytest.raises(SheetsUnavailable, match="may already have been applied"):
        call(http_client(emulator, clock), sid)
    assert emulator.count(op) == 1
    assert clock.sleeps == []


def test_get_is_retried_after_connection_reset(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.reset_connection_next()
    assert http_client(emulator, clock).values_get(sid, "Contacts!A1")["values"] == [["Name"]]
    assert emulator.count("values.get") == 2


def test_slow_response_times_out_with_a_clear_message(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    clock = Clock()
    emulator.delay_next(0.5, n=5)
    client = http_client(emulator, clock, timeout=(2.0, 0.1), retries=1)
    client.set_timeout(None)  # gspread's way to remove the timeout: ours stays in force
    with pytest.raises(SheetsTimeout) as caught:  # each answer comes 0.5 s late: too late
        client.values_get(sid, "Contacts")
    message = str(caught.value)
    assert "0.1 s read timeout" in message
    assert "check your network connection" in message
    assert "GET values/Contacts" in message
    assert emulator.count("values.get") == 2  # a GET may be repeated


def test_unreachable_endpoint_is_retried_then_named(emulator: SheetsEmulator) -> None:
    clock = Clock()
    url = emulator.url
    emulator.stop()
    client = SheetsHTTPClient(
        AnonymousCredentials(), endpoint=url, sleep=clock.sleep, clock=clock, retries=2
    )  # type: ignore[no-untyped-call]
    with pytest.raises(SheetsUnavailable) as caught:
        client.batch_update("abc", {"requests": []})
    assert len(clock.sleeps) == 2  # never connected, so even a structural POST is safe to resend
    assert ENDPOINT_ENV in str(caught.value)


# -- error translation -----------------------------------------------------------------------------


def test_404_names_the_id(emulator: SheetsEmulator) -> None:
    client = open_client(auth="anonymous", endpoint=emulator.url)
    with pytest.raises(SheetsNotFound) as caught:
        client.open_by_key("1missingSpreadsheetId0000")
    assert caught.value.status == 404
    assert str(caught.value) == (
        "no spreadsheet with id 1missingSpreadsheetId0000 — check the URL or id (copy it from "
        "the browser's address bar while the sheet is open)"
    )


def test_400_bad_range_names_the_range(emulator: SheetsEmulator) -> None:
    sid = book(emulator)
    client = open_client(auth="anonymous", endpoint=emulator.url)
    with pytest.raises(SheetsBadRequest) as caught:
        client.http_client.values_get(sid, "'Contats'!A1:B2")
    assert caught.value.range == "'Contats'!A1:B2"
    assert caught.value.status == 400
    assert "'Contats'!A1:B2" in str(caught.value)
    assert "tab name" in str(caught.value)


def test_403_without_a_known_account_is_generic(emulator: SheetsEmulator) -> None:
    sid = book(emulator, shared=False)
    with pytest.raises(SheetsAccessDenied) as caught:
        open_client(auth="anonymous", endpoint=emulator.url).open_by_key(sid)
    assert caught.value.status == 403
    assert "Share the sheet" in str(caught.value)


# -- service accounts, through the emulator's token endpoint ---------------------------------------


def write_key(path: Path, token_uri: str, mode: int = 0o600) -> Path:
    """A fake service-account key with a freshly generated RSA key (never a real one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": SA_EMAIL,
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    path.chmod(mode)
    return path


def test_403_names_the_service_account_email(emulator: SheetsEmulator, tmp_path: Path) -> None:
    sid = book(emulator, shared=False)
    key = write_key(tmp_path / "key.json", emulator.token_uri)
    client = open_client(credentials_file=str(key), auth="service-account", endpoint=emulator.url)
    assert client.http_client.service_account_email == SA_EMAIL
    assert client.http_client.auth.scopes == [SHEETS_SCOPE]
    with pytest.raises(SheetsAccessDenied) as caught:
        client.open_by_key(sid)
    message = str(caught.value)
    assert message == (
        f"sheetsync cannot open this spreadsheet {sid}: share it with {SA_EMAIL} "
        f"(Share → add that address as Editor)"
    )
    assert list(emulator.token_emails.values()) == [SA_EMAIL]  # a real JWT grant was made
    emulator.set_shared(sid, True)
    assert client.open_by_key(sid).title == "Tracker"


def test_auto_mode_reads_google_application_credentials(
    emulator: SheetsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = write_key(tmp_path / "key.json", emulator.token_uri)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    client = open_client()
    assert service_account_email(client.http_client.auth) == SA_EMAIL
    assert client.http_client.endpoint is None
    adc = open_client(auth="adc")  # google.auth.default() finds the same key
    assert service_account_email(adc.http_client.auth) == SA_EMAIL


def test_endpoint_env_var_means_anonymous(
    emulator: SheetsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = book(emulator)
    monkeypatch.setenv(ENDPOINT_ENV, emulator.url + "/")
    client = open_client()
    assert isinstance(client.http_client.auth, AnonymousCredentials)
    assert client.open_by_key(sid).title == "Tracker"
    assert emulator.ops() == ["spreadsheets.get"]
    assert "Authorization" not in str(emulator.requests)


def test_key_file_readable_by_others_is_warned_about(
    emulator: SheetsEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.name == "nt":
        pytest.skip("POSIX permissions")
    private = write_key(tmp_path / "private.json", emulator.token_uri, 0o600)
    shared = write_key(tmp_path / "shared.json", emulator.token_uri, 0o644)
    with caplog.at_level(logging.WARNING, logger="sheetsync"):
        assert warn_if_readable_by_others(private) is False
        open_client(credentials_file=str(shared), auth="service-account", endpoint=emulator.url)
    warnings = [r.getMessage() for r in caplog.records if r.name == "sheetsync"]
    assert len(warnings) == 1
    assert "chmod 600" in warnings[0] and "shared.json" in warnings[0]
    assert "PRIVATE KEY" not in caplog.text


def test_oauth_uses_the_cached_token_without_a_browser(tmp_path: Path) -> None:
    cache = tmp_path / "authorized_user.json"
    cache.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "id.apps.googleusercontent.com",
                "client_secret": "not-a-secret",
                "refresh_token": "not-a-token",
            }
        ),
        encoding="utf-8",
    )
    cache.chmod(0o600)

    def no_browser(**_: Any) -> Any:
        raise AssertionError("the browser flow must not run when a token is cached")

    client = open_client(
        auth="oauth", endpoint="", authorized_user_file=str(cache), oauth_flow=no_browser
    )
    assert client.http_client.auth.scopes == [SHEETS_SCOPE]
    assert client.http_client.service_account_email is None


def test_bad_configuration_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        open_client(
            credentials_file=str(tmp_path / "nope.json"), auth="service-account", endpoint=""
        )
    with pytest.raises(ConfigError, match="must look like http://host:port"):
        open_client(auth="anonymous", endpoint="localhost:8080")
    with pytest.raises(ConfigError, match="auth must be one of"):
        open_client(auth="magic")
    wrong = tmp_path / "client.json"
    wrong.write_text(json.dumps({"installed": {"client_id": "x"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a service-account key"):
        open_client(credentials_file=str(wrong), auth="service-account", endpoint="")


# -- pure helpers ----------------------------------------------------------------------------------

SHEET_ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0", SHEET_ID),
        (f"https://docs.google.com/spreadsheets/u/1/d/{SHEET_ID}/edit?usp=sharing", SHEET_ID),
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}", SHEET_ID),
        (f"  docs.google.com/spreadsheets/d/{SHEET_ID}/edit?gid=123#gid=123  ", SHEET_ID),
        (f"https://docs.google.com/spreadsheet/ccc?key={SHEET_ID}&hl=en", SHEET_ID),
        (f"gsheet:{SHEET_ID}", SHEET_ID),
        (f"GSHEET: {SHEET_ID}", SHEET_ID),
        ("tracker.xlsx", None),
        ("Networking Tracker (2026).xlsx", None),
        ("https://example.org/spreadsheets/d/abc/edit", None),
    ],
)
def test_parse_source(text: str, expected: str | None) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "gsheet:",
        "gsheet:not an id",
        "https://docs.google.com/spreadsheets/d/e/2PACX-1vQexample/pubhtml",
        "https://docs.google.com/spreadsheets/u/0/",
    ],
)
def test_parse_source_rejects_unusable_google_sources(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_source(text)


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/v4/spreadsheets/x/values:batchGet", None, True),
        ("PUT", "/v4/spreadsheets/x/values/A1", None, True),
        ("POST", "/v4/spreadsheets/x/values:batchUpdate", {"valueInputOption": "RAW"}, True),
        (
            "POST",
            "/v4/spreadsheets/x/values:batchUpdate",
            {"valueInputOption": "USER_ENTERED"},
            False,
        ),
        ("POST", "/v4/spreadsheets/x/values/A1:append", None, False),
        ("POST", "/v4/spreadsheets/x:batchUpdate", {"requests": []}, False),
        ("POST", "/v4/spreadsheets/x/values:batchClear", None, True),
        ("POST", "/v4/spreadsheets/x/developerMetadata:search", None, True),
    ],
)
def test_idempotency(method: str, path: str, body: dict[str, Any] | None, expected: bool) -> None:
    assert is_idempotent(method, "https://sheets.googleapis.com" + path, body) is expected


def test_rewrite_only_touches_google_hosts() -> None:
    client = SheetsHTTPClient(AnonymousCredentials(), endpoint="http://127.0.0.1:9")  # type: ignore[no-untyped-call]
    assert (
        client.rewrite_url("https://sheets.googleapis.com/v4/spreadsheets/x")
        == "http://127.0.0.1:9/v4/spreadsheets/x"
    )
    assert (
        client.rewrite_url("https://www.googleapis.com/drive/v3/files/x")
        == "http://127.0.0.1:9/drive/v3/files/x"
    )
    assert client.rewrite_url("https://example.org/v4/x") == "https://example.org/v4/x"
    assert client.effective_timeout() == (10.0, 60.0)
    assert isinstance(gspread.Client(AnonymousCredentials()).http_client, gspread.HTTPClient)  # type: ignore[no-untyped-call]
