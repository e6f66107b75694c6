"""A cohort line (``summary=True``) shows the same figures as the full report of the same
tracker, and carries only the number of its open actions, not the actions themselves."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from sheetsync import pipeline
from sheetsync.advisor import metrics
from sheetsync.advisor.run import report_for
from sheetsync.config import Settings

from . import workbooks
from .test_export import EXAMPLE

TODAY = dt.date(2026, 3, 16)


@pytest.fixture(params=["example", "kitchen_sink"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    path = tmp_path / "tracker.xlsx"
    if request.param == "example":
        shutil.copy(EXAMPLE, path)
    else:
        workbooks.kitchen_sink(path)
    return str(path)


@pytest.mark.parametrize("since", [None, dt.date(2026, 1, 1)])
@pytest.mark.parametrize("redact", [False, True])
def test_cohort_line_has_the_full_reports_figures(
    tracker: str, since: dt.date | None, redact: bool
) -> None:
    full = report_for(tracker, Settings(), TODAY, since=since, redact=redact)
    line = report_for(tracker, Settings(), TODAY, since=since, redact=redact, summary=True)

    assert line.metrics == full.metrics
    assert line.open_actions == len(full.actions) > 0
    assert line.actions == () and line.contacts.rows == ()
    assert (line.student, line.source, line.redacted) == (full.student, full.source, redact)


def test_funnel_counts_what_each_stage_function_counts(tracker: str) -> None:
    settings = Settings()
    df = pipeline.check(pipeline.open_backend(tracker, settings), settings, TODAY).tracker.df
    one_by_one = [
        len(df),
        int(metrics.is_contacted(df).sum()),
        int(metrics.is_replied(df).sum()),
        int(metrics.is_interviewed(df, TODAY).sum()),
        int(metrics.is_thanked(df, TODAY).sum()),
        int(metrics.gave_referrals(df).sum()),
    ]

    assert [s.count for s in metrics.funnel(df, TODAY)] == one_by_one
    assert one_by_one[1] > one_by_one[3] > 0  # a real funnel, not all zeros
