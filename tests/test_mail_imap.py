"""Mail evidence from a real IMAP server: Dovecot on 127.0.0.1 (see tests/dovecot.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from sheetsync.mail.config import MailConfig, parse_source
from sheetsync.mail.imap import cache_file, scan
from sheetsync.mail.sources import MailUnavailable

from .cli_runner import Result
from .conftest import save_rows
from .dovecot import PASSWORD, CuttingProxy, Dovecot, make_server
from .mailboxes import (
    ME,
    SCENARIO,
    SECRET_BODY,
    SECRET_SUBJECT,
    TRACKER_HEADERS,
    TRACKER_ROWS,
    received,
    sent,
)
from .test_mail_local import TODAY, WITH_MAIL, WITHOUT_MAIL, findings

ENV = "SHEETSYNC_TEST_MAIL_PASSWORD"
CONTACTS = sorted(
    {"ann@lab.org", "bo@corp.com", "cy@uni.edu", "cy.diaz@gmail.com", "di@bio.com"}
    | {"ed@old.org", "flo@x.org"}
)


@pytest.fixture
def server(dovecot_factory: list[Dovecot], monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    made = make_server(SCENARIO)
    dovecot_factory.append(made)
    made.start()
    monkeypatch.setenv(ENV, PASSWORD)
    return made


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return save_rows(tmp_path / "tracker.xlsx", [TRACKER_HEADERS, *TRACKER_ROWS])


def mail_config(server: Dovecot, state: Path, **changes: object) -> MailConfig:
    values: dict[str, object] = {
        "source": parse_source(server.source()),
        "me": ME,
        "password_env": ENV,
        "cafile": str(server.cafile),
        "cache_dir": str(state),
    }
    values.update(changes)
    return MailConfig(**values)  # type: ignore[arg-type]


def write_config(folder: Path, server: Dovecot, source: str | None = None) -> None:
    (folder / "sheetsync.toml").write_text(
        "[mail]\n"
        f'source = "{source or server.source()}"\n'
        f"me = {json.dumps(list(ME))}\n"
        f'password_env = "{ENV}"\n'
        f'cafile = "{server.cafile}"\n'
        f'cache_dir = "{folder / "state"}"\n',
        encoding="utf-8",
    )


def mail_notes(result: Result) -> list[str]:
    return [w for w in json.loads(result.out)["warnings"] if w.startswith("mail evidence")]


def test_imap_evidence_gives_the_same_findings_as_the_mbox(
    cli: Callable[..., Result], server: Dovecot, tracker: Path, tmp_path: Path
) -> None:
    write_config(tmp_path, server)
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert mail_notes(result) == []
    assert findings(result) == WITH_MAIL


def test_the_cache_holds_dates_and_directions_only(server: Dovecot, tmp_path: Path) -> None:
    config = mail_config(server, tmp_path / "state")
    scan(config, CONTACTS)
    text = cache_file(config).read_text(encoding="utf-8")
    assert SECRET_SUBJECT not in text and SECRET_BODY not in text
    assert "Someone" not in text  # no display names
    assert "stranger@spam.example" not in text  # nobody outside the tracker
    data = json.loads(text)
    assert sorted(data["folders"]) == ["INBOX", "Sent"]
    assert data["folders"]["INBOX"]["events"]["ann@lab.org"][0][:2] == ["2026-03-05", "in"]
    assert oct(cache_file(config).stat().st_mode & 0o777) == "0o600"


def test_the_second_scan_asks_only_for_what_is_new(server: Dovecot, tmp_path: Path) -> None:
    config = mail_config(server, tmp_path / "state")
    first, stats1 = scan(config, CONTACTS)
    again, stats2 = scan(config, CONTACTS)
    assert again.events == first.events
    assert (stats1.matched, stats2.matched) == (11, 0)
    assert stats2.round_trips == 3  # LIST and two SELECTs: UIDNEXT says nothing is new
    server.add([received("ed@old.org", "2026-03-12"), sent("zed@new.org", "2026-03-13")])
    third, stats3 = scan(config, CONTACTS)
    # a few new messages: their headers are fetched by UID (one FETCH per folder), and only
    # what concerns a contact is kept
    assert (stats3.matched, stats3.round_trips) == (2, 5)
    assert "zed@new.org" not in cache_file(config).read_text()
    assert {(e.day.isoformat(), e.direction) for e in third.events["ed@old.org"]} == {
        ("2026-01-10", "in"),
        ("2026-03-03", "out"),
        ("2026-03-12", "in"),
    }
    # a contact added to the tracker is searched over the whole folder, the others are not
    fourth, stats4 = scan(config, [*CONTACTS, "zed@new.org"])
    assert stats4.matched == 1
    assert [(e.day.isoformat(), e.direction) for e in fourth.events["zed@new.org"]] == [
        ("2026-03-13", "out")
    ]


def test_a_changed_uidvalidity_resets_that_folder(server: Dovecot, tmp_path: Path) -> None:
    config = mail_config(server, tmp_path / "state")
    first, _ = scan(config, CONTACTS)
    server.set_uidvalidity("Sent", 12345)
    again, stats = scan(config, CONTACTS)
    assert stats.resets == ["Sent"]
    assert stats.matched == 6  # the Sent folder's messages to contacts, fetched again
    assert again.events == first.events


def test_a_dropped_connection_mid_search_is_a_note_and_the_next_run_resumes(
    cli: Callable[..., Result], server: Dovecot, tracker: Path, tmp_path: Path
) -> None:
    proxy = CuttingProxy(server.imap_port, b"SEARCH", nth=2)  # cut during the 2nd folder
    try:
        write_config(tmp_path, server, server.source(tls=False, port=proxy.port))
        result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert findings(result) == WITHOUT_MAIL
    [note] = mail_notes(result)
    assert note.startswith("mail evidence not used this run: the connection to 127.0.0.1 failed")
    cached = json.loads(next((tmp_path / "state").glob("imap-*.json")).read_text())
    assert sorted(cached["folders"]) == ["INBOX"]  # the first folder's work was kept
    write_config(tmp_path, server, server.source(tls=False))
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert findings(result) == WITH_MAIL


def test_a_wrong_password_is_a_note_and_the_check_goes_on(
    cli: Callable[..., Result],
    server: Dovecot,
    tracker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "not-the-password")
    write_config(tmp_path, server)
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert findings(result) == WITHOUT_MAIL
    assert mail_notes(result) == [
        "mail evidence not used this run: the mail server 127.0.0.1:"
        f"{server.imaps_port} refused the login for me@uni.edu: wrong password? (Gmail and "
        "Outlook need an app password, or oauth2_command.)"
    ]


def test_an_untrusted_certificate_is_refused(server: Dovecot, tmp_path: Path) -> None:
    config = mail_config(server, tmp_path / "state", cafile=None)
    with pytest.raises(MailUnavailable) as info:
        scan(config, CONTACTS)
    assert f"TLS with 127.0.0.1:{server.imaps_port} failed" in str(info.value)
    assert "set mail.cafile" in str(info.value)


def test_an_unreachable_server_is_a_clear_message(server: Dovecot, tmp_path: Path) -> None:
    server.stop()
    config = mail_config(server, tmp_path / "state")
    with pytest.raises(MailUnavailable) as info:
        scan(config, CONTACTS)
    assert str(info.value).startswith(f"cannot reach the mail server 127.0.0.1:{server.imaps_port}")


def test_a_missing_password_variable_says_which(
    server: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    config = mail_config(server, tmp_path / "state")
    with pytest.raises(Exception) as info:
        scan(config, CONTACTS)
    assert f"mail.password_env names ${ENV}, which is not set" in str(info.value)


def test_xoauth2_token_comes_from_the_command(server: Dovecot, tmp_path: Path) -> None:
    """Dovecot here has no OAuth2 backend: the token is sent and refused, which proves the
    command ran and XOAUTH2 was used instead of the password."""
    command = "echo token-from-command"
    config = mail_config(server, tmp_path / "state", oauth2_command=command)
    with pytest.raises(MailUnavailable) as info:
        scan(config, CONTACTS)
    assert "refused the login" in str(info.value)


def test_doctor_says_what_the_mailbox_shows(
    cli: Callable[..., Result], server: Dovecot, tracker: Path, tmp_path: Path
) -> None:
    write_config(tmp_path, server)
    result = cli("doctor", str(tracker), "--today", TODAY)
    assert result.code == 0, result.out
    [line] = [ln for ln in result.out.splitlines() if "Mail:" in ln]
    assert (
        "Mail: signed in to 127.0.0.1 as me@uni.edu; Sent folder 'Sent' found; 12 messages "
        "in INBOX, Sent searched in " in line
    )
    assert line.endswith("(11 from or to the first 7 contacts)")
    assert not (tmp_path / "state").exists()  # doctor changed nothing


def test_doctor_warns_on_a_wrong_password_and_sync_still_runs(
    cli: Callable[..., Result],
    server: Dovecot,
    tracker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "wrong")
    write_config(tmp_path, server)
    result = cli("doctor", str(tracker), "--today", TODAY)
    assert result.code == 0, result.out
    assert "! Mail: the mail server 127.0.0.1" in result.out
    assert "Sync still runs, without mail evidence." in result.out
    sync = cli("sync", str(tracker), "--today", TODAY)
    assert sync.code == 0
    assert "mail evidence not used this run: the mail server 127.0.0.1" in sync.err + sync.out


def test_gmail_style_all_mail_is_searched_alone(
    dovecot_factory: list[Dovecot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gmail keeps every message, sent or received, in All Mail (marked \\All): one folder
    to search, and Sent is not searched a second time."""
    everything = [replace(m, folder="All Mail") for m in SCENARIO]
    server = make_server([*everything, sent("ann@lab.org", "2026-03-03")])
    dovecot_factory.append(server)
    server.start()
    monkeypatch.setenv(ENV, PASSWORD)
    evidence, stats = scan(mail_config(server, tmp_path / "state"), CONTACTS)
    assert stats.folders == ["All Mail"]
    assert stats.sent_folder == "Sent"
    days = sorted((e.day.isoformat(), e.direction) for e in evidence.events["ann@lab.org"])
    # one "out" on the 3rd: the copy in Sent (another message) was not searched
    assert days == [("2026-03-03", "out"), ("2026-03-05", "in"), ("2026-03-20", "in")]
