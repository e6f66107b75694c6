"""The switch interval is shortened only while helper threads run, and always restored."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sheetsync import handoff, pipeline
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings

from .workbooks import kitchen_sink

TODAY = dt.date(2026, 3, 16)


@pytest.fixture
def default_switch() -> Iterator[float]:
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(switch)


def test_the_interval_is_short_inside_and_restored_after(default_switch: float) -> None:
    with handoff.helpers_running():
        assert sys.getswitchinterval() == pytest.approx(handoff.SWITCH_WHILE_HELPED)
        with handoff.helpers_running():  # nested: still short, and the outer block's restored
            assert sys.getswitchinterval() == pytest.approx(handoff.SWITCH_WHILE_HELPED)
        assert sys.getswitchinterval() == pytest.approx(handoff.SWITCH_WHILE_HELPED)
    assert sys.getswitchinterval() == pytest.approx(default_switch)


def test_an_error_inside_restores_the_interval(default_switch: float) -> None:
    with pytest.raises(RuntimeError), handoff.helpers_running():
        raise RuntimeError("boom")
    assert sys.getswitchinterval() == pytest.approx(default_switch)


def test_a_shorter_interval_set_by_the_caller_is_kept(default_switch: float) -> None:
    sys.setswitchinterval(0.0005)
    with handoff.helpers_running():
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert sys.getswitchinterval() == pytest.approx(0.0005)


def test_blocks_overlapping_in_two_threads_restore_the_interval_once_both_end(
    default_switch: float,
) -> None:
    """Two syncs in two threads: the one that ends first must not put the long interval back
    under the other, nor the other put back the short one for good."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, float] = {}

    def first() -> None:
        with handoff.helpers_running():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with handoff.helpers_running():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = sys.getswitchinterval()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first ended": pytest.approx(handoff.SWITCH_WHILE_HELPED)}
    assert sys.getswitchinterval() == pytest.approx(default_switch)


def test_a_sync_writes_with_the_short_interval_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_switch: float
) -> None:
    seen: list[float] = []
    put_prep = XlsxBackend._put_prep

    def spy(self: XlsxBackend, *args: Any) -> None:
        seen.append(sys.getswitchinterval())  # the deflating thread runs meanwhile
        put_prep(self, *args)

    monkeypatch.setattr(XlsxBackend, "_put_prep", spy)
    result = pipeline.sync(XlsxBackend(kitchen_sink(tmp_path / "t.xlsx")), Settings(), TODAY)
    assert result.written and result.plan.prep is not None
    assert seen == [pytest.approx(handoff.SWITCH_WHILE_HELPED)]
    assert sys.getswitchinterval() == pytest.approx(default_switch)
