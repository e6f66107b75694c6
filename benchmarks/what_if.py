"""Proposed fixes for the hot spots the profile found, applied by monkeypatching inside one
benchmark process only, so their effect can be measured before anyone changes the library.

* ``templates``: compile each checklist item's Jinja2 text once per process instead of once
  per interview block (``templating.render_text`` calls ``env.from_string`` every time).
* ``layout``: in the typo test of ``layout._word_match``, skip ``difflib`` when the lengths
  alone rule out a ratio of 0.8 (``2 * min / (len_a + len_b) < 0.8``) and try the cheap upper
  bound ``quick_ratio()`` before ``ratio()``; the answers are the same.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any


def cached_render_text() -> Callable[[str, Mapping[str, Any], str], str]:
    """``templating.render_text`` with the compiled template cached by its text."""
    import jinja2

    from sheetsync import templating
    from sheetsync.errors import TemplateError

    @lru_cache(maxsize=1024)
    def compiled(text: str) -> jinja2.Template:
        return templating.environment(None).from_string(text)

    def render_text(text: str, context: Mapping[str, Any], label: str) -> str:
        try:
            return templating._tidy(compiled(text).render(**context))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{label}: {exc.message}. Fix the text.") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"{label}: {exc.message} — check the variable's spelling."
            ) from None

    return render_text


def fast_word_match() -> Callable[[str, str], float]:
    """``layout._word_match`` with a length bound before the difflib ratio."""
    from sheetsync import layout

    def word_match(want: str, have: str) -> float:
        if want == have:
            return 1.0
        if layout._stem(want) == layout._stem(have):
            return 0.85
        short, total = min(len(want), len(have)), len(want) + len(have)
        if short < 5 or 2 * short / total < 0.8:
            return 0.0
        matcher = difflib.SequenceMatcher(None, want, have)
        if matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8:
            return 0.75  # quick_ratio() is an upper bound of ratio(): same answers
        return 0.0

    return word_match


def apply(names: list[str]) -> None:
    """Install the named fixes in this process."""
    from sheetsync import layout, prep

    if "templates" in names:
        prep.render_text = cached_render_text()  # type: ignore[assignment]
    if "layout" in names:
        layout._word_match = fast_word_match()
        layout.field_scores.cache_clear()
