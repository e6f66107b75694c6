"""The ``[export]`` section of sheetsync.toml: who the student is, and what redaction hides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sheetsync.fields import FIELD_IDS
from sheetsync.schema import Where, parse_section, setting

DEFAULT_REDACT_FIELDS: tuple[str, ...] = (
    "email",
    "linkedin",
    "promises",
    "questions",
    "notes",
    "draft",
)


def _field_ids(value: Sequence[str], where: Where) -> tuple[str, ...]:
    unknown = [f for f in value if f not in FIELD_IDS]
    if unknown:
        raise where.error(
            f"names unknown field '{unknown[0]}'. "
            f"Use field ids such as: {', '.join(DEFAULT_REDACT_FIELDS)}."
        )
    return tuple(value)


@dataclass(frozen=True)
class ExportConfig:
    """The ``[export]`` section of sheetsync.toml (what each key means is its help line; free
    text is never shown redacted: see :data:`REDACTION_RULES`)."""

    student: str | None = setting(
        None, str, "the student's name on the Summary tab (default: the tracker's own title)"
    )
    students: Mapping[str, str] = setting(
        toml=dict,
        help="names per source for --cohort (keys: the source as given, or its file name)",
        items=str,
        factory=dict,
        convert=lambda v, w: dict(v),
    )
    redact: bool = setting(False, bool, "redact without --redact")
    redact_fields: tuple[str, ...] = setting(
        DEFAULT_REDACT_FIELDS,
        list,
        "the columns a redacted export leaves out (field ids)",
        items=str,
        convert=_field_ids,
    )
    initials: bool = setting(True, bool, 'a redacted name becomes initials (else "Contact <row>")')
    quiet_days: int = setting(
        14, int, "a cohort member with no new outreach for this long needs attention", minimum=1
    )


def parse_config(table: Mapping[str, Any], path: Path) -> ExportConfig:
    """Validate ``[export]``; unknown keys and wrong types name the file and key."""
    return parse_section(ExportConfig, table, path, "export")
