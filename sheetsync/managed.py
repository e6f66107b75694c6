"""The columns sheetsync owns in a contacts tab: their ids, headers and widths.

Their headers start with ``sheetsync ·`` so they can never be confused with a user's own
"Status" or "Next step", and are found again by header wherever the user moves them. This
module imports nothing heavy, so the .xlsx reader can know them before the checks load.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManagedColumn:
    """One column sheetsync owns."""

    id: str
    header: str
    width: float


STATUS = ManagedColumn("status", "sheetsync · status", 40)
NEXT_STEP = ManagedColumn("next_step", "sheetsync · next step", 70)
DUE = ManagedColumn("due", "sheetsync · due", 17)
MANAGED_COLUMNS: tuple[ManagedColumn, ...] = (STATUS, NEXT_STEP, DUE)
# Added only when a mailbox is configured ([mail]): what the mail says about each contact.
MAIL = ManagedColumn("mail", "sheetsync · mail", 45)
