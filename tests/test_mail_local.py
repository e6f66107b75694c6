"""Mail evidence from local mailboxes (mbox, Maildir), end to end through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from sheetsync import frame, layout
from sheetsync.errors import ConfigError
from sheetsync.mail.config import parse_config, parse_source
from sheetsync.mail.evidence import MAIL_COLUMNS, Event, Evidence, attach

from .cli_runner import Result
from .conftest import grid_of, save_rows
from .mailboxes import ME, SCENARIO, TRACKER_HEADERS, TRACKER_ROWS, write_maildir, write_mbox
from .sheets_emulator import SheetsEmulator

TODAY = "2026-03-16"
WITHOUT_MAIL = [
    (2, "follow-up-7b"),
    (3, "thank-you-missing"),
    (5, "follow-up-7b"),
    (6, "follow-up-7b"),
    (7, "stale-contact"),
    (8, "follow-up-7b"),
]
WITH_MAIL = [
    (2, "record-reply"),
    (4, "record-outreach"),
    (5, "record-reply"),
    (6, "follow-up-7b"),
    (8, "follow-up-7b"),
]


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return save_rows(tmp_path / "tracker.xlsx", [TRACKER_HEADERS, *TRACKER_ROWS])


def write_config(folder: Path, source: str, **extra: str) -> Path:
    lines = ["[mail]", f'source = "{source}"', f"me = {json.dumps(list(ME))}"]
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    path = folder / "sheetsync.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def findings(result: Result) -> list[tuple[int, str]]:
    data = json.loads(result.out)
    return sorted((f["row"], f["rule"]) for f in data["findings"])


def test_without_mail_the_sheet_alone_decides(cli: Callable[..., Result], tracker: Path) -> None:
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert findings(result) == WITHOUT_MAIL


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_mail_evidence_changes_the_findings(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path, kind: str
) -> None:
    if kind == "mbox":
        box = write_mbox(tmp_path / "takeout.mbox", SCENARIO)
    else:
        box = write_maildir(tmp_path / "Maildir", SCENARIO)
    write_config(tmp_path, f"{kind}:{box}")
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert findings(result) == WITH_MAIL
    messages = {f["row"]: f["message"] for f in json.loads(result.out)["findings"]}
    assert (
        messages[2] == "Ann Lee replied by e-mail on Thu 05 Mar: record it in 'Response' (cell E2)"
    )
    assert messages[4] == (
        "You wrote to Cy Diaz on Mon 09 Mar: add it to 'Date Contacted' (cell D4)"
    )


def test_mail_option_overrides_the_config(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path
) -> None:
    box = write_mbox(tmp_path / "takeout.mbox", SCENARIO)
    write_config(tmp_path, "mbox:missing.mbox")
    result = cli(
        "check", str(tracker), "--today", TODAY, "--format", "json", "--mail", f"mbox:{box}"
    )
    assert findings(result) == WITH_MAIL


def test_an_unreadable_mailbox_is_a_note_and_the_check_goes_on(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path
) -> None:
    write_config(tmp_path, "mbox:missing.mbox")
    result = cli("check", str(tracker), "--today", TODAY, "--format", "json")
    assert findings(result) == WITHOUT_MAIL
    warnings = json.loads(result.out)["warnings"]
    assert [w for w in warnings if "mail evidence not used" in w] == [
        "mail evidence not used this run: mail source mbox:missing.mbox is not a file. "
        "Check [mail] source."
    ]


def test_sync_adds_the_mail_column_and_keeps_every_user_cell(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path
) -> None:
    before = _user_cells(tracker)
    box = write_mbox(tmp_path / "takeout.mbox", SCENARIO)
    write_config(tmp_path, f"mbox:{box}")
    assert cli("sync", str(tracker), "--today", TODAY).code == 0
    sheet = openpyxl.load_workbook(tracker).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[: len(TRACKER_HEADERS)] == list(TRACKER_HEADERS)
    col = headers.index("sheetsync · mail") + 1
    assert sheet.column_dimensions[get_column_letter(col)].width == 45
    assert [sheet.cell(r, col).value for r in range(2, 9)] == [
        "you wrote Tue 3 Mar · they replied Thu 5 Mar",
        "you wrote Thu 12 Mar",
        "you wrote Mon 9 Mar",
        "you wrote Mon 2 Mar · they replied Wed 4 Mar",
        "you wrote Tue 3 Mar · they wrote Sat 10 Jan",
        "you wrote Sun 1 Mar · they replied Mon 2 Mar",
        None,
    ]
    assert _user_cells(tracker) == before
    # a second sync with the same mail has nothing to change: the file is not rewritten
    stamp = tracker.stat().st_mtime_ns
    assert cli("sync", str(tracker), "--today", TODAY).code == 0
    assert tracker.stat().st_mtime_ns == stamp


def test_without_mail_no_mail_column(cli: Callable[..., Result], tracker: Path) -> None:
    assert cli("sync", str(tracker), "--today", TODAY).code == 0
    sheet = openpyxl.load_workbook(tracker).active
    assert sheet is not None
    assert "sheetsync · mail" not in [c.value for c in sheet[1]]


def test_redacted_export_carries_no_mail_evidence(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path
) -> None:
    box = write_mbox(tmp_path / "takeout.mbox", SCENARIO)
    write_config(tmp_path, f"mbox:{box}")
    assert cli("sync", str(tracker), "--today", TODAY).code == 0
    out = tmp_path / "advisor.xlsx"
    result = cli("export", str(tracker), "-o", str(out), "--redact", "--today", TODAY)
    assert result.code == 0, result.err
    book = openpyxl.load_workbook(out)
    text = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    assert "sheetsync · mail" not in text
    assert "you wrote" not in text and "they replied" not in text
    assert "replied by e-mail" not in text


def _user_cells(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [[c.value for c in row[: len(TRACKER_HEADERS)]] for row in sheet.iter_rows()]


# ------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"source": "imaps://me%40uni.edu@imap.uni.edu", "password": "x"}, "never keep"),
        ({"source": "pop3://x"}, "is not a mail source"),
        ({"source": "imap://me%40uni.edu@imap.uni.edu"}, "only for a test server"),
        ({"source": "imaps://imap.uni.edu"}, "needs a user and a server"),
        ({"source": "imaps://me:pw@imap.uni.edu"}, "never put a password"),
        ({"me": ["not-an-address"]}, "'mail.me' must list"),
        ({"folders": "INBOX"}, "'mail.folders' must be a list"),
        ({"colour": "blue"}, "unknown key 'mail.colour'"),
    ],
)
def test_bad_mail_config_names_file_and_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, Path("sheetsync.toml"))
    assert "sheetsync.toml" in str(info.value)
    assert message in str(info.value)


def test_imap_source_reads_user_host_and_port() -> None:
    source = parse_source("imaps://me%40uni.edu@imap.uni.edu")
    assert (source.kind, source.user, source.host, source.port, source.tls) == (
        "imap",
        "me@uni.edu",
        "imap.uni.edu",
        993,
        True,
    )
    local = parse_source("imap://u@127.0.0.1:1143")
    assert (local.port, local.tls) == (1143, False)


# ------------------------------------------------------------------------ never

DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 6, 1))
EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["ann@lab.org", "bo@corp.com", "x@y.org"]),
        DAYS,
        st.sampled_from(["in", "out"]),
    ),
    max_size=12,
)


@given(EVENTS, DAYS)
def test_attach_never_changes_what_the_user_typed(
    events: list[tuple[str, dt.date, str]], today: dt.date
) -> None:
    """Mail evidence only adds columns: every column read from the sheet stays as it was, and
    no message dated after the day judged is used."""
    grid = grid_of([list(TRACKER_HEADERS), *[list(r) for r in TRACKER_ROWS]])
    tracker = frame.build(grid, layout.discover(grid))
    evidence = Evidence()
    for i, (address, day, direction) in enumerate(events):
        evidence.add(address, Event(day, direction, f"k{i}"))
    mailed = attach(tracker, evidence, today)
    assert mailed.df.drop(columns=[*MAIL_COLUMNS, "mail_words"]).equals(tracker.df)
    for name in MAIL_COLUMNS:
        assert not (mailed.df[name] > str(today)).any()


@pytest.mark.parametrize("command", [("sync",), ("run", "--once", "-q")])
def test_mail_option_on_sync_and_run(
    cli: Callable[..., Result],
    tracker: Path,
    tmp_path: Path,
    command: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `run` points the root logger at this test's captured stderr: give it back afterwards,
    # or later tests' log lines go to a closed stream
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    box = write_maildir(tmp_path / "Maildir", SCENARIO)
    (tmp_path / "sheetsync.toml").write_text(f"[mail]\nme = {json.dumps(list(ME))}\n")
    result = cli(*command, str(tracker), "--today", TODAY, "--mail", f"maildir:{box}")
    assert result.code == 0, result.err
    sheet = openpyxl.load_workbook(tracker).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    col = headers.index("sheetsync · mail") + 1
    assert sheet.cell(2, col).value == "you wrote Tue 3 Mar · they replied Thu 5 Mar"


def test_the_example_tracker_before_and_after_its_mailbox(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """What the README shows: the example tracker with examples/make_mailbox.py's mailbox."""
    import importlib.util

    examples = Path(__file__).resolve().parent.parent / "examples"
    spec = importlib.util.spec_from_file_location("make_mailbox", examples / "make_mailbox.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    box = module.build(tmp_path / "mailbox.mbox")
    (tmp_path / "sheetsync.toml").write_text(
        f"[mail]\nme = {json.dumps([module.ME, module.ME_PERSONAL])}\n", encoding="utf-8"
    )
    tracker = str(examples / "tracker.xlsx")
    before = set(findings(cli("check", tracker, "--today", TODAY, "--format", "json")))
    after = set(
        findings(
            cli("check", tracker, "--today", TODAY, "--format", "json", "--mail", f"mbox:{box}")
        )
    )
    assert sorted(before - after) == [
        (7, "follow-up-3b"),  # Elena replied on the 12th
        (12, "thank-you-missing"),  # you thanked Hiroshi from your personal address
        (13, "follow-up-7b"),  # Sofía replied on the 13th (the sheet says N)
        (18, "stale-contact"),  # Björn wrote in February
    ]
    assert sorted(after - before) == [(7, "record-reply"), (13, "record-reply")]


def test_google_sheet_gets_the_mail_column_too(
    emulator_env: SheetsEmulator, tmp_path: Path
) -> None:
    """The same evidence on a Google Sheet (the real gspread client, the local emulator)."""
    from sheetsync import pipeline
    from sheetsync.config import parse_settings

    box = write_mbox(tmp_path / "takeout.mbox", SCENARIO)
    rows = [list(TRACKER_HEADERS), *[["" if v is None else v for v in r] for r in TRACKER_ROWS]]
    sheet_id = emulator_env.add_spreadsheet("Tracker", {"Contacts": rows})
    source = f"https://docs.google.com/spreadsheets/d/{sheet_id}/edit#gid=0"
    settings = parse_settings(
        {"mail": {"source": f"mbox:{box}", "me": list(ME)}}, tmp_path / "sheetsync.toml"
    )
    today = dt.date.fromisoformat(TODAY)
    result = pipeline.sync(pipeline.open_backend(source, settings), settings, today)
    assert sorted((f.row, f.rule) for f in result.findings) == WITH_MAIL
    values = emulator_env.values(sheet_id, "Contacts")
    col = values[0].index("sheetsync · mail")
    assert [r[col] if len(r) > col else "" for r in values[1:3]] == [
        "you wrote Tue 3 Mar · they replied Thu 5 Mar",
        "you wrote Thu 12 Mar",
    ]
    blank = [[None if v == "" else v for v in r] for r in rows]
    assert [r[: len(TRACKER_HEADERS)] for r in values] == blank
    again = pipeline.sync(pipeline.open_backend(source, settings), settings, today)
    assert again.plan.changes == ()


@given(
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40),
    st.text(min_size=1, max_size=200),
    st.sampled_from(["in", "out"]),
)
def test_the_cache_never_holds_a_subject_or_a_body(subject: str, body: str, way: str) -> None:
    """Whatever a message says, what sheetsync keeps of it is a date, a direction and a hash."""
    from email.message import EmailMessage

    from sheetsync.mail.evidence import events_of
    from sheetsync.mail.headers import parse
    from sheetsync.mail.imap import FolderState

    msg = EmailMessage()
    msg["From"] = "Ann <ann@lab.org>" if way == "in" else "Me <me@uni.edu>"
    msg["To"] = "me@uni.edu" if way == "in" else "ann@lab.org"
    msg["Date"] = "Thu, 05 Mar 2026 10:00:00 -0500"
    msg["Subject"] = "QZXJ" + subject
    msg.set_content("WQKV" + body)
    header = parse(msg.as_bytes())
    assert header is not None
    state = FolderState(1, 1)
    for address, event in events_of(header, frozenset(ME), frozenset({"ann@lab.org"})):
        state.events.setdefault(address, set()).add(event)
    text = json.dumps(state.to_json())
    assert "QZXJ" not in text and "WQKV" not in text
    assert state.to_json()["events"]["ann@lab.org"][0][:2] == ["2026-03-05", way]
