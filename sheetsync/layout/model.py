"""What layout found: the :class:`Layout` record, and which headers are sheetsync's own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from sheetsync.grid import clean_text

MANAGED_PREFIX = "sheetsync"
# The columns sheetsync writes ("sheetsync · status", …: sheetsync.status), whatever the
# separator after the prefix; not any text that starts with "sheetsync", which a student may
# type as a value ("Sheetsync Labs").
MANAGED_NAMES = ("status", "next step", "due", "mail")
_SEPARATORS = r"[\W_]*"
_MANAGED_HEADER = re.compile(
    MANAGED_PREFIX
    + r"[\W_]+"
    + "(?:"
    + "|".join(name.replace(" ", _SEPARATORS) for name in MANAGED_NAMES)
    + ")"
    + _SEPARATORS
)
MAX_HEADER_ROW = 15


@dataclass(frozen=True)
class Layout:
    """Where the contacts live: tab, header row, and the column of each field found."""

    worksheet: str
    header_row: int
    columns: Mapping[str, int]  # canonical field → 1-based column
    headers: Mapping[int, str]  # column → header text exactly as in the sheet
    unmapped: tuple[str, ...] = ()
    managed: Mapping[str, int] = field(default_factory=dict)  # managed header → column
    warnings: tuple[str, ...] = ()
    # How sure the map is, per canonical field (0–1); fields set in [columns] count as 1.0.
    confidence: Mapping[str, float] = field(default_factory=dict)
    # Fields whose meaning is in doubt: ``sync`` does not write until they are confirmed.
    doubtful: tuple[str, ...] = ()

    def header_of(self, field_id: str) -> str:
        """The header text of a mapped field, as shown (see :meth:`column_names`)."""
        return clean_text(self.headers[self.columns[field_id]])

    def has(self, field_id: str) -> bool:
        """True when the field has a column."""
        return field_id in self.columns

    def column_names(self) -> dict[str, str]:
        """Canonical field → header text as shown, in sheet order (the JSON ``columns``
        object); spaces and invisible characters at either end are not shown."""
        ordered = sorted(self.columns.items(), key=lambda kv: kv[1])
        return {f: clean_text(self.headers[c]) for f, c in ordered}

    def without(self, ignored: Sequence[str]) -> Layout:
        """This layout with the columns under the headers ``ignored`` (``ignore_columns`` in
        the config: headers that mean nothing to sheetsync) unmapped."""
        folded = {clean_text(h).casefold() for h in ignored}
        dropped = {
            f for f, c in self.columns.items() if clean_text(self.headers[c]).casefold() in folded
        }
        if not dropped:
            return self
        return replace(
            self,
            columns={f: c for f, c in self.columns.items() if f not in dropped},
            unmapped=tuple(
                t
                for c, t in sorted(self.headers.items())
                if t in self.unmapped or any(self.columns[f] == c for f in dropped)
            ),
            confidence={f: v for f, v in self.confidence.items() if f not in dropped},
            doubtful=tuple(f for f in self.doubtful if f not in dropped),
        )


def is_managed_header(text: str) -> bool:
    """True for a header sheetsync owns: ``sheetsync`` and the name of one of its columns."""
    return _MANAGED_HEADER.fullmatch(clean_text(text).casefold()) is not None
