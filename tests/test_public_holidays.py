"""Public holidays remembered between runs: the same days as the holidays package, read back
from sheetsync's own file, never from a file that is not exactly that key's."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sheetsync import files, rules
from sheetsync.public_holidays import (
    cache_path,
    compute,
    countries_path,
    holidays_version,
    public_holidays,
    supported_countries,
)

ROOT = Path(__file__).resolve().parent.parent
YEARS = range(2024, 2028)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    """Each test starts with nothing remembered in this process."""
    public_holidays.cache_clear()
    supported_countries.cache_clear()
    yield
    public_holidays.cache_clear()
    supported_countries.cache_clear()


def test_version_is_the_installed_package_s() -> None:
    import holidays

    assert holidays_version() == holidays.__version__


def test_first_run_writes_the_days_the_package_gives() -> None:
    days = public_holidays("US", None, YEARS)
    assert days == compute("US", None, YEARS)
    assert dt.date(2026, 2, 16) in days  # Presidents' Day
    path = cache_path(holidays_version(), "US", None, YEARS)
    doc = json.loads(path.read_bytes())
    assert doc["sheetsync"] == "holiday-cache" and files.is_own(
        files.Kind.HOLIDAY_CACHE, path.read_bytes()
    )
    assert (doc["country"], doc["subdivision"], doc["years"]) == ("US", None, [2024, 2027])
    assert [dt.date.fromisoformat(d) for d in doc["dates"]] == list(days)


def test_later_runs_read_the_file() -> None:
    path = cache_path(holidays_version(), "US", "CA", YEARS)
    public_holidays("US", "CA", YEARS)
    doc = json.loads(path.read_bytes())
    doc["dates"] = ["2026-03-13"]  # a day the package does not give: proves the file was read
    path.write_text(json.dumps(doc), encoding="utf-8")
    public_holidays.cache_clear()
    assert public_holidays("US", "CA", YEARS) == (dt.date(2026, 3, 13),)


@pytest.mark.parametrize(
    ("key", "value"),
    [("holidays", "0.1"), ("country", "GB"), ("subdivision", "NY"), ("years", [2025, 2027])],
)
def test_a_file_for_another_key_is_not_trusted(key: str, value: object) -> None:
    path = cache_path(holidays_version(), "US", None, YEARS)
    public_holidays("US", None, YEARS)
    doc = json.loads(path.read_bytes())
    doc[key], doc["dates"] = value, ["2026-03-13"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    public_holidays.cache_clear()
    days = public_holidays("US", None, YEARS)
    assert days == compute("US", None, YEARS)
    assert json.loads(path.read_bytes())[key] != value  # our own file, rewritten right


@pytest.mark.parametrize("content", [b"not json", b'{"dates": ["2026-03-13"]}', b"[1, 2]"])
def test_a_foreign_file_is_kept_and_the_days_computed(content: bytes) -> None:
    path = cache_path(holidays_version(), "US", None, YEARS)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert public_holidays("US", None, YEARS) == compute("US", None, YEARS)
    assert path.read_bytes() == content  # not sheetsync's: the one writer refused to replace it


def test_an_unwritable_folder_only_costs_the_cache(tmp_path: Path) -> None:
    path = cache_path(holidays_version(), "US", None, YEARS)
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    path.parent.write_text("a file where the folder should be", encoding="utf-8")
    assert public_holidays("US", None, YEARS) == compute("US", None, YEARS)


def test_business_days_skip_the_remembered_holidays() -> None:
    ctx = rules.make_context(dt.date(2026, 3, 16), country="US")
    again = rules.make_context(dt.date(2026, 3, 16), country="US")
    assert list(ctx.holiday_array) == list(again.holiday_array)
    assert dt.date(2026, 2, 16) in ctx.holiday_array.astype(dt.date).tolist()
    assert rules.make_context(dt.date(2026, 3, 16), country=None).holiday_array.size == 0


def test_a_second_check_does_not_load_the_holidays_package(tmp_path: Path) -> None:
    code = (
        "import sys, datetime as dt, sheetsync\n"
        f"r = sheetsync.check({str(ROOT / 'examples' / 'tracker.xlsx')!r}, "
        "today=dt.date(2026, 3, 16))\n"
        "print(len(r.findings), 'holidays' in sys.modules)"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("SHEETSYNC_CONFIG", None)

    def run() -> tuple[str, str]:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        count, loaded = proc.stdout.split()
        return count, loaded

    first, second = run(), run()
    assert first[1] == "True" and second[1] == "False"
    assert first[0] == second[0] != "0"


def test_supported_countries_are_the_package_s_then_read_back() -> None:
    import holidays

    assert supported_countries() == frozenset(holidays.list_supported_countries())
    path = countries_path(holidays_version())
    doc = json.loads(path.read_bytes())
    assert files.is_own(files.Kind.HOLIDAY_CACHE, path.read_bytes())
    doc["countries"] = ["ZZ"]  # a code the package does not know: proves the file was read
    path.write_text(json.dumps(doc), encoding="utf-8")
    supported_countries.cache_clear()
    assert supported_countries() == frozenset({"ZZ"})


def test_a_config_naming_a_country_is_checked_without_the_package_the_second_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "sheetsync.toml").write_text('country = "GB"\n', encoding="utf-8")
    code = (
        "import sys, sheetsync\nprint(sheetsync.load_settings().country, 'holidays' in sys.modules)"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("SHEETSYNC_CONFIG", None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert [r.stdout.split() for r in runs] == [["GB", "True"], ["GB", "False"]], runs
    (tmp_path / "sheetsync.toml").write_text('country = "XX"\n', encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert "country 'XX' is not a country code" in bad.stderr
