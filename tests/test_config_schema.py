"""The config schema: one declaration per key, one validator, messages that name file and key."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.config import (
    SECTIONS,
    Settings,
    load_settings,
    parse_settings,
    reference_markdown,
    schemas,
)
from sheetsync.errors import ConfigError
from sheetsync.schema import Key, keys_of

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path("cfg") / "sheetsync.toml"

# Every TOML value type: strings, numbers, booleans, dates and times, arrays and tables.
SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.times(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = sorted(
    (section, key, spec)
    for section, cls in schemas().items()
    for key, (_, spec) in keys_of(cls).items()
    if not key.endswith(".*")
)


def written(section: str, key: str) -> str:
    """The key as a message names it: ``sync.backups``, ``run.at``, ``header_row``."""
    return f"{section}.{key}" if section else key


def document(section: str, key: str, value: Any) -> dict[str, Any]:
    """A TOML document holding just ``value`` at ``key`` of ``[section]``."""
    table: dict[str, Any] = {}
    head, _, rest = key.partition(".")
    if rest:
        table[head] = {rest: value}
    else:
        table[head] = value
    return {section: table} if section else table


def accepted(value: Any, spec: Key) -> bool:
    """Whether ``value`` has a TOML type the key declares (an independent reading)."""
    wants = spec.toml if isinstance(spec.toml, tuple) else (spec.toml,)
    if spec.single and spec.items is not None:
        wants = (*wants, spec.items)
    if object in wants:
        return isinstance(value, str)  # google.credentials: a path, and only a path
    if isinstance(value, bool):
        return bool in wants
    if isinstance(value, int) and float in wants:
        return True
    return isinstance(value, wants)


# ---------------------------------------------------------------------- the properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_value_of_a_wrong_type_names_its_key(data: st.DataObject) -> None:
    section, key, spec = data.draw(st.sampled_from(KEYS), label="key")
    value = data.draw(VALUES.filter(lambda v: not accepted(v, spec)), label="value")
    with pytest.raises(ConfigError) as raised:
        parse_settings(document(section, key, value), CONFIG)
    message = str(raised.value)
    assert str(CONFIG) in message
    assert f"'{written(section, key)}'" in message or f"'{written(section, key)}." in message, (
        message
    )


@settings(max_examples=200, deadline=None)
@given(
    section=st.sampled_from(["", "sync", "google", *SECTIONS]),
    key=st.text(min_size=1, max_size=15),
    value=VALUES,
)
def test_an_unknown_key_is_named_with_its_table(section: str, key: str, value: Any) -> None:
    if section in ("", "sync", "google"):
        cls_keys = {k.split(".")[0] if not section else k for k in keys_of(Settings)}
        known = {k.partition(".")[2] for k in cls_keys if k.startswith(f"{section}.")}
        if not section:
            known = {k.split(".")[0] for k in keys_of(Settings)} | set(SECTIONS)
    elif section == "export":
        known = {"student", "students", "redact", "redact_fields", "initials", "quiet_days"}
    else:
        known = set(keys_of(schemas()[section]))
    if key in known or (section == "" and key in ("sync", "google")):
        return
    doc: dict[str, Any] = {key: value} if not section else {section: {key: value}}
    with pytest.raises(ConfigError) as raised:
        parse_settings(doc, CONFIG)
    prefix = f"{section}." if section else ""
    assert f"unknown key '{prefix}{key}'" in str(raised.value)
    assert str(CONFIG) in str(raised.value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_table_parses_or_is_a_config_error(data: st.DataObject) -> None:
    """Right types with odd values, wrong types, several keys: never another exception."""
    section = data.draw(st.sampled_from(sorted(schemas())), label="section")
    chosen = data.draw(
        st.lists(st.sampled_from([k for s, k, _ in KEYS if s == section]), max_size=4),
        label="keys",
    )
    doc: dict[str, Any] = {}
    for key in chosen:
        spec = next(sp for s, k, sp in KEYS if s == section and k == key)
        typed = st.text(max_size=20) if spec.toml is str else VALUES
        value = data.draw(typed | VALUES, label=key)
        for name, table in document(section, key, value).items():
            if isinstance(table, dict) and isinstance(doc.get(name), dict):
                doc[name] = {**doc[name], **table}
            else:
                doc[name] = table
    try:
        parse_settings(doc, CONFIG)
    except ConfigError as exc:
        assert str(CONFIG) in str(exc)


# ---------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("doc", "phrases"),
    [
        ({"sync": {"backupz": 1}}, ["unknown key 'sync.backupz'", "Did you mean 'sync.backups'?"]),
        ({"run": {"evrey": "1h"}}, ["unknown key 'run.evrey'", "Did you mean 'run.every'?"]),
        ({"prep": {"my_nme": "A"}}, ["unknown key 'prep.my_nme'", "Did you mean 'prep.my_name'?"]),
        ({"timezon": "UTC"}, ["unknown key 'timezon'", "Did you mean 'timezone'?", "Known keys:"]),
        ({"columns": {"nots": "X"}}, ["'nots' is not a field", "Did you mean 'notes'?"]),
        ({"rules": {"select": ["stale"]}}, ["'rules.select' names unknown rule 'stale'"]),
        ({"rules": {"stale-contacts": {}}}, ["no rule 'stale-contacts'", "'stale-contact'?"]),
        ({"sync": 3}, ["'sync' must be a table, written [sync]"]),
        ({"google": {"auth": "x"}}, ["'google.auth' must be one of 'auto'", "not 'x'"]),
        ({"google": {"timeout": float("inf")}}, ["'google.timeout' must be a finite number"]),
        ({"smtp": {"port": 70000}}, ["'smtp.port' must be a whole number from 1 to 65535"]),
        ({"calendar": {"kinds": ["x"]}}, ["'calendar.kinds' has 'x'; choose from 'interview'"]),
        ({"digest": {"file": "~nobody-here-at-all/d.md"}}, ["'digest.file'", "full path"]),
        ({"run": {"sources": ["a.xlsx", " "]}}, ["'run.sources' must be a list of sources"]),
        ({"mail": {"password": "x"}}, ["'mail.password' is not allowed", "password_env"]),
    ],
)
def test_messages_name_the_file_the_key_and_the_fix(
    doc: dict[str, Any], phrases: list[str]
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(doc, CONFIG)
    for phrase in phrases:
        assert phrase in str(raised.value), (phrase, str(raised.value))
    assert str(raised.value).startswith(f"{CONFIG}: ")


def test_values_are_built_the_way_each_section_means_them(tmp_path: Path) -> None:
    path = tmp_path / "sheetsync.toml"
    path.write_text(
        'header_row = 2\n[sync]\nbackups = 0\n[google]\ntimeout = 5\ncredentials = "k.json"\n'
        '[smtp]\nssl = true\n[mail]\nsource = "imaps://me%40uni.edu@imap.uni.edu"\n'
        '[run]\nsources = ["a.xlsx"]\nat = "7:30"\nevery = "2h"\n'
        '[prep]\nmy_name = "Ada"\n[digest]\nemail_to = "me@uni.edu"\n',
        encoding="utf-8",
    )
    got = load_settings(path)
    assert (got.header_row, got.backups, got.google_timeout) == (2, 0, 5.0)
    assert got.google_credentials == str(tmp_path / "k.json")
    smtp = got.section("smtp")
    assert (smtp.port, smtp.starttls, smtp.ssl) == (465, False, True)  # derived from ssl
    assert got.section("mail").me == ("me@uni.edu",)  # the login, as no [mail] me is given
    run = got.section("run")
    assert (run.sources, run.at, run.every) == (
        (str(tmp_path / "a.xlsx"),),
        dt.time(7, 30),
        dt.timedelta(hours=2),
    )
    assert got.section("prep").me.name == "Ada" and got.section("prep").me.research == ""
    assert got.section("digest").email_to == ("me@uni.edu",)
    assert got.section("calendar") == schemas()["calendar"]()  # absent: its defaults


def test_a_section_missing_from_the_file_has_the_class_defaults() -> None:
    plain = Settings()
    for name, cls in schemas().items():
        if name:
            assert plain.section(name) == cls(), name


# ---------------------------------------------------------------------- the reference


def test_every_key_is_documented_in_the_contracts() -> None:
    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- config-keys: generated -->\n(.*?)<!-- /config-keys -->", text, re.S)
    assert block, "docs/contracts.md has no config-keys block"
    assert block.group(1) == reference_markdown(), (
        "regenerate: sheetsync.config.reference_markdown()"
    )
    for section, key, spec in KEYS:
        assert f"| `{written(section, key)}` |" in block.group(1)
        assert spec.help, (section, key)


# ---------------------------------------------------------------------- loading stays lazy


def test_reading_a_config_imports_only_the_sections_it_has(tmp_path: Path) -> None:
    (tmp_path / "sheetsync.toml").write_text("[sync]\nbackups = 1\n[calendar]\npast_days = 3\n")
    code = (
        "import sys, json\n"
        "from sheetsync.config import load_settings\n"
        "load_settings('sheetsync.toml')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('sheetsync'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "sheetsync.calendar" in loaded
    for lazy in (
        "sheetsync.scheduler",
        "sheetsync.digest",
        "sheetsync.mail.config",
        "sheetsync.prep",
    ):
        assert lazy not in loaded, lazy


def test_the_prep_tab_needs_nothing_of_the_init_command(tmp_path: Path) -> None:
    """The banks live in sheetsync.checklists: a sync's prep loads no init, no openpyxl."""
    code = (
        "import sys, json\n"
        "import sheetsync.prep, sheetsync.templating\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "sheetsync.checklists" in loaded
    assert "sheetsync.init" not in loaded and "openpyxl" not in loaded


NUMBER_KEYS = [(section, key, name) for section, cls in schemas().items()
               for key, (name, spec) in keys_of(cls).items() if spec.toml is float]  # fmt: skip


@pytest.mark.parametrize(("section", "key", "name"), NUMBER_KEYS)
def test_a_whole_number_for_a_number_key_is_read_as_a_float(
    section: str, key: str, name: str, tmp_path: Path
) -> None:
    parsed = parse_settings(document(section, key, 7), tmp_path / "sheetsync.toml")
    value = getattr(parsed.section(section) if section else parsed, name)
    assert value == 7.0 and type(value) is float, written(section, key)


def test_there_are_number_keys_to_check() -> None:
    assert len(NUMBER_KEYS) >= 3
