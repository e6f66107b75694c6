"""An in-memory backend: a grid you hold in Python, for tests and library use."""

from __future__ import annotations

import copy

from sheetsync.backends import Applied
from sheetsync.grid import CellValue, Grid, Tab
from sheetsync.models import Plan, PrepPlan


class MemoryBackend:
    """Holds a :class:`Grid`; ``apply`` writes the plan's cells and prep tab into it and counts
    writes."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.writes = 0

    @property
    def unticked(self) -> CellValue:
        """An empty checkbox in the prep tab."""
        return "☐"

    @property
    def name(self) -> str:
        """The grid's source label."""
        return self.grid.source

    def read(self) -> Grid:
        """A deep copy, so the caller cannot change the stored grid by accident."""
        return copy.deepcopy(self.grid)

    def apply(self, plan: Plan) -> Applied:
        """Set each changed cell, growing rows as needed, and put the prep tab in place."""
        if plan.is_empty:
            return Applied(written=False)
        tab = self.grid.tab(plan.worksheet)
        assert tab is not None
        for change in plan.changes:
            while len(tab.rows) < change.row:
                tab.rows.append([])
            cells = tab.rows[change.row - 1]
            cells.extend([None] * (change.col - len(cells)))
            cells[change.col - 1] = change.new
        if plan.prep is not None:
            self._put_prep(plan.prep)
        self.writes += 1
        return Applied(written=True, cells=len(plan.changes))

    def _put_prep(self, prep: PrepPlan) -> None:
        """The prep tab is written whole (its rows already merge the student's)."""
        rows = [list(r) for r in prep.rows]
        current = self.grid.tab(prep.tab)
        if current is None:
            self.grid.tabs.append(Tab(prep.tab, rows))
        else:
            current.rows = rows
