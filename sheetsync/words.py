"""How sheetsync words counts for people: one helper, so "1 contacts" cannot slip back."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 contact', '2 contacts', '1,204 formula cells'; ``many`` for irregular plurals."""
    word = noun if count == 1 else (many or f"{noun}s")
    return f"{count:,} {word}"
