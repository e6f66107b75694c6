"""Shared test helpers: build grids and workbooks the way users lay out trackers."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import settings as hypothesis_settings
from xdist.scheduler import LoadGroupScheduling

from sheetsync.fields import BY_ID
from sheetsync.grid import CellValue, Grid, Tab

TODAY = dt.date(2026, 3, 16)

# In CI the property tests draw the same examples every run (a landing must not depend on
# luck); on a developer's machine they explore new ones each time. Neither has a deadline:
# how long an example takes on a loaded two-core machine is not what the properties are about.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


def grid_of(rows: Sequence[Sequence[CellValue]], name: str = "Contacts") -> Grid:
    """A one-tab grid from literal rows (row 1 first)."""
    return Grid(source="memory", tabs=[Tab(name, [list(r) for r in rows])])


def field_rows(
    rows: Sequence[Mapping[str, object]], also: Sequence[str] = ()
) -> list[list[CellValue]]:
    """Header of the fields used (default header texts) followed by one row per mapping."""
    fields: list[str] = list(also)
    for r in rows:
        fields += [f for f in r if f not in fields]
    fields = fields or ["name"]
    header: list[CellValue] = [BY_ID[f].header for f in fields]
    if "name" not in fields:
        header.insert(0, "Name")
        return [header] + [["Someone", *[r.get(f) for f in fields]] for r in rows]
    return [header] + [[r.get(f) for f in fields] for r in rows]


def save_rows(path: Path, rows: Sequence[Sequence[CellValue]], title: str = "Contacts") -> Path:
    """Write literal rows into a one-tab .xlsx with openpyxl (text stays text)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value[:1] in "=+-@":
                cell.data_type = "s"
    wb.save(path)
    return path


@pytest.fixture
def today() -> dt.date:
    return TODAY


# Fixtures for every test module: the in-process console-script runner, the Sheets API emulator.
from .cli_runner import cli  # noqa: E402, F401
from .dovecot import dovecot_factory  # noqa: E402, F401
from .sheets_emulator import emulator, emulator_env  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _user_state_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """sheetsync's user state folder (platformdirs) points into the test's temp space, never at
    the real home folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))


@pytest.fixture(scope="session")
def soffice_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The ``-env:UserInstallation=…`` argument for every ``soffice`` call: a LibreOffice profile
    of this test process's own (one per xdist worker), made by the first conversion and reused
    by the next ones. Never the user's ``~/.config/libreoffice``: two conversions sharing a
    profile at once hand their work to each other's instance or fail on its lock."""
    return "-env:UserInstallation=" + tmp_path_factory.mktemp("lo-profile").as_uri()


# -------------------------------------------------------------- parallel runs (pytest-xdist)


class _ModuleGroups(LoadGroupScheduling):
    """``--dist loadgroup`` that works on pytest 9 too: every test is its own unit of work, except
    in a test module with a ``pytest.mark.xdist_group`` mark anywhere, whose tests all go to one
    worker (xdist's own grouping renames the test ids, which pytest 9 no longer allows)."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        if scope != nodeid:  # grouped by xdist itself
            return scope
        module = nodeid.split("::", 1)[0]
        return module if _marks_a_group(self.config.rootpath / module) else nodeid


@functools.cache
def _marks_a_group(module: Path) -> bool:
    return module.suffix == ".py" and "mark.xdist_group(" in module.read_text(encoding="utf-8")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadGroupScheduling | None:
    """The scheduler for ``--dist loadgroup`` (set in pyproject.toml)."""
    return _ModuleGroups(config, log) if config.getvalue("dist") == "loadgroup" else None
