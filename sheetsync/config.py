"""``sheetsync.toml`` → frozen :class:`Settings`.

Found through ``--config``, then ``$SHEETSYNC_CONFIG``, then ``./sheetsync.toml``; with none of
them, the defaults apply. Unknown keys and wrong types are errors that name the file and key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheetsync.errors import ConfigError
from sheetsync.fields import FIELD_IDS

CONFIG_ENV = "SHEETSYNC_CONFIG"
DEFAULT_NAME = "sheetsync.toml"


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told, with the defaults a new user gets."""

    source: str | None = None
    worksheet: str | None = None
    header_row: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    ignore_columns: tuple[str, ...] = ()  # headers of columns that mean nothing to sheetsync
    day_first: bool = False
    country: str | None = "US"
    subdivision: str | None = None
    timezone: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    backups: int = 3
    backup_dir: str | None = None
    ok_status: str = "OK"
    max_unzipped_mb: int = 300  # an .xlsx whose XML unzips to more is refused, not read
    max_cells: int = 10_000_000  # cells of one rectangular block of a tab
    google_credentials: str | None = None
    google_auth: str = "auto"
    google_timeout: float = 60.0  # seconds to wait for an answer from the Sheets API
    google_retries: int = 5  # 429/5xx retries before giving up
    sections: Mapping[str, Any] = field(default_factory=dict)  # [run], [digest], … parsed
    path: Path | None = None

    def section(self, name: str) -> Any:
        """The parsed settings of an extension section (its parser's defaults when absent)."""
        if name in self.sections:
            return self.sections[name]
        return _section_parser(name)({}, self.path or Path(DEFAULT_NAME))

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "worksheet": str,
    "header_row": int,
    "day_first": bool,
    "country": str,
    "subdivision": str,
    "timezone": str,
    "columns": dict,
    "ignore_columns": list,
    "rules": dict,
    "sync": dict,
    "google": dict,
}
# Sections owned by other modules: name → "module:function". The function takes the TOML table
# and the config path, validates it (ConfigError naming file and key), and returns a frozen
# settings object; called with {} it returns the defaults.
SECTION_PARSERS: dict[str, str] = {
    "run": "sheetsync.scheduler:parse_config",
    "digest": "sheetsync.digest:parse_config",
    "smtp": "sheetsync.digest:parse_smtp_config",
    "calendar": "sheetsync.calendar:parse_config",
    "export": "sheetsync.advisor:parse_config",
    "prep": "sheetsync.prep:parse_config",
    "mail": "sheetsync.mail.config:parse_config",
}
_GOOGLE_KEYS: dict[str, type | tuple[type, ...]] = {
    "credentials": str,
    "auth": str,
    "timeout": (int, float),
    "retries": int,
}
GOOGLE_AUTH = ("auto", "service-account", "oauth", "adc", "anonymous")
_SYNC_KEYS: dict[str, type | tuple[type, ...]] = {
    "backups": int,
    "backup_dir": str,
    "ok_status": str,
    "max_unzipped_mb": int,
    "max_cells": int,
}


def find_config(explicit: str | Path | None) -> Path | None:
    """The config file to use: ``--config``, ``$SHEETSYNC_CONFIG``, or ``./sheetsync.toml``."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist. Check the --config path.")
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(
                f"${CONFIG_ENV} points at {path}, which does not exist. Fix or unset it."
            )
        return path
    local = Path(DEFAULT_NAME)
    return local if local.is_file() else None


def resolve_source(source: str, config_path: Path | None) -> str:
    """A source named in the config is relative to the config file's folder."""
    if config_path is None or ":" in source or Path(source).expanduser().is_absolute():
        return str(Path(source).expanduser()) if ":" not in source else source
    return str(config_path.parent / source)


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Read and validate the config file, or return the defaults when there is none."""
    path = find_config(explicit)
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the line it names.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from exc
    return parse_settings(data, path)


def _section_parser(name: str) -> Any:
    import importlib

    module, _, func = SECTION_PARSERS[name].partition(":")
    return getattr(importlib.import_module(module), func)


def parse_settings(data: Mapping[str, Any], path: Path) -> Settings:
    """Validate a parsed TOML document into :class:`Settings`."""
    sections = {
        name: _section_parser(name)(_table(data[name], name, path), path)
        for name in SECTION_PARSERS
        if name in data
    }
    data = {k: v for k, v in data.items() if k not in SECTION_PARSERS}
    google = data.get("google", {})
    if isinstance(google, dict) and "credentials" in google:
        _credentials_path(google["credentials"], path)  # before any message could echo it
    check_keys(data, _TOP_KEYS, path, prefix="")
    sync = data.get("sync", {})
    check_keys(sync, _SYNC_KEYS, path, prefix="sync.")
    check_keys(google, _GOOGLE_KEYS, path, prefix="google.")
    if google.get("auth", "auto") not in GOOGLE_AUTH:
        raise ConfigError(f"{path}: 'google.auth' must be one of {', '.join(GOOGLE_AUTH)}.")
    rules = _parse_rules(data.get("rules", {}), path)
    settings = Settings(
        source=data.get("source"),
        worksheet=data.get("worksheet"),
        header_row=_positive(data.get("header_row"), "header_row", path),
        columns=_parse_columns(data.get("columns", {}), path),
        ignore_columns=_parse_ignored(data.get("ignore_columns", []), path),
        day_first=data.get("day_first", False),
        country=_country(data.get("country", "US")),
        subdivision=data.get("subdivision") or None,
        timezone=_timezone(data.get("timezone"), path),
        select=rules[0],
        ignore=rules[1],
        rule_params=rules[2],
        backups=_non_negative(sync.get("backups", 3), "sync.backups", path),
        backup_dir=sync.get("backup_dir"),
        ok_status=sync.get("ok_status", "OK"),
        max_unzipped_mb=_at_least_one(sync, "max_unzipped_mb", Settings.max_unzipped_mb, path),
        max_cells=_at_least_one(sync, "max_cells", Settings.max_cells, path),
        google_credentials=_relative(_credentials_path(google.get("credentials"), path), path),
        google_auth=google.get("auth", "auto"),
        google_timeout=float(google.get("timeout", 60.0)),
        google_retries=_non_negative(google.get("retries", 5), "google.retries", path),
        sections=sections,
        path=path,
    )
    _check_country(settings, path)
    return settings


def check_keys(
    table: Mapping[str, Any], schema: Mapping[str, type | tuple[type, ...]], path: Path, prefix: str
) -> None:
    """Refuse unknown keys and wrong types in a config table, naming the file and the key."""
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            if not prefix:
                known = ", ".join(sorted([*schema, *SECTION_PARSERS]))
            raise ConfigError(f"{path}: unknown key '{prefix}{key}'. Known keys: {known}.")
        expected = schema[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            name = expected.__name__ if isinstance(expected, type) else "value"
            raise ConfigError(
                f"{path}: '{prefix}{key}' must be a {_type_word(name)}, not {_shown(value)}."
            )


def _shown(value: Any) -> str:
    """A config value quoted in an error message, unless it may be key material."""
    from sheetsync.safetext import looks_like_secret

    text = repr(value)
    return "a value that looks like key material (not shown)" if looks_like_secret(text) else text


def _type_word(name: str) -> str:
    return {"str": "string", "int": "whole number", "bool": "true/false", "dict": "table"}.get(
        name, name
    )


def _parse_columns(table: Mapping[str, Any], path: Path) -> dict[str, str]:
    columns: dict[str, str] = {}
    for key, value in table.items():
        if key not in FIELD_IDS:
            raise ConfigError(
                f"{path}: [columns] key '{key}' is not a field sheetsync knows. "
                f"Use one of: {', '.join(FIELD_IDS)}."
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: columns.{key} must be the header text of a column.")
        columns[key] = value
    return columns


def _parse_ignored(value: list[Any], path: Path) -> tuple[str, ...]:
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f"{path}: 'ignore_columns' must be a list of header texts, like [\"Misc\"]."
        )
    return tuple(value)


def _parse_rules(
    table: Mapping[str, Any], path: Path
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, dict[str, Any]]]:
    from sheetsync.rules import validate_params  # rules do not import config: no cycle

    select = _rule_list(table.get("select", []), "rules.select", path)
    ignore = _rule_list(table.get("ignore", []), "rules.ignore", path)
    params: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if key in ("select", "ignore"):
            continue
        if not isinstance(value, dict):
            raise ConfigError(
                f"{path}: 'rules.{key}' must be a table such as [rules.{key}], or use "
                "rules.select / rules.ignore."
            )
        params[key] = validate_params(key, value, where=f"{path}: [rules.{key}]")
    return select, ignore, params


def _rule_list(value: Any, key: str, path: Path) -> tuple[str, ...]:
    from sheetsync.rules import RULES

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: '{key}' must be a list of rule ids, like [\"stale-contact\"].")
    for rule_id in value:
        if rule_id not in RULES:
            raise ConfigError(
                f"{path}: '{key}' names unknown rule '{rule_id}'. See `sheetsync rules`."
            )
    return tuple(value)


def _table(value: Any, name: str, path: Path) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: '{name}' must be a table, written [{name}].")
    return value


def _relative(value: str | None, path: Path) -> str | None:
    """A file named in the config, relative to the config file's folder."""
    if value is None:
        return None
    target = Path(value).expanduser()
    return str(target if target.is_absolute() else path.parent / target)


def _credentials_path(value: Any, path: Path) -> str | None:
    """``[google] credentials`` is the path of a key file; the key itself is never echoed."""
    from sheetsync.safetext import looks_like_secret

    if value is None:
        return None
    if not isinstance(value, str) or looks_like_secret(value):
        raise ConfigError(
            f"{path}: 'google.credentials' must be the path of your key file (for example "
            '"service-account.json"), but it holds something else — it looks like the key '
            "itself, so it is not shown here. Save the key as a .json file next to "
            "sheetsync.toml, set credentials to that file's name, and remove the key text from "
            f"{path.name} (treat it as leaked if the file was shared)."
        )
    return value


def _at_least_one(sync: Mapping[str, Any], key: str, default: int, path: Path) -> int:
    value = sync.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{path}: 'sync.{key}' must be a whole number, 1 or more, not {value}.")
    return value


def _positive(value: Any, key: str, path: Path) -> int | None:
    if value is not None and value < 1:
        raise ConfigError(f"{path}: '{key}' must be 1 or more, not {value}.")
    return value if value is None else int(value)


def _non_negative(value: Any, key: str, path: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{path}: '{key}' must be a whole number, 0 or more, not {value!r}.")
    return value


def _country(value: str) -> str | None:
    return None if value.strip().lower() in ("", "none") else value.strip().upper()


def _check_country(settings: Settings, path: Path) -> None:
    if settings.country is None:
        return
    import holidays

    if settings.country not in holidays.list_supported_countries():
        raise ConfigError(
            f"{path}: country '{settings.country}' is not a country code the holidays "
            'package knows. Use a two-letter code such as "US" or "GB", or "none".'
        )


def _timezone(value: str | None, path: Path) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{path}: timezone '{value}' is not a known time zone. "
            'Use an IANA name such as "America/Los_Angeles".'
        ) from exc
    return value
