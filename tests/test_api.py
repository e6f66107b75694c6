"""The library: `import sheetsync` and its documented API, lazy loading, one exit-code table.

The README's "Use it from Python" example runs here on a copy of examples/tracker.xlsx; the
module sets are read from real subprocesses (what a user's `sheetsync check` loads).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

import sheetsync
from sheetsync import errors
from sheetsync.cli import cli as click_group

from .cli_runner import Result, cli  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tracker.xlsx"
MONDAY = dt.date(2026, 3, 16)
# Never loaded by `check` of an .xlsx: Google, the export writer, templates, calendar, IMAP.
NOT_FOR_CHECK = {
    "gspread",
    "google",
    "google_auth_oauthlib",
    "xlsxwriter",
    "jinja2",
    "icalendar",
    "imapclient",
    "openpyxl",
}
# Nor for `--help`, which needs none of the data libraries either.
NOT_FOR_HELP = NOT_FOR_CHECK | {"pandas", "numpy", "lxml", "python_calamine", "holidays"}


def python_block(markdown: str, heading: str) -> str:
    """The first ```python block under ``heading``."""
    section = markdown.split(heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under {heading}"
    return match.group(1)


def loaded_top_modules(code: str, cwd: Path) -> set[str]:
    """Top-level package names in sys.modules after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert proc.stdout, proc.stderr
    names = json.loads(proc.stdout.strip().splitlines()[-1])
    return {n.split(".")[0] for n in names}


# ---------------------------------------------------------------------- the README example


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = python_block((ROOT / "README.md").read_text(encoding="utf-8"), "## Use it from Python")
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    before = (tmp_path / "tracker.xlsx").read_bytes()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    report = sheetsync.check(tmp_path / "tracker.xlsx", today=MONDAY)
    assert lines[0] == f"{report.layout.worksheet} header on row {report.layout.header_row}"
    assert lines[1] == report.columns["outreach_date"]
    shown = [f"{f.row} {f.contact} {f.rule} {f.due}" for f in report.findings[:3]]
    assert lines[2:5] == shown
    tabs = [tab.name for tab in sheetsync.read(EXAMPLE).tabs]  # before the sync added a tab
    assert lines[5] == f"{tabs} {len(report.findings)}"
    assert re.fullmatch(r"[1-9]\d* status cells would change", lines[6])
    assert lines[7].startswith("True {")  # the sync wrote
    assert lines[8].startswith("config: ") and "nope.toml" in lines[8]
    assert (tmp_path / "tracker.xlsx").read_bytes() != before
    # written once: a plan made now is empty
    assert sheetsync.plan(tmp_path / "tracker.xlsx", today=MONDAY).is_empty


def test_a_grid_read_once_checks_like_the_file(tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.xlsx"
    shutil.copy(EXAMPLE, tracker)
    before = tracker.read_bytes()
    grid = sheetsync.read(tracker, settings=sheetsync.Settings())
    assert isinstance(grid, sheetsync.Grid) and len(grid.tabs) >= 2
    from_grid = sheetsync.check(grid, today=MONDAY, settings=sheetsync.Settings())
    from_file = sheetsync.check(tracker, today=MONDAY, settings=sheetsync.Settings())
    assert from_grid.to_json() == from_file.to_json() and from_grid.findings
    assert tracker.read_bytes() == before


def test_check_is_the_json_the_cli_prints(tmp_path: Path, cli: Callable[..., Result]) -> None:  # noqa: F811
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    ran = cli("check", "tracker.xlsx", "--today", MONDAY.isoformat(), "--format", "json")
    report = sheetsync.check("tracker.xlsx", today=MONDAY)
    assert ran.code == 1
    assert ran.json() == json.loads(json.dumps(report.to_json()))
    assert report.findings == report.report.findings and report.findings


# ---------------------------------------------------------------------- the public names


def test_every_public_name_resolves_and_is_documented() -> None:
    assert len(set(sheetsync.__all__)) == len(sheetsync.__all__)
    for name in sheetsync.__all__:
        value = getattr(sheetsync, name)
        if name != "__version__":
            assert value.__doc__ and value.__doc__.strip(), name
    assert set(sheetsync.__all__) <= set(dir(sheetsync))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sheetsync.nope  # type: ignore[attr-defined]


def test_error_tree_is_one_tree_drawn_in_its_docstring() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert sorted(c.__name__ for c in classes) == sorted(errors.__all__)
    doc = errors.__doc__ or ""
    for cls in classes:
        assert issubclass(cls, sheetsync.SheetsyncError)
        assert cls.__name__ in doc, cls
    usage = sorted(c.__name__ for c in classes if c.usage)
    assert usage == ["ConfigError", "MapNotConfirmed", "OutputRefused", "ReadOnlySource"]


# ---------------------------------------------------------------------- what loads


def test_import_sheetsync_loads_nothing_heavy(tmp_path: Path) -> None:
    loaded = loaded_top_modules("import sheetsync", tmp_path)
    assert not loaded & (NOT_FOR_HELP | {"click", "rich"}), loaded & NOT_FOR_HELP


def test_check_of_an_xlsx_loads_no_google_export_template_calendar_or_mail(
    tmp_path: Path,
) -> None:
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    code = (
        "import contextlib, io\n"
        "from sheetsync.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['check', 'tracker.xlsx', '--today', '2026-03-16'])\n"
    )
    loaded = loaded_top_modules(code, tmp_path)
    assert "pandas" in loaded and "sheetsync" in loaded  # the check did run
    assert not loaded & NOT_FOR_CHECK, sorted(loaded & NOT_FOR_CHECK)
    # Once the public holidays are remembered (the first run wrote them), a check loads
    # neither the holidays package nor the network and mail modules it brings along.
    again = loaded_top_modules(code, tmp_path)
    later = NOT_FOR_CHECK | {"holidays", "email", "http", "ssl", "socket"}
    assert not again & later, sorted(again & later)


def test_sync_of_an_xlsx_loads_no_google_network_or_openpyxl(tmp_path: Path) -> None:
    """A sync of a local file needs no network module: not even the ones the standard
    library's XML escaping would bring along (urllib.request, http, email, ssl)."""
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    code = (
        "import contextlib, io\n"
        "from sheetsync.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['{command}', 'tracker.xlsx', '--today', '2026-03-16'])\n"
    )
    # A check first: it remembers the public holidays (the holidays package, which a first
    # run imports, brings email and socket along; a later run does not import it).
    loaded_top_modules(code.format(command="check"), tmp_path)
    loaded = loaded_top_modules(code.format(command="sync"), tmp_path)
    assert "pandas" in loaded and (tmp_path / "tracker.xlsx").read_bytes() != EXAMPLE.read_bytes()
    never = {"gspread", "google", "xlsxwriter", "openpyxl", "ssl", "http", "email", "socket"}
    assert not loaded & never, sorted(loaded & never)


def test_help_loads_no_data_library(tmp_path: Path) -> None:
    code = (
        "import contextlib, io\n"
        "from sheetsync.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
    )
    loaded = loaded_top_modules(code, tmp_path)
    assert "click" in loaded
    assert not loaded & NOT_FOR_HELP, sorted(loaded & NOT_FOR_HELP)


# ---------------------------------------------------------------------- exit codes


def invocations(command: str, config: str) -> list[str]:
    """Arguments for ``command`` that get past its own required arguments to the config."""
    before = {
        "check": ["tracker.xlsx"],
        "sync": ["tracker.xlsx"],
        "draft": ["2", "tracker.xlsx"],
        "doctor": ["tracker.xlsx"],
        "restore": ["tracker.xlsx", "--list"],
        "export": ["tracker.xlsx", "-o", "advisor.xlsx"],
        "map": ["tracker.xlsx"],
        "run": ["tracker.xlsx", "--once"],
        "status": ["tracker.xlsx"],
        "ics": ["tracker.xlsx", "-o", "due.ics"],
        "schedule": ["--print", "cron", "tracker.xlsx"],
    }[command]
    return [command, *before, "--config", config]


def all_commands() -> dict[str, click.Command]:
    """Every command of the CLI (those of ``sheetsync.commands.*`` are added when listed)."""
    ctx = click.Context(click_group)
    found = {name: click_group.get_command(ctx, name) for name in click_group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def commands_with_config() -> list[str]:
    return sorted(
        name
        for name, command in all_commands().items()
        if any(p.name == "config_path" for p in command.params)
    )


def test_every_command_with_a_config_takes_part() -> None:
    named = [
        "check",
        "sync",
        "draft",
        "doctor",
        "restore",
        "export",
        "map",
        "run",
        "status",
        "ics",
        "schedule",
    ]
    assert commands_with_config() == sorted(named)


@pytest.mark.parametrize("command", commands_with_config())
def test_config_error_exits_2(
    command: str,
    tmp_path: Path,
    cli: Callable[..., Result],  # noqa: F811
) -> None:
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    (tmp_path / "bad.toml").write_text("colums = {}\n", encoding="utf-8")
    ran = cli(*invocations(command, "bad.toml"))
    assert ran.code == 2, ran.text
    assert "bad.toml" in ran.text and "unknown key 'colums'" in ran.text


@pytest.mark.parametrize("command", sorted(all_commands()))
def test_usage_error_exits_2(command: str, cli: Callable[..., Result]) -> None:  # noqa: F811
    ran = cli(command, "--no-such-option")
    assert ran.code == 2, ran.text
    assert "No such option" in ran.text


def test_usage_errors_raised_by_the_library_exit_2(
    tmp_path: Path,
    cli: Callable[..., Result],  # noqa: F811
) -> None:
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    (tmp_path / "tracker.csv").write_text("Name,Email\nAnn,a@x.org\n", encoding="utf-8")
    existing = cli("init", "tracker.xlsx")  # never replaces a file: OutputRefused
    not_xlsx = cli("init", "new.csv")
    csv_export = cli("export", "tracker.xlsx", "-o", "x.csv")
    read_only = cli("sync", "tracker.csv")
    for ran in (existing, not_xlsx, csv_export, read_only):
        assert ran.code == 2, ran.text
        assert ran.text.startswith("Error:"), ran.text


def test_exit_codes_are_listed_in_help(cli: Callable[..., Result]) -> None:  # noqa: F811
    ran = cli("--help")
    assert ran.code == 0
    for line in ("0 ok", "1 check found", "2 usage or config error", "3 runtime error",
                 "130 interrupted"):  # fmt: skip
        assert line in ran.text, line


# ---------------------------------------------------------------------- the documentation


def test_contracts_doc_shows_the_json_check_prints(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", doc, re.S)
    assert block, "docs/contracts.md shows no JSON"
    shown = json.loads(block.group(1))
    shutil.copy(EXAMPLE, tmp_path / "tracker.xlsx")
    printed = sheetsync.check(tmp_path / "tracker.xlsx", today=MONDAY).to_json()
    assert list(shown) == list(printed)
    assert list(shown["findings"][0]) == list(printed["findings"][0])


def test_the_product_points_at_no_file_outside_the_repository() -> None:
    outside = re.compile(r"DESIGN\.md|PITFALLS\.md|ADVICE\.md|\.\./shared")
    places = ["README.md", "docs", "sheetsync", "tests", "examples", "benchmarks", "templates"]
    offenders = []
    for place in places:
        path = ROOT / place
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            text = file.suffix in {".py", ".md", ".toml", ".j2", ".txt"}
            if text and file != Path(__file__) and outside.search(file.read_text("utf-8")):
                offenders.append(str(file.relative_to(ROOT)))
    assert offenders == []
