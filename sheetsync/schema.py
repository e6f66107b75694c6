"""The config schema: what every section of ``sheetsync.toml`` accepts, and its one validator.

A section is a frozen dataclass whose fields are declared with :func:`setting`: the TOML key,
the TOML type it accepts, bounds or choices, and a help line (the documentation of the key)::

    @dataclass(frozen=True)
    class CalendarConfig:
        past_days: int = setting(14, int, "days back to keep interviews", minimum=0)

:func:`parse_section` checks a TOML table against such a class — unknown keys (with the
nearest known key as a suggestion), types (also inside lists and tables), bounds and choices —
then converts the values and builds the object. Every error is a :class:`ConfigError` that
names the file and the key and says what the key takes. A key of a sub-table is written with
a dot (``"sync.backups"``); ``"rules.*"`` stands for every other key of ``[rules]``.

This module imports nothing of the sections: ``sheetsync.config`` names each section's class
as ``"module:Class"`` and imports it only when the file has that section (or it is asked for).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sheetsync.errors import ConfigError

_T = TypeVar("_T")
_SCHEMA = "sheetsync.schema"
TomlType = type | tuple[type, ...]


@dataclass(frozen=True)
class Where:
    """The key being read, for messages: ``Where(path, "run.at").error("must be …")``."""

    path: Path
    key: str

    def error(self, message: str) -> ConfigError:
        """A ConfigError naming the file and the key, followed by ``message``."""
        return ConfigError(f"{self.path}: '{self.key}' {message}")


@dataclass(frozen=True)
class Key:
    """What one config key accepts. Built by :func:`setting`; read by :func:`parse_section`."""

    toml: TomlType  # str, int, float (a whole number is read as a float), bool, list or dict
    help: str  # one line: what the key means, for the reference and for messages
    key: str = ""  # the TOML key ("" = the field's name); "a.b" for key b of table [a]
    items: type | None = None  # the type of a list's items or a table's values
    single: bool = False  # one item may be written without the list brackets
    choices: tuple[Any, ...] = ()  # the allowed values (of the items, for a list)
    minimum: float | None = None
    maximum: float | None = None
    nonblank: bool = False  # strings (or list items) must hold more than spaces
    shape: str = ""  # what the key takes, as "must …" continues; default from the types
    convert: Callable[[Any, Where], Any] | None = None  # validated TOML value → field value
    derive: Callable[[Mapping[str, Any]], Any] | None = None  # default from the other fields
    parts: Mapping[str, Key] | None = None  # built from several keys (convert gets a dict)


def setting(
    default: Any = dataclasses.MISSING,
    toml: TomlType = str,
    help: str = "",
    *,
    factory: Callable[[], Any] | None = None,
    **spec: Any,
) -> Any:
    """A dataclass field that is a config key; ``spec`` takes the other :class:`Key` fields."""
    meta = {_SCHEMA: Key(toml=toml, help=help, **spec)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def user_path(text: str, where: Where) -> Path:
    """``text`` as a path, ``~`` expanded (an unknown ``~user`` is a config error, not a crash)."""
    try:
        return Path(text).expanduser()
    except RuntimeError as exc:  # Path.expanduser: "Could not determine home directory"
        raise where.error(
            f"names {text!r}, whose ~ is no home folder here. Write the full path."
        ) from exc


def beside_config(text: str, where: Where) -> str:
    """A file named in the config: relative to the config file's folder, ``~`` expanded."""
    return str(where.path.parent / user_path(text, where))


def keys_of(cls: type) -> dict[str, tuple[str, Key]]:
    """TOML key (dotted for sub-tables) → (field name, spec), in the order the class declares."""
    found: dict[str, tuple[str, Key]] = {}
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_SCHEMA)
        if spec is None:
            continue
        for key, part in (spec.parts or {spec.key or f.name: spec}).items():
            found[part.key or key] = (f.name, part)
    return found


def parse_section(
    cls: type[_T],
    table: Mapping[str, Any],
    path: Path,
    section: str = "",
    *,
    also: Sequence[str] = (),
) -> _T:
    """Validate ``table`` (the TOML table ``[section]``) against ``cls`` and build it.

    ``also`` names more keys the table may hold that others read (the top level's sections).
    """
    prefix = f"{section}." if section else ""
    keys = keys_of(cls)
    _check_tables(table, keys, path, prefix, also)
    values: dict[str, Any] = {}
    later: list[tuple[str, Key]] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        spec = f.metadata.get(_SCHEMA)
        if spec is None:
            continue
        if spec.parts is not None:
            values[f.name] = _parts(spec, table, path, prefix, keys)
            continue
        name = spec.key or f.name
        present, raw = _lookup(table, name, keys)
        if present:
            values[f.name] = read_value(raw, spec, Where(path, prefix + name))
        elif spec.derive is not None:
            later.append((f.name, spec))
    for field_name, spec in later:
        values[field_name] = spec.derive(_with_defaults(cls, values))  # type: ignore[misc]
    return cls(**values)


def read_value(raw: Any, spec: Key, where: Where) -> Any:
    """One value checked against ``spec`` (type, items, bounds, choices), then converted."""
    if spec.single and spec.items is not None and _is(raw, spec.items):
        raw = [raw]
    if not _is(raw, spec.toml):
        meaning = f" ({spec.help})" if spec.help and not spec.shape else ""
        raise where.error(f"must {_shape(spec)}, not {shown(raw)}{meaning}.")
    members = raw if isinstance(raw, list) else raw.values() if isinstance(raw, dict) else [raw]
    for item in members:
        _check_item(item, raw, spec, where)
    if spec.toml is float and isinstance(raw, int):
        raw = float(raw)  # a key that takes a number gets a float, also when written as 30
    if spec.convert is None:
        return tuple(raw) if isinstance(raw, list) else raw
    try:
        return spec.convert(raw, where)
    except ValueError as exc:
        raise where.error(f"— {exc}") from exc


def _check_item(item: Any, raw: Any, spec: Key, where: Where) -> None:
    container = isinstance(raw, list | dict)
    if container and spec.items is not None and not _is(item, spec.items):
        raise where.error(f"must {_shape(spec)}, not {shown(raw)}.")
    if spec.nonblank and isinstance(item, str) and not item.strip():
        raise where.error(f"must {_shape(spec)}, not a blank text.")
    if spec.choices and item not in spec.choices:
        choices = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in spec.choices)
        if container:
            raise where.error(f"has {shown(item)}; choose from {choices}.")
        raise where.error(f"must be one of {choices}, not {shown(item)}.")
    if isinstance(item, float) and not math.isfinite(item):
        raise where.error(f"must be a finite number, not {item}.")
    if not isinstance(item, int | float) or isinstance(item, bool):
        return
    low, high = spec.minimum, spec.maximum
    if (low is not None and item < low) or (high is not None and item > high):
        raise where.error(f"must be {_number(spec)}{_bounds(spec)}, not {shown(item)}.")


def _parts(
    spec: Key, table: Mapping[str, Any], path: Path, prefix: str, keys: Mapping[str, Any]
) -> Any:
    given: dict[str, Any] = {}
    for key, part in (spec.parts or {}).items():
        present, raw = _lookup(table, key, keys)
        if present:
            given[key] = read_value(raw, part, Where(path, prefix + key))
    assert spec.convert is not None, "a field of several keys needs convert"
    return spec.convert(given, Where(path, prefix.rstrip(".")))


def _with_defaults(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            out[f.name] = values[f.name]
        elif f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


# --------------------------------------------------------------------------- unknown keys


def _check_tables(
    table: Mapping[str, Any],
    keys: Mapping[str, tuple[str, Key]],
    path: Path,
    prefix: str,
    also: Sequence[str],
) -> None:
    """Refuse unknown keys, and a sub-table written as a plain value, table by table."""
    _check_level(table, _level(keys, ""), path, prefix, also)
    for sub in sorted({k.split(".")[0] for k in keys if "." in k}):
        if sub not in table:
            continue
        value = table[sub]
        if not isinstance(value, dict):
            raise ConfigError(
                f"{path}: '{prefix}{sub}' must be a table, written [{prefix}{sub}], "
                f"not {shown(value)}."
            )
        _check_level(value, _level(keys, sub + "."), path, f"{prefix}{sub}.", ())


def _level(keys: Mapping[str, Any], under: str) -> list[str]:
    """The keys one table holds: its own, and the names of its sub-tables."""
    names = [k[len(under) :].split(".")[0] for k in keys if k.startswith(under)]
    return list(dict.fromkeys(names))


def _check_level(
    table: Mapping[str, Any], known: Sequence[str], path: Path, prefix: str, also: Sequence[str]
) -> None:
    if "*" in known:
        return  # a table whose other keys are named by the user (rule ids)
    allowed = [*known, *also]
    for key in table:
        if key not in allowed:
            raise ConfigError(unknown_key(path, prefix, key, allowed))


def did_you_mean(word: str, known: Sequence[str], prefix: str = "") -> str:
    """`` Did you mean 'x'?`` for the known word nearest a typo, else nothing."""
    near = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" Did you mean '{prefix}{near[0]}'?" if near else ""


def unknown_key(path: Path, prefix: str, key: str, known: Sequence[str]) -> str:
    """The message for an unknown key: the nearest known key, and all of them."""
    hint = did_you_mean(key, known, prefix)
    return f"{path}: unknown key '{prefix}{key}'.{hint} Known keys: {', '.join(sorted(known))}."


def _lookup(table: Mapping[str, Any], dotted: str, keys: Mapping[str, Any]) -> tuple[bool, Any]:
    """Whether ``table`` holds the key ``dotted``, and its value."""
    head, _, rest = dotted.partition(".")
    if not rest:
        return (head in table, table.get(head))
    inner = table.get(head, {})
    if rest == "*":  # the keys of [head] no other key names
        named = {k.partition(".")[2] for k in keys if k.startswith(head + ".")}
        others = {k: v for k, v in inner.items() if k not in named}
        return (bool(others), others)
    return (rest in inner, inner.get(rest))


# --------------------------------------------------------------------------- words


def _is(value: Any, want: TomlType) -> bool:
    wants = want if isinstance(want, tuple) else (want,)
    if isinstance(value, bool):
        return bool in wants
    if isinstance(value, int) and float in wants:
        return True
    return isinstance(value, wants)


_WORDS = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}
_PLURALS = {str: "strings", int: "whole numbers", float: "numbers", bool: "true/false values"}


def _shape(spec: Key) -> str:
    if spec.shape:
        return spec.shape
    wants = spec.toml if isinstance(spec.toml, tuple) else (spec.toml,)
    words = []
    for want in wants:
        if want is list and spec.items is not None:
            words.append(f"a list of {_PLURALS.get(spec.items, 'values')}")
        elif want is dict and spec.items is not None:
            words.append(f"a table of {_PLURALS.get(spec.items, 'values')}")
        else:
            words.append(_WORDS.get(want, "a value"))
    return "be " + " or ".join(words) + _bounds(spec)


def _number(spec: Key) -> str:
    return "a whole number" if int in _types(spec) and float not in _types(spec) else "a number"


def _types(spec: Key) -> tuple[type, ...]:
    wants = spec.toml if isinstance(spec.toml, tuple) else (spec.toml,)
    return (*wants, *((spec.items,) if spec.items else ()))


def _bounds(spec: Key) -> str:
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f", {low:g} or more"
    if high is not None:
        return f", {high:g} or less"
    return ""


def shown(value: Any) -> str:
    """A config value quoted in a message, unless it may be key material."""
    from sheetsync.safetext import looks_like_secret

    text = repr(value)
    return "a value that looks like key material (not shown)" if looks_like_secret(text) else text


def type_words(spec: Key) -> str:
    """What a key takes, in words (for the reference)."""
    if spec.shape.startswith("be "):
        words = spec.shape.removeprefix("be ")
    else:
        words = _shape(Key(spec.toml, spec.help, items=spec.items)).removeprefix("be ")
        words += _bounds(spec)
    if spec.single and spec.items is not None:
        words = f"{_WORDS.get(spec.items, 'a value')} or {words}"
    if spec.choices:
        words += ": " + ", ".join(toml_literal(c) for c in spec.choices)
    return words


# --------------------------------------------------------------------------- the reference


def reference(cls: type, section: str = "") -> list[tuple[str, str, str, str]]:
    """(key as written, what it takes, default, help) for every key of ``cls``, in order."""
    defaults = _with_defaults(cls, {})
    rows = []
    for key, (name, spec) in keys_of(cls).items():
        shown_key = key.replace("*", "<rule id>") if key.endswith(".*") else key
        full = f"{section}.{shown_key}" if section else shown_key
        whole = not _is_part(cls, name) and spec.derive is None
        default = toml_literal(defaults.get(name)) if whole else "see help"
        rows.append((full, type_words(spec), default, spec.help))
    return rows


def _is_part(cls: type, name: str) -> bool:
    spec = next(f for f in dataclasses.fields(cls) if f.name == name).metadata.get(_SCHEMA)
    return spec is not None and spec.parts is not None


def toml_literal(value: Any) -> str:
    """A default as it would be written in sheetsync.toml ("—" for none)."""
    import datetime as dt

    if value is None or value == {}:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dt.time):
        return f'"{value:%H:%M}"'
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        unit = next(
            u for u, n in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)) if seconds % n == 0
        )
        return f'"{seconds // {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]}{unit}"'
    return f"{value:,}".replace(",", "_") if isinstance(value, int) else f"{value:g}"
