"""``sheetsync.toml`` → frozen :class:`Settings`.

Found through ``--config``, then ``$SHEETSYNC_CONFIG``, then ``./sheetsync.toml``; with none of
them, the defaults apply. Every key is declared once, with its type, default and help line, in
:class:`Settings` (the top level, ``[columns]``, ``[rules]``, ``[sync]``, ``[google]``) or in
the class of its section (``[run]``, ``[digest]``, …, see :data:`SECTIONS`); one validator,
:func:`sheetsync.schema.parse_section`, reads them all. Unknown keys and wrong types are errors
(exit 2) that name the file and the key and say what the key takes.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheetsync.errors import ConfigError
from sheetsync.fields import BY_ID, FIELD_IDS
from sheetsync.schema import (
    Where,
    beside_config,
    did_you_mean,
    parse_section,
    reference,
    setting,
    shown,
)

CONFIG_ENV = "SHEETSYNC_CONFIG"
DEFAULT_NAME = "sheetsync.toml"


# Sections owned by other modules: name → the frozen dataclass that declares them (with
# :func:`sheetsync.schema.setting` fields), as "module:Class" so that a module is imported only
# when the file has its section or a command asks for it. "module:function" names a parser of
# its own (a table and the config path in, the settings out; {} gives the defaults).
SECTIONS: dict[str, str] = {
    "run": "sheetsync.scheduler:RunConfig",
    "digest": "sheetsync.digest:DigestConfig",
    "smtp": "sheetsync.digest:SmtpConfig",
    "calendar": "sheetsync.calendar:CalendarConfig",
    "export": "sheetsync.advisor.config:ExportConfig",
    "prep": "sheetsync.prep:PrepSettings",
    "mail": "sheetsync.mail.config:MailConfig",
}
# Sections whose server takes a password: the keyring service named in the message that
# refuses a ``password`` key.
PASSWORD_SERVICES = {"smtp": "sheetsync", "mail": "sheetsync-mail"}
GOOGLE_AUTH = ("auto", "service-account", "oauth", "adc", "anonymous")


def _credentials(value: Any, where: Where) -> str | None:
    checked = _credentials_path(value, where.path)
    return None if checked is None else beside_config(checked, where)


def _timezone_key(value: str, where: Where) -> str:
    return _timezone(value, where.path) or value


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told, with the defaults a new user gets.

    Each field declared with :func:`~sheetsync.schema.setting` is a key of sheetsync.toml
    (``"sync.backups"`` is ``backups`` under ``[sync]``); ``sections`` holds the parsed
    extension sections (``[run]``, ``[digest]``, …) and ``path`` the file read.
    """

    source: str | None = setting(None, str, "the tracker to read when none is given")
    worksheet: str | None = setting(None, str, "the tab of the contacts (default: found)")
    header_row: int | None = setting(
        None, int, "the row of the headers (default: found)", minimum=1
    )
    columns: Mapping[str, str] = setting(
        toml=dict,
        factory=dict,
        help="a table [columns]: field id = the header text of its column (see `sheetsync map`)",
        convert=lambda v, w: _parse_columns(v, w.path),
    )
    ignore_columns: tuple[str, ...] = setting(
        (),
        list,
        "headers of columns that mean nothing to sheetsync",
        items=str,
        nonblank=True,
        shape='be a list of header texts, like ["Misc"]',
    )
    day_first: bool = setting(False, bool, "read 03/04 as 3 April rather than March 4")
    country: str | None = setting(
        "US",
        str,
        'the country whose holidays are not business days ("none" for none)',
        convert=lambda v, w: _country(v),
    )
    subdivision: str | None = setting(
        None, str, "a state or province for its holidays", convert=lambda v, w: v or None
    )
    timezone: str | None = setting(
        None, str, 'an IANA time zone such as "America/Los_Angeles"', convert=_timezone_key
    )
    select: tuple[str, ...] = setting(
        (),
        list,
        "run only these rules",
        key="rules.select",
        items=str,
        shape='be a list of rule ids, like ["stale-contact"]',
        convert=lambda v, w: _rule_list(v, w.key, w.path),
    )
    ignore: tuple[str, ...] = setting(
        (),
        list,
        "never run these rules",
        key="rules.ignore",
        items=str,
        shape='be a list of rule ids, like ["stale-contact"]',
        convert=lambda v, w: _rule_list(v, w.key, w.path),
    )
    rule_params: Mapping[str, Mapping[str, Any]] = setting(
        toml=dict,
        factory=dict,
        key="rules.*",
        help="a table [rules.<rule id>]: the parameters of one rule (see `sheetsync rules`)",
        convert=lambda v, w: _rule_params(v, w.path),
    )
    backups: int = setting(3, int, "backups kept of each tracker", key="sync.backups", minimum=0)
    backup_dir: str | None = setting(
        None, str, "the folder of the backups (default: beside the tracker)", key="sync.backup_dir"
    )
    ok_status: str = setting(
        "OK", str, "the status of a row with nothing to do", key="sync.ok_status"
    )
    max_unzipped_mb: int = setting(
        300,
        int,
        "an .xlsx whose XML unzips to more megabytes is refused, not read",
        key="sync.max_unzipped_mb",
        minimum=1,
    )
    max_cells: int = setting(
        10_000_000,
        int,
        "the most cells of one rectangular block of a tab",
        key="sync.max_cells",
        minimum=1,
    )
    google_credentials: str | None = setting(
        None,
        object,
        "the path of the Google key file (a service account or OAuth client)",
        key="google.credentials",
        shape="be the path of your key file",
        convert=_credentials,
    )
    google_auth: str = setting(
        "auto", str, "how to sign in to Google", key="google.auth", choices=GOOGLE_AUTH
    )
    google_timeout: float = setting(
        60.0,
        float,
        "seconds to wait for an answer from the Sheets API",
        key="google.timeout",
        minimum=0,
    )
    google_retries: int = setting(
        5, int, "429/5xx retries before giving up", key="google.retries", minimum=0
    )
    sections: Mapping[str, Any] = field(default_factory=dict)  # [run], [digest], … parsed
    path: Path | None = None

    def section(self, name: str) -> Any:
        """The parsed settings of an extension section (its defaults when absent)."""
        if name in self.sections:
            return self.sections[name]
        return parse_named(name, {}, self.path or Path(DEFAULT_NAME))

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


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


def section_target(name: str) -> Any:
    """The class (or parser) registered for section ``name``, imported now."""
    import importlib

    module, _, attr = SECTIONS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def parse_named(name: str, table: Any, path: Path) -> Any:
    """Validate the table of section ``name`` (``[run]``, ``[smtp]``, …) into its settings."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: '{name}' must be a table, written [{name}].")
    if name in PASSWORD_SERVICES:
        from sheetsync import secrets

        secrets.refuse_password_key(table, path, name, PASSWORD_SERVICES[name])
    target = section_target(name)
    if dataclasses.is_dataclass(target) and isinstance(target, type):
        return parse_section(target, table, path, name)
    return target(table, path)


def schemas() -> dict[str, type]:
    """Every section declared with the schema: "" for the top level, else the table's name.

    Imports every section's module (for the reference and its tests, never for a run).
    """
    found: dict[str, type] = {"": Settings}
    for name in SECTIONS:
        target = section_target(name)
        if dataclasses.is_dataclass(target) and isinstance(target, type):
            found[name] = target
    return found


def reference_markdown() -> str:
    """The table of every config key, as docs/contracts.md shows it."""
    lines = ["| key | takes | default | what it does |", "|---|---|---|---|"]
    for name, cls in schemas().items():
        for key, takes, default, text in reference(cls, name):
            cell = text.replace("|", "\\|")
            lines.append(f"| `{key}` | {takes} | {default} | {cell} |")
    return "\n".join(lines) + "\n"


def parse_settings(data: Mapping[str, Any], path: Path) -> Settings:
    """Validate a parsed TOML document into :class:`Settings`."""
    sections = {name: parse_named(name, data[name], path) for name in SECTIONS if name in data}
    google = data.get("google", {})
    if isinstance(google, dict) and "credentials" in google:
        _credentials_path(google["credentials"], path)  # before any message could echo it
    top = {k: v for k, v in data.items() if k not in SECTIONS}
    settings = parse_section(Settings, top, path, also=list(SECTIONS))
    settings = replace(settings, sections=sections, path=path)
    _check_country(settings, path)
    return settings


def _parse_columns(table: Mapping[str, Any], path: Path) -> dict[str, str]:
    columns: dict[str, str] = {}
    for key, value in table.items():
        if key not in FIELD_IDS:
            raise ConfigError(
                f"{path}: [columns] key '{key}' is not a field sheetsync knows."
                f"{did_you_mean(key, FIELD_IDS)} "
                f"Use one of: {', '.join(FIELD_IDS)}."
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{path}: 'columns.{key}' must be the header text of a column, like "
                f'{key} = "{BY_ID[key].header}", not {shown(value)}.'
            )
        columns[key] = value
    return columns


def _rule_params(table: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """``[rules.<id>]`` tables: each names a rule, and holds that rule's parameters."""
    from sheetsync.rules import RULES, validate_params  # rules do not import config: no cycle

    params: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if not isinstance(value, dict):
            raise ConfigError(
                f"{path}: 'rules.{key}' must be a table such as [rules.{key}], or use "
                "rules.select / rules.ignore."
            )
        if key not in RULES:
            raise ConfigError(
                f"{path}: [rules.{key}]: there is no rule '{key}'."
                f"{did_you_mean(key, list(RULES))} See `sheetsync rules`."
            )
        params[key] = validate_params(key, value, where=f"{path}: [rules.{key}]")
    return params


def _rule_list(value: Sequence[str], key: str, path: Path) -> tuple[str, ...]:
    from sheetsync.rules import RULES

    for rule_id in value:
        if rule_id not in RULES:
            raise ConfigError(
                f"{path}: '{key}' names unknown rule '{rule_id}'."
                f"{did_you_mean(rule_id, list(RULES))} See `sheetsync rules`."
            )
    return tuple(value)


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


def _country(value: str) -> str | None:
    return None if value.strip().lower() in ("", "none") else value.strip().upper()


def _check_country(settings: Settings, path: Path) -> None:
    if settings.country is None:
        return
    from sheetsync.public_holidays import supported_countries

    if settings.country not in supported_countries():
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
