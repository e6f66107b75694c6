"""The ``[export]`` section of sheetsync.toml: who the student is, and what redaction hides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.errors import ConfigError
from sheetsync.fields import FIELD_IDS

DEFAULT_REDACT_FIELDS: tuple[str, ...] = (
    "email",
    "linkedin",
    "promises",
    "questions",
    "notes",
    "draft",
)


@dataclass(frozen=True)
class ExportConfig:
    """The ``[export]`` section of sheetsync.toml.

    ``student``: the name on the Summary tab (default: the tracker's own title).
    ``students``: names per source for ``--cohort`` (keys: the source as given, or its file
    name). ``redact``: redact without ``--redact``. ``redact_fields``: the columns a redacted
    export leaves out (free text is never shown redacted: see :data:`REDACTION_RULES`).
    ``initials``: a redacted name becomes initials (else "Contact <row>").
    ``quiet_days``: a cohort member with no new outreach for this long needs attention.
    """

    student: str | None = None
    students: Mapping[str, str] = field(default_factory=dict)
    redact: bool = False
    redact_fields: tuple[str, ...] = DEFAULT_REDACT_FIELDS
    initials: bool = True
    quiet_days: int = 14


_CONFIG_KEYS: dict[str, type] = {
    "student": str,
    "students": dict,
    "redact": bool,
    "redact_fields": list,
    "initials": bool,
    "quiet_days": int,
}


def parse_config(table: Mapping[str, Any], path: Path) -> ExportConfig:
    """Validate ``[export]``; unknown keys and wrong types name the file and key."""
    for key, value in table.items():
        _check_config_value(key, value, path)
    fields = tuple(table.get("redact_fields", DEFAULT_REDACT_FIELDS))
    unknown = [f for f in fields if f not in FIELD_IDS]
    if unknown:
        raise ConfigError(
            f"{path}: 'export.redact_fields' names unknown field '{unknown[0]}'. "
            f"Use field ids such as: {', '.join(DEFAULT_REDACT_FIELDS)}."
        )
    return ExportConfig(
        student=table.get("student"),
        students=dict(table.get("students", {})),
        redact=table.get("redact", False),
        redact_fields=fields,
        initials=table.get("initials", True),
        quiet_days=table.get("quiet_days", 14),
    )


def _check_config_value(key: str, value: Any, path: Path) -> None:
    if key not in _CONFIG_KEYS:
        known = ", ".join(sorted(_CONFIG_KEYS))
        raise ConfigError(f"{path}: unknown key 'export.{key}'. Known keys: {known}.")
    want = _CONFIG_KEYS[key]
    items: Any = value  # isinstance() below would narrow ``value`` to ``object``
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        word = {"str": "string", "dict": "table", "bool": "true/false", "list": "list"}
        raise ConfigError(
            f"{path}: 'export.{key}' must be a {word.get(want.__name__, 'whole number')}, "
            f"not {value!r}."
        )
    if want is list and not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{path}: 'export.{key}' must be a list of field ids (strings).")
    if want is dict and not all(isinstance(v, str) for v in items.values()):
        raise ConfigError(f"{path}: 'export.{key}' maps each source to a name (a string).")
    if key == "quiet_days" and items < 1:
        raise ConfigError(f"{path}: 'export.quiet_days' must be 1 or more, not {value}.")
