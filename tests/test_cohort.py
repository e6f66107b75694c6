"""A cohort read in worker processes gives what reading one tracker after another gives."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sheetsync import cohort
from sheetsync.advisor import SourceFailure, StudentReport
from sheetsync.config import load_settings

from . import workbooks
from .test_export import EXAMPLE

TODAY = dt.date(2026, 3, 16)


def _cohort(folder: Path) -> list[str]:
    """Nine sources: readable trackers of two kinds, a corrupt file and a missing one."""
    sources = []
    for i in range(7):
        path = folder / f"student{i}.xlsx"
        if i % 2:
            workbooks.kitchen_sink(path)
        else:
            shutil.copy(EXAMPLE, path)
        sources.append(str(path))
    (folder / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook" * 20)
    sources.insert(3, str(folder / "corrupt.xlsx"))
    sources.insert(6, str(folder / "missing.xlsx"))
    return sources


def test_pool_returns_each_summary_in_order(tmp_path: Path) -> None:
    sources = _cohort(tmp_path)
    settings = load_settings(None)

    one_by_one = cohort.read_all(sources, settings, TODAY, workers=1)
    pooled = cohort.read_all(sources, settings, TODAY, workers=2)

    assert pooled == one_by_one
    kinds = [type(o) for o in pooled]
    assert kinds.count(SourceFailure) == 2
    assert kinds[3] is SourceFailure and kinds[6] is SourceFailure
    read = [o.source for o in pooled[:3] if isinstance(o, StudentReport)]
    assert read == ["student0.xlsx", "student1.xlsx", "student2.xlsx"]  # in the order given
    readable = [o for o in pooled if isinstance(o, StudentReport)]
    assert all(not r.contacts.rows for r in readable)  # a cohort line carries no contact table
    assert all(r.metrics.stage("People listed") > 0 for r in readable)
