"""sheetsync: keep an informational-interview tracker honest.

Use it from Python::

    import sheetsync

    report = sheetsync.check("tracker.xlsx")
    for finding in report.findings:
        print(finding.row, finding.contact, finding.rule, finding.message)
    result = sheetsync.sync("tracker.xlsx", dry_run=True)
    print(len(result.plan.changes), "cells would change")

Every name below is loaded on first use (a module ``__getattr__``), so ``import sheetsync`` is
cheap and a check of an .xlsx never loads the Google or export libraries.

The pipeline, one module per step::

    source ──read──▶ grid            backends/
           ──layout─▶ column map      layout/
           ──frame──▶ typed frame     frame.py
           ──check──▶ findings        rules/
           ──status─▶ managed cells   status.py
           ──plan───▶ cell changes    planning.py
           ──apply──▶ one write       backends/
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sheetsync import lazy

__version__ = "0.1.0"

# public name → module that defines it
_EXPORTS: dict[str, str] = {
    "read": "sheetsync.api",
    "check": "sheetsync.api",
    "plan": "sheetsync.api",
    "sync": "sheetsync.api",
    "export": "sheetsync.api",
    "load_settings": "sheetsync.api",
    "Settings": "sheetsync.config",
    "Checked": "sheetsync.pipeline",
    "Finding": "sheetsync.models",
    "Severity": "sheetsync.models",
    "Plan": "sheetsync.models",
    "CellChange": "sheetsync.models",
    "SyncResult": "sheetsync.models",
    "ExportResult": "sheetsync.advisor",
    "Layout": "sheetsync.layout",
    "Grid": "sheetsync.grid",
    **dict.fromkeys(
        [
            "SheetsyncError",
            "ConfigError",
            "MapNotConfirmed",
            "SourceError",
            "ReadOnlySource",
            "LayoutError",
            "TemplateError",
            "WriteRefused",
            "FileLockedError",
            "SourceChangedError",
            "OutputRefused",
            "GoogleError",
            "SheetsAPIError",
            "MailUnavailable",
            "DeliveryError",
            "AlreadyRunning",
        ],
        "sheetsync.errors",
    ),
}

__all__ = [
    "AlreadyRunning",
    "CellChange",
    "Checked",
    "ConfigError",
    "DeliveryError",
    "ExportResult",
    "FileLockedError",
    "Finding",
    "GoogleError",
    "Grid",
    "Layout",
    "LayoutError",
    "MailUnavailable",
    "MapNotConfirmed",
    "OutputRefused",
    "Plan",
    "ReadOnlySource",
    "Settings",
    "Severity",
    "SheetsAPIError",
    "SheetsyncError",
    "SourceChangedError",
    "SourceError",
    "SyncResult",
    "TemplateError",
    "WriteRefused",
    "__version__",
    "check",
    "export",
    "load_settings",
    "plan",
    "read",
    "sync",
]

if TYPE_CHECKING:
    from sheetsync.advisor import ExportResult
    from sheetsync.api import check, export, load_settings, plan, read, sync
    from sheetsync.config import Settings
    from sheetsync.errors import (
        AlreadyRunning,
        ConfigError,
        DeliveryError,
        FileLockedError,
        GoogleError,
        LayoutError,
        MailUnavailable,
        MapNotConfirmed,
        OutputRefused,
        ReadOnlySource,
        SheetsAPIError,
        SheetsyncError,
        SourceChangedError,
        SourceError,
        TemplateError,
        WriteRefused,
    )
    from sheetsync.grid import Grid
    from sheetsync.layout import Layout
    from sheetsync.models import CellChange, Finding, Plan, Severity, SyncResult
    from sheetsync.pipeline import Checked


__getattr__, __dir__ = lazy.exports(__name__, globals(), _EXPORTS)
