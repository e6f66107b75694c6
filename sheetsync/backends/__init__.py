"""Where trackers live. Each backend reads a :class:`~sheetsync.grid.Grid` and applies a
:class:`~sheetsync.models.Plan` in one write (none when the plan is empty).

* :mod:`~sheetsync.backends.xlsx` — .xlsx/.xlsm files, written by patching the package;
* :mod:`~sheetsync.backends.gsheets` — Google Sheets through gspread;
* :mod:`~sheetsync.backends.memory` — an in-memory grid, the seam tests and library users swap in;
* :mod:`~sheetsync.backends.readonly` — .csv and .ods files: read like the others, never written
  (``apply`` and ``sync`` refuse them).

:func:`sheetsync.pipeline.open_backend` picks one from the source's form (URL, ``gsheet:``, suffix).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sheetsync.errors import SourceError
from sheetsync.grid import CellValue, Grid
from sheetsync.models import Plan


@dataclass(frozen=True)
class Applied:
    """What an apply did."""

    written: bool
    backup: str | None = None
    output: str | None = None
    cells: int = 0


class Backend(Protocol):
    """A tracker's storage: one read, one write."""

    @property
    def name(self) -> str:
        """How the source is shown to the user."""
        ...

    @property
    def unticked(self) -> CellValue:
        """How an empty checkbox looks in this backend's prep tab."""
        ...

    def read(self) -> Grid:
        """Read every tab's values."""
        ...

    def apply(self, plan: Plan) -> Applied:
        """Write the plan's cells; write nothing when it is empty."""
        ...


def source_bytes(path: Path, what: str) -> bytes:
    """The bytes of a tracker file, or a :class:`SourceError` saying what is wrong with the
    path (``what``: the kind of file expected, as the message names it)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist. Check the path.") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder, not a {what}.") from None
    except PermissionError:
        raise SourceError(f"No permission to read {path}.") from None
