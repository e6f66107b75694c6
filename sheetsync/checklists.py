"""The template banks: the question bank (``questions.toml``) and the interview checklist.

- :func:`load_questions` reads the question bank: ``[[category]]`` tables of id, text, priority.
- :func:`load_checklist` reads the before/during/after checklist: ``[[item]]`` tables.

Both are read by ``sheetsync init`` (the "Question ideas" tab) and by the prep tab on every
sync, so this module needs nothing of either (no openpyxl).

Where the templates come from
-----------------------------
A caller may pass ``templates_dir``: a folder holding the user's own ``questions.toml``
and/or ``checklist.toml``. A file found there wins; a file missing there falls back to the
built-in one, so an override folder may hold just the file the user changed.

The built-in templates live in the repository's top-level ``templates/`` folder. In a source
checkout or an editable install (how sheetsync is developed and run), that folder sits next
to the package, one level above this file; it is recognised by the ``pyproject.toml`` beside
it, so an unrelated top-level ``templates`` folder in site-packages is never picked up.
Anywhere else (a wheel install), the templates are read as package data from
``sheetsync/_templates`` through :mod:`importlib.resources`, which also works from a zip.
For that fallback to find anything, the build must copy ``templates/*.toml`` into
``sheetsync/_templates`` (see :func:`default_templates_dir`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, Literal, cast

from sheetsync.errors import ConfigError

__all__ = [
    "CHECKLIST_FILE",
    "PHASES",
    "QUESTIONS_FILE",
    "ChecklistItem",
    "Phase",
    "Question",
    "default_templates_dir",
    "load_checklist",
    "load_questions",
]

QUESTIONS_FILE: Final = "questions.toml"
CHECKLIST_FILE: Final = "checklist.toml"

Phase = Literal["before", "during", "after"]
PHASES: Final[tuple[Phase, ...]] = ("before", "during", "after")

_ID_PATTERN: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_QUESTION_KEYS: Final = frozenset({"id", "text", "priority"})
_CHECKLIST_KEYS: Final = frozenset({"id", "phase", "text", "when"})


@dataclass(frozen=True)
class Question:
    """One entry of the question bank.

    ``category`` is the TOML table it sits under (``trends``, ``insights``, ``advice``,
    ``resources``, ``next_steps`` in the built-in bank); ``priority`` is 1 (ask first) to 3.
    """

    category: str
    id: str
    text: str
    priority: int


@dataclass(frozen=True)
class ChecklistItem:
    """One interview checklist item; ``id`` is stable because ticks are stored against it."""

    id: str
    phase: Phase
    text: str
    when: str


def default_templates_dir() -> Traversable:
    """Return the folder holding the built-in templates.

    A source checkout or editable install is recognised by ``pyproject.toml`` next to the
    ``templates/`` folder one level above the package; that folder is used as is. Otherwise
    (an installed wheel) the package-data copy ``sheetsync/_templates`` is used.
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "templates").is_dir():
        return root / "templates"
    return resources.files("sheetsync") / "_templates"


def load_questions(templates_dir: Path | None = None) -> list[Question]:
    """Read the question bank, the user's ``questions.toml`` first, else the built-in one.

    Raises :class:`ConfigError` naming the file and key when the file is malformed.
    """
    data, label = _load_toml(QUESTIONS_FILE, templates_dir)
    questions: list[Question] = []
    for category, value in data.items():
        for index, entry in enumerate(_tables(value, category, label), start=1):
            questions.append(_parse_question(entry, category, f"{label}: [[{category}]] #{index}"))
    if not questions:
        raise ConfigError(
            f"{label}: no questions found. Add at least one [[category]] table with "
            "id, text and priority, or delete the file to use the built-in questions."
        )
    _check_unique_ids([q.id for q in questions], label)
    return questions


def load_checklist(templates_dir: Path | None = None) -> list[ChecklistItem]:
    """Read the interview checklist, the user's ``checklist.toml`` first, else the built-in one.

    Raises :class:`ConfigError` naming the file and key when the file is malformed.
    """
    data, label = _load_toml(CHECKLIST_FILE, templates_dir)
    unknown = sorted(set(data) - {"item"})
    if unknown:
        raise ConfigError(
            f"{label}: unknown key '{unknown[0]}'. The checklist is a list of [[item]] "
            "tables, each with id, phase, text and when."
        )
    entries = _tables(data.get("item", []), "item", label)
    items = [_parse_item(e, f"{label}: [[item]] #{i}") for i, e in enumerate(entries, start=1)]
    if not items:
        raise ConfigError(f"{label}: no [[item]] tables found. Add at least one checklist item.")
    _check_unique_ids([item.id for item in items], label)
    return items


def _load_toml(name: str, templates_dir: Path | None) -> tuple[dict[str, Any], str]:
    """Parse template file ``name``; return its data and the label used in error messages."""
    source = _template_source(name, templates_dir)
    label = str(source)
    try:
        text = source.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"the built-in template {label} is missing; reinstall sheetsync, or put your own "
            f"{name} in your templates folder."
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text ({exc.reason}). Save it as UTF-8.") from None
    try:
        return tomllib.loads(text), label
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}. Fix that line.") from None


def _template_source(name: str, templates_dir: Path | None) -> Traversable:
    """The user's copy of ``name`` when there is one, else the built-in one."""
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise ConfigError(
                f"templates folder {templates_dir} does not exist or is not a folder. "
                "Create it, or leave the setting out to use the built-in templates."
            )
        candidate = templates_dir / name
        if candidate.is_file():
            return candidate
    return default_templates_dir() / name


def _tables(value: object, key: str, label: str) -> list[Mapping[str, Any]]:
    """Check that ``value`` is an array of tables (``[[key]]``) and return it."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            f"{label}: key '{key}' must be a list of [[{key}]] tables, not "
            f"{type(value).__name__}. Write each entry as a [[{key}]] block."
        )
    return cast("list[Mapping[str, Any]]", value)


def _parse_question(entry: Mapping[str, Any], category: str, where: str) -> Question:
    """Validate one ``[[category]]`` table and build a :class:`Question`."""
    _check_keys(entry, _QUESTION_KEYS, where)
    priority = entry["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 3:
        raise ConfigError(
            f"{where}: key 'priority' must be a whole number 1, 2 or 3, not {priority!r}."
        )
    return Question(category, _id_value(entry, where), _text_value(entry, "text", where), priority)


def _parse_item(entry: Mapping[str, Any], where: str) -> ChecklistItem:
    """Validate one ``[[item]]`` table and build a :class:`ChecklistItem`."""
    _check_keys(entry, _CHECKLIST_KEYS, where)
    phase = entry["phase"]
    if phase not in PHASES:
        raise ConfigError(
            f"{where}: key 'phase' must be one of {', '.join(PHASES)}, not {phase!r}."
        )
    return ChecklistItem(
        id=_id_value(entry, where),
        phase=cast("Phase", phase),
        text=_text_value(entry, "text", where),
        when=_text_value(entry, "when", where),
    )


def _check_keys(entry: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    """Reject missing and unknown keys, naming the first one."""
    missing = sorted(expected - set(entry))
    if missing:
        raise ConfigError(
            f"{where}: key '{missing[0]}' is missing. Each entry needs "
            f"{', '.join(sorted(expected))}."
        )
    unknown = sorted(set(entry) - expected)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}'. Allowed keys: {', '.join(sorted(expected))}."
        )


def _text_value(entry: Mapping[str, Any], key: str, where: str) -> str:
    """A non-empty string value, stripped."""
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: key '{key}' must be non-empty text, not {value!r}.")
    return value.strip()


def _id_value(entry: Mapping[str, Any], where: str) -> str:
    """A kebab-case id such as ``who-else``."""
    value = _text_value(entry, "id", where)
    if not _ID_PATTERN.fullmatch(value):
        raise ConfigError(
            f"{where}: key 'id' must be kebab-case (lower-case letters, digits and "
            f"hyphens, e.g. 'who-else'), not {value!r}."
        )
    return value


def _check_unique_ids(ids: Sequence[str], label: str) -> None:
    """Ids key the user's ticks, so two entries may not share one."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ConfigError(f"{label}: id '{item_id}' is used twice. Give each entry its own id.")
        seen.add(item_id)
