"""Find the contacts tab, its header row, and which column holds which canonical field.

Real trackers are messy: titles and instructions above the header, extra tabs for question
ideas and checklists, headers in any case or spelling. Headers are matched on meaning: each
field has a few short phrases (``heard back`` → ``response``), a header is split into words,
and words match exactly, by stem, or — for typos — by close spelling. Words such as *date*,
*on* and *when* say "this column holds a date" and tip the balance towards date fields.

Words are weighed against values (:mod:`sheetsync.profile`): a column of day counts is not a
date, job-posting links are not a person's LinkedIn, status words under "Contact" are not
people; a header that says little ("Date", "Column 4") is mapped by what it holds, with low
confidence. A tab is a contacts list only when its rows are people; job logs, question banks
and planners are refused with a message that says what was found. sheetsync's own columns and
prep tab are never read as input: once it has written its headers, that row is the header row.

The tab and header row with the best score win; ``[columns]`` in sheetsync.toml and
``--worksheet`` override any guess. Each mapped field carries a confidence (0–1); fields under
:data:`DOUBT` are listed in ``Layout.doubtful``.

The package, one concept per module, in the order discovery uses them:

* :mod:`~sheetsync.layout.phrases`: the words of headers, per canonical field;
* :mod:`~sheetsync.layout.headers`: how well one header text fits each field;
* :mod:`~sheetsync.layout.columns`: one header row mapped to fields, weighed by its values;
* :mod:`~sheetsync.layout.rows`: candidate header rows of a tab, and the people below them;
* :mod:`~sheetsync.layout.workbook`: the best tab and row of the workbook, or why none fits;
* :mod:`~sheetsync.layout.model`: the :class:`Layout` it returns.
"""

from sheetsync.layout.columns import DOUBT, ColumnMap, map_headers
from sheetsync.layout.headers import MIN_SCORE, field_scores, words
from sheetsync.layout.model import MANAGED_PREFIX, MAX_HEADER_ROW, Layout, is_managed_header
from sheetsync.layout.phrases import PHRASES
from sheetsync.layout.rows import BODY_ROWS, managed_row, own_columns, transposed
from sheetsync.layout.workbook import discover

__all__ = [
    "BODY_ROWS",
    "DOUBT",
    "MANAGED_PREFIX",
    "MAX_HEADER_ROW",
    "MIN_SCORE",
    "PHRASES",
    "ColumnMap",
    "Layout",
    "discover",
    "field_scores",
    "is_managed_header",
    "managed_row",
    "map_headers",
    "own_columns",
    "transposed",
    "words",
]
