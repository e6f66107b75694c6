"""``sheetsync map`` and the "no write on a guess" gate of ``sync``.

The layout's ratings (``Layout.confidence`` / ``Layout.doubtful``) come from value profiles
built elsewhere; here a situation with doubtful fields is made by taking the real
:func:`sheetsync.layout.discover` result and marking chosen fields doubtful the way the
interface promises (fields set in ``[columns]`` count as sure, 1.0). Everything downstream —
the gate, the messages, the command, the config edit — runs for real, on real files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sheetsync import layout, pipeline
from sheetsync.cli import check_json
from sheetsync.cli import cli as cli_group
from sheetsync.config import load_settings, parse_settings
from sheetsync.errors import ConfigError, MapNotConfirmed
from sheetsync.grid import CellValue
from sheetsync.layout import Layout
from sheetsync.mapping import ColumnMap, doubt_message, edit_config, visible

from .cli_runner import Result, snapshot
from .conftest import TODAY, grid_of, save_rows

DAY = TODAY.isoformat()
HEADERS = ["Name", "Company", "Date contacted", "Response", "Misc", "Other"]
ROWS: list[list[CellValue]] = [
    HEADERS,
    ["Ann Lee", "Acme", "2026-03-02", None, "met at\tASM", "x"],
    ["Bo Chen", "Helix", "2026-02-02", "2026-02-03", "alum", None],
    ["Cy Diaz", None, "2026-03-12", None, "cold\u200bemail", "y"],
]
CONFIG = """\
# My sheetsync settings — keep these notes!
day_first = false  # US dates

[rules.stale-contact]
days = 120  # I write to people every four months

[sync]
backups = 2
"""


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return save_rows(tmp_path / "t.xlsx", ROWS)


@pytest.fixture
def doubt(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``doubt("notes")``: the layout reads those fields with low confidence, unless [columns]
    sets them (then 1.0), as the Layout interface promises."""

    def set_doubtful(*fields: str, sure: float = 0.9, unsure: float = 0.4) -> None:
        real = layout.discover

        def discover(grid: Any, **kw: Any) -> Layout:
            lay = real(grid, **kw)
            confirmed = set(kw.get("overrides") or {})
            doubtful = tuple(f for f in fields if f in lay.columns and f not in confirmed)
            confidence = {
                f: 1.0 if f in confirmed else unsure if f in doubtful else sure for f in lay.columns
            }
            return dataclasses.replace(lay, confidence=confidence, doubtful=doubtful)

        monkeypatch.setattr(layout, "discover", discover)

    return set_doubtful


# ---------------------------------------------------------------------- pieces


def test_visible_makes_control_and_invisible_characters_visible() -> None:
    assert visible("met at\tASM\r\n") == "met at\\tASM\\r\\n"
    assert visible("cold\u200bemail\x00\u00a0") == "cold\\u200bemail\\x00\\xa0"
    assert visible(3.0) == "3" and visible(dt.date(2026, 3, 2)) == "2026-03-02"
    assert visible("x" * 50) == "x" * 29 + "…"


def test_doubt_message_names_column_header_guess_and_command() -> None:
    lay = layout.discover(grid_of(ROWS))
    lay = dataclasses.replace(lay, confidence={"notes": 0.35}, doubtful=("notes",))
    assert doubt_message(lay, "my tracker.xlsx") == (
        "sheetsync is not sure what some columns of 'Contacts' mean, so it wrote nothing "
        "(it does not write on a guess):\n"
        "  - column E 'Misc' was read as notes, 35% sure\n"
        "Check the map and confirm or correct it: sheetsync map 'my tracker.xlsx' "
        "(or set these fields under [columns] in sheetsync.toml)."
    )


def test_column_map_edits() -> None:
    chosen = ColumnMap.of(layout.discover(grid_of(ROWS)))
    assert chosen.columns == {
        "name": "Name",
        "organization": "Company",
        "outreach_date": "Date contacted",
        "response": "Response",
        "notes": "Misc",
    }
    assert chosen.set("connection", "misc") == "notes"  # header text, any case
    assert chosen.set("notes", "F") is None  # or a column letter
    chosen.ignore("Company")
    assert chosen.ordered_columns() == {
        "name": "Name",
        "connection": "Misc",
        "outreach_date": "Date contacted",
        "response": "Response",
        "notes": "Other",
    }
    assert chosen.ignored == ["Company"]
    with pytest.raises(ConfigError, match="no column 'Nope'"):
        chosen.set("notes", "Nope")
    with pytest.raises(ConfigError, match="'nots' is not a field"):
        chosen.set("nots", "Misc")


# ---------------------------------------------------------------------- editing sheetsync.toml


def _map(columns: dict[str, str], ignored: Sequence[str] = ()) -> ColumnMap:
    return ColumnMap("Contacts", 1, columns, list(ignored))


def test_edit_keeps_comments_sections_and_order() -> None:
    text = CONFIG.replace("[sync]", '[columns]\n# who is who\nname = "Full name"  # mine\n[sync]')
    new = edit_config(text, _map({"name": "Name", "notes": "Misc"}, ["Other"]))
    assert new == (
        "# My sheetsync settings — keep these notes!\n"
        "day_first = false  # US dates\n"
        'worksheet = "Contacts"\n'
        "header_row = 1\n"
        'ignore_columns = ["Other"]\n'
        "\n"
        "[rules.stale-contact]\n"
        "days = 120  # I write to people every four months\n"
        "\n"
        "[columns]\n"
        "# who is who\n"
        'name = "Name"  # mine\n'
        'notes = "Misc"\n'
        "[sync]\n"
        "backups = 2\n"
    )


def test_edit_replaces_existing_keys_in_place_and_dotted_columns() -> None:
    text = 'source = "t.xlsx"\r\nheader_row = 7 # old\r\ncolumns.email = "Mail"\r\n'
    new = edit_config(text, _map({"email": "E-mail"}))
    assert new == (
        'source = "t.xlsx"\r\nheader_row = 1  # old\r\nworksheet = "Contacts"\r\n'
        '\r\n[columns]\r\nemail = "E-mail"\r\n'
    )


def test_invisible_characters_are_written_as_escapes() -> None:
    from sheetsync.mapping import toml_value

    assert toml_value("Email\u200b") == '"Email\\u200b"'
    assert toml_value('a "b"\t\x7f') == '"a \\"b\\"\\t\\u007f"'
    assert tomllib.loads("x = " + toml_value("Email\u200b\xa0"))["x"] == "Email\u200b\xa0"


def test_edit_of_an_empty_file_writes_the_source_first() -> None:
    assert edit_config("", _map({"name": "Name"}), "t.xlsx") == (
        'source = "t.xlsx"\nworksheet = "Contacts"\nheader_row = 1\n\n[columns]\nname = "Name"\n'
    )


header_text = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")


@given(
    name=header_text,
    notes=header_text,
    sheet=header_text,
    ignored=st.lists(header_text, max_size=3),
)
def test_edit_never_changes_other_settings_and_says_exactly_the_map(
    name: str, notes: str, sheet: str, ignored: list[str]
) -> None:
    """Any header text (quotes, backslashes, control characters) round-trips, and every other
    setting of the user's file is kept."""
    chosen = ColumnMap(sheet, 3, {"name": name, "notes": notes}, ignored)
    text = CONFIG + '\n[columns]\nemail = "Mail"\n[prep]\ntab = "Prep"\n'
    new = edit_config(text, chosen)
    data = tomllib.loads(new)
    assert data["columns"] == {"name": name, "notes": notes}
    assert (data["worksheet"], data["header_row"]) == (sheet, 3)
    assert data.get("ignore_columns", []) == ignored
    before = tomllib.loads(text)
    owned = ("columns", "worksheet", "header_row", "ignore_columns")
    assert {k: v for k, v in data.items() if k not in owned} == {
        k: v for k, v in before.items() if k not in owned
    }
    for line in text.splitlines():
        if line.startswith("#") or ("#" in line and "columns" not in line):
            assert line in new.splitlines()


# ---------------------------------------------------------------------- map, non-interactive


def test_map_flags_save_the_map_keep_the_file_and_sync_then_writes(
    cli: Callable[..., Result], tracker: Path, doubt: Callable[..., None]
) -> None:
    doubt("notes")
    config = tracker.with_name("sheetsync.toml")
    config.write_text(CONFIG, encoding="utf-8")
    config.chmod(0o640)
    refused = cli("sync", "t.xlsx", "--today", DAY)
    assert refused.code == 2, refused.text
    mapped = cli("map", "t.xlsx", "--set", "connection=Misc", "--ignore", "Other")
    assert mapped.code == 0, mapped.text
    assert "Saved the map to sheetsync.toml: 5 columns confirmed." in mapped.text
    assert "met at\\tASM" in mapped.out and "cold\\u200bemail" in mapped.out
    assert config.read_text(encoding="utf-8") == CONFIG.replace(
        "day_first = false  # US dates\n",
        "day_first = false  # US dates\n"
        'worksheet = "Contacts"\nheader_row = 1\nignore_columns = ["Other"]\n',
    ) + (
        '\n[columns]\nname = "Name"\norganization = "Company"\nconnection = "Misc"\n'
        'outreach_date = "Date contacted"\nresponse = "Response"\n'
    )
    settings = load_settings(config)
    assert dict(settings.columns) == {
        "name": "Name",
        "organization": "Company",
        "connection": "Misc",
        "outreach_date": "Date contacted",
        "response": "Response",
    }
    assert settings.ignore_columns == ("Other",)
    assert settings.rule_params["stale-contact"] == {"days": 120}
    assert config.stat().st_mode & 0o777 == 0o640
    synced = cli("sync", "t.xlsx", "--today", DAY, "--format", "json")
    assert synced.code == 0, synced.text
    assert synced.json()["written"] is True and synced.json()["doubtful"] == []
    checked = cli("check", "t.xlsx", "--today", DAY, "--format", "json", "--exit-zero").json()
    assert checked["columns"]["connection"] == "Misc" and "Other" in checked["unmapped"]
    assert set(checked["confidence"].values()) == {1.0}


def test_map_with_doubts_left_open_asks_for_yes(
    cli: Callable[..., Result], tracker: Path, doubt: Callable[..., None]
) -> None:
    doubt("notes", "response")
    half = cli("map", "t.xlsx", "--set", "connection=Misc")
    assert half.code == 2
    assert "Still in doubt: response ('Response'). Add --yes" in half.text
    assert not tracker.with_name("sheetsync.toml").exists()
    assert cli("map", "t.xlsx", "--set", "connection=Misc", "--yes").code == 0


def test_map_bad_flags_are_usage_errors(cli: Callable[..., Result], tracker: Path) -> None:
    bad_field = cli("map", "t.xlsx", "--set", "nots=Misc")
    assert bad_field.code == 2 and "'nots' is not a field sheetsync knows" in bad_field.text
    bad_header = cli("map", "t.xlsx", "--ignore", "Nope")
    assert bad_header.code == 2 and "no column 'Nope' in row 1" in bad_header.text
    no_eq = cli("map", "t.xlsx", "--set", "notes")
    assert no_eq.code == 2 and "write FIELD=HEADER" in no_eq.text
    assert not tracker.with_name("sheetsync.toml").exists()


def test_map_creates_the_config_next_to_the_tracker(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "sub").mkdir()
    save_rows(tmp_path / "sub" / "t.xlsx", ROWS)
    done = cli("map", "sub/t.xlsx", "--yes")
    assert done.code == 0, done.text
    assert "Next: sheetsync sync sub/t.xlsx --config sub/sheetsync.toml" in done.text
    config = tmp_path / "sub" / "sheetsync.toml"
    umask = os.umask(0o022)
    os.umask(umask)
    assert config.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    assert config.read_text(encoding="utf-8") == (
        'source = "t.xlsx"\nworksheet = "Contacts"\nheader_row = 1\n\n[columns]\n'
        'name = "Name"\norganization = "Company"\noutreach_date = "Date contacted"\n'
        'response = "Response"\nnotes = "Misc"\n'
    )
    again = cli("check", "--config", str(config), "--today", DAY, "--format", "json", "--exit-zero")
    assert again.code == 0 and again.json()["source"].endswith("t.xlsx")


def test_map_refuses_a_config_of_another_tracker(cli: Callable[..., Result], tracker: Path) -> None:
    config = tracker.with_name("sheetsync.toml")
    config.write_text('source = "other.xlsx"\n', encoding="utf-8")
    res = cli("map", "t.xlsx", "--yes")
    assert res.code == 2 and "is the config of" in res.text and "--config OTHER.toml" in res.text
    assert config.read_text(encoding="utf-8") == 'source = "other.xlsx"\n'


def test_map_replaces_a_stale_columns_entry(cli: Callable[..., Result], tracker: Path) -> None:
    config = tracker.with_name("sheetsync.toml")
    config.write_text('[columns]\nnotes = "Gone"  # renamed since\n', encoding="utf-8")
    assert cli("check", "t.xlsx", "--today", DAY).code == 2  # a config error
    res = cli("map", "t.xlsx", "--yes")
    assert res.code == 0 and "columns.notes = 'Gone'" in res.text
    assert 'notes = "Misc"  # renamed since' in config.read_text(encoding="utf-8")
    assert cli("check", "t.xlsx", "--today", DAY, "--exit-zero").code == 0


# ---------------------------------------------------------------------- map, interactive


def _invoke(folder: Path, args: Sequence[str], answers: str) -> Any:
    """``sheetsync ARGS`` through click's CliRunner in ``folder``, ``answers`` on stdin."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli_group, list(args), input=answers, env={"COLUMNS": "200"})
    finally:
        os.chdir(cwd)


def test_interactive_choose_a_field_and_ignore(
    tracker: Path, doubt: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    doubt("notes", "response")
    # Response: accept; Misc: choose connection; then save.
    ran = _invoke(tracker.parent, ["map", "t.xlsx"], "a\nc\nconnection\ny\n")
    assert ran.exit_code == 0, ran.output
    assert "Column D Response: read as response (40% sure)." in ran.output
    assert "Column E Misc: read as notes (40% sure). Values: met at\\tASM · alum" in ran.output
    settings = load_settings(tracker.with_name("sheetsync.toml"))
    assert dict(settings.columns) == {
        "name": "Name",
        "organization": "Company",
        "connection": "Misc",
        "outreach_date": "Date contacted",
        "response": "Response",
    }
    # With notes free, the next run guesses Other is notes: map says so.
    assert "Note: the next run also guesses 'Other' is notes" in ran.output
    # --all asks about every column; ignore Other, keep the rest.
    ran = _invoke(tracker.parent, ["map", "t.xlsx", "--all"], "\n\n\n\n\ni\ny\n")
    assert ran.exit_code == 0, ran.output
    assert "Column E Misc: read as connection (100% sure)." in ran.output
    assert "Column F Other: read as notes (40% sure). Values: x · y" in ran.output
    assert load_settings(tracker.with_name("sheetsync.toml")).ignore_columns == ("Other",)


def test_interactive_no_answer_saves_nothing(
    tracker: Path, doubt: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    doubt("notes")
    ran = _invoke(tracker.parent, ["map", "t.xlsx"], "")
    assert ran.exit_code == 2 and "nothing was saved" in ran.output
    declined = _invoke(tracker.parent, ["map", "t.xlsx"], "a\nn\n")
    assert declined.exit_code == 0 and "Nothing saved." in declined.output
    assert not tracker.with_name("sheetsync.toml").exists()


# ---------------------------------------------------------------------- the sync gate


def test_sync_refuses_a_doubtful_map_before_writing(
    cli: Callable[..., Result], tracker: Path, doubt: Callable[..., None]
) -> None:
    doubt("notes")
    before = snapshot(tracker.parent)
    res = cli("sync", "t.xlsx", "--today", DAY)
    assert res.code == 2
    assert res.text == (
        "Error: sheetsync is not sure what some columns of 'Contacts' mean, so it wrote nothing "
        "(it does not write on a guess): - column E 'Misc' was read as notes, 40% sure Check "
        "the map and confirm or correct it: sheetsync map t.xlsx (or set these fields under "
        "[columns] in sheetsync.toml)."
    )
    assert snapshot(tracker.parent) == before
    dry = cli("sync", "t.xlsx", "--today", DAY, "--dry-run")
    assert dry.code == 0
    assert (
        "Map in doubt: E 'Misc' read as notes. sync writes only once the map is confirmed: "
        "`sheetsync map t.xlsx`" in dry.text
    )
    dry_json = cli("sync", "t.xlsx", "--today", DAY, "--dry-run", "--format", "json").json()
    assert dry_json["doubtful"] == ["notes"] and dry_json["written"] is False
    assert snapshot(tracker.parent) == before
    assert cli("map", "t.xlsx", "--yes").code == 0
    assert cli("sync", "t.xlsx", "--today", DAY).code == 0
    assert snapshot(tracker) != before["t.xlsx"]


def test_library_sync_raises_map_not_confirmed(tracker: Path, doubt: Callable[..., None]) -> None:
    from sheetsync.config import Settings

    doubt("response")
    backend = pipeline.open_backend(str(tracker), Settings())
    with pytest.raises(MapNotConfirmed, match="column D 'Response' was read as response"):
        pipeline.sync(backend, Settings(), TODAY)
    dry = pipeline.sync(backend, Settings(), TODAY, dry_run=True)
    assert dry.checked is not None and dry.checked.layout.doubtful == ("response",)
    assert not dry.written


def test_run_logs_and_skips_a_doubtful_source(
    cli: Callable[..., Result], tracker: Path, doubt: Callable[..., None]
) -> None:
    import logging

    doubt("notes")
    before = snapshot(tracker.parent)["t.xlsx"]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        res = cli("run", "t.xlsx", "--once", "-q", "--today", DAY)
    finally:  # `run` points the root logger at this test's captured stderr: put it back
        root.handlers[:], root.level = handlers, level
    assert res.code == 3
    assert "is not sure what some columns of 'Contacts' mean" in res.text
    assert "sheetsync map t.xlsx" in res.text
    assert snapshot(tracker.parent)["t.xlsx"] == before


# ---------------------------------------------------------------------- check shows the map


def test_check_json_carries_confidence_and_doubtful(
    cli: Callable[..., Result], tracker: Path, doubt: Callable[..., None]
) -> None:
    doubt("notes", sure=0.876)
    data = cli("check", "t.xlsx", "--today", DAY, "--format", "json").json()
    assert list(data)[:8] == [
        "source",
        "worksheet",
        "header_row",
        "today",
        "columns",
        "confidence",
        "doubtful",
        "unmapped",
    ]
    assert data["confidence"] == {
        "name": 0.88,
        "organization": 0.88,
        "outreach_date": 0.88,
        "response": 0.88,
        "notes": 0.4,
    }
    assert data["doubtful"] == ["notes"]
    text = cli("check", "t.xlsx", "--today", DAY)
    assert (
        "Map: A name 88% · B organization 88% · C outreach_date 88% · D response 88% · "
        "E notes 40%?" in text.text
    )
    assert "Map in doubt: E 'Misc' read as notes." in text.text


def test_check_json_of_a_layout_without_ratings() -> None:
    from sheetsync.config import Settings

    checked = pipeline.check_grid(grid_of(ROWS), Settings(), TODAY)
    rated = dataclasses.replace(
        checked, layout=dataclasses.replace(checked.layout, confidence={"name": 1.0})
    )
    assert check_json(rated)["confidence"] == {"name": 1.0}
    assert check_json(rated)["doubtful"] == []


def test_ignore_columns_unmaps_a_column(tmp_path: Path) -> None:
    from sheetsync.config import Settings

    settings = Settings(ignore_columns=("misc",))
    checked = pipeline.check_grid(grid_of(ROWS), settings, TODAY)
    assert "notes" not in checked.layout.columns
    assert checked.layout.unmapped == ("Misc", "Other")
    with pytest.raises(ConfigError, match="'ignore_columns' must be a list of header texts"):
        parse_settings({"ignore_columns": ["ok", ""]}, tmp_path / "sheetsync.toml")


MAPPED = ("name", "organization", "outreach_date", "response", "notes")


@hypothesis_settings(deadline=None, max_examples=30)  # each example runs the whole pipeline
@given(doubtful=st.sets(st.sampled_from(MAPPED), min_size=1))
def test_sync_never_writes_while_any_field_is_in_doubt(doubtful: set[str]) -> None:
    """Whichever fields are in doubt, sync raises before the backend's one write."""
    from unittest.mock import patch

    from sheetsync.backends.memory import MemoryBackend
    from sheetsync.config import Settings

    real = layout.discover

    def discover(grid: Any, **kw: Any) -> Layout:
        lay = real(grid, **kw)
        return dataclasses.replace(lay, doubtful=tuple(sorted(doubtful)))

    backend = MemoryBackend(grid_of(ROWS))
    with patch.object(layout, "discover", discover), pytest.raises(MapNotConfirmed) as raised:
        pipeline.sync(backend, Settings(), TODAY)
    assert backend.writes == 0 and backend.grid.tabs[0].rows == ROWS
    for fid in doubtful:
        assert f"was read as {fid}" in str(raised.value)


def test_map_worksheet_and_header_row_flags(cli: Callable[..., Result], tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ideas = wb.active
    assert ideas is not None
    ideas.title = "Ideas"
    ideas.append(["Name", "Email"])  # looks like a header too
    people = wb.create_sheet("People")
    people.append(["Tracker"])
    people.append(["Name", "Notes"])  # what the student means
    people.append(["Ann Lee", "hi"])
    wb.save(tmp_path / "t.xlsx")
    res = cli("map", "t.xlsx", "--worksheet", "People", "--header-row", "2", "--yes")
    assert res.code == 0, res.text
    settings = load_settings(tmp_path / "sheetsync.toml")
    assert (settings.worksheet, settings.header_row) == ("People", 2)
    assert dict(settings.columns) == {"name": "Name", "notes": "Notes"}


def test_map_edits_a_symlinked_config_in_its_real_place(
    cli: Callable[..., Result], tracker: Path, tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "sheetsync.toml"
    real.parent.mkdir()
    real.write_text(CONFIG, encoding="utf-8")
    link = tracker.with_name("sheetsync.toml")
    link.symlink_to(real)
    assert cli("map", "t.xlsx", "--yes").code == 0
    assert link.is_symlink()
    assert load_settings(real).columns["notes"] == "Misc"
    assert real.read_text(encoding="utf-8").startswith(CONFIG.splitlines(keepends=True)[0])


# Headers that say little ("Date", "Column 4"): only the values tell what they hold.
VAGUE: list[list[CellValue]] = [["Name", "Company", "Date", "Column 4"]] + [
    [who, "Acme", dt.date(2026, 3, 2 + i), f"{who.split()[0].lower()}@acme.example"]
    for i, who in enumerate(["Ann Lee", "Bo Chen", "Cy Diaz", "Di Park", "Ed Ruiz", "Flo Ng"])
]


def test_vague_headers_end_to_end(cli: Callable[..., Result], tmp_path: Path) -> None:
    """With the real layout: columns read from their values alone are in doubt, sync refuses
    without touching the file, `doctor` says so, and after `map --yes` it writes."""
    save_rows(tmp_path / "t.xlsx", VAGUE)
    data = cli("check", "t.xlsx", "--today", DAY, "--format", "json", "--exit-zero").json()
    assert data["doubtful"] == ["email", "outreach_date"]
    before = snapshot(tmp_path)
    refused = cli("sync", "t.xlsx", "--today", DAY)
    assert refused.code == 2 and "sheetsync map t.xlsx" in refused.text
    assert snapshot(tmp_path) == before
    doctor = cli("doctor", "t.xlsx", "--today", DAY)
    assert doctor.code != 0 and "Map in doubt" in doctor.text
    assert "sheetsync map t.xlsx" in doctor.text
    assert snapshot(tmp_path) == before
    assert cli("map", "t.xlsx", "--yes").code == 0
    after = cli("check", "t.xlsx", "--today", DAY, "--format", "json", "--exit-zero").json()
    assert after["doubtful"] == [] and set(after["confidence"].values()) == {1.0}
    assert cli("sync", "t.xlsx", "--today", DAY).code == 0


def test_save_never_replaces_a_config_another_program_just_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetsync import mapping
    from sheetsync.errors import WriteRefused

    path = tmp_path / "sheetsync.toml"
    path.write_text(CONFIG, encoding="utf-8")
    theirs = CONFIG + "# saved by an editor meanwhile\n"
    real = mapping.edit_config

    def racing(text: str, chosen: ColumnMap, source: str | None = None) -> str:
        path.write_text(theirs, encoding="utf-8")  # lands while sheetsync edits its copy
        return real(text, chosen, source)

    monkeypatch.setattr(mapping, "edit_config", racing)
    with pytest.raises(WriteRefused, match="changed while the map was being chosen"):
        mapping.save_map(path, _map({"name": "Name"}))
    assert path.read_text(encoding="utf-8") == theirs
    assert [p.name for p in tmp_path.iterdir()] == ["sheetsync.toml"]  # no temp file left
