"""Security: credentials never leak into output, loose key files are warned about, templates
stay inside the config's folder and inside Jinja2's sandbox.

The credential tests run the console script's entry point (``sheetsync -vv``: every logger at
DEBUG, urllib3 and google-auth included) in this process with all it prints captured, as a
fresh process prints it (``tests/cli_runner.run_main``; the ``status`` run below is a real
subprocess) with a freshly generated
RSA service-account key whose ``token_uri`` is the emulator's token endpoint, so a real JWT
grant is signed and exchanged — and then the runs are made to fail in every way we can. All of
stdout and stderr is searched for the private key (every line of its PEM body), its id, the
signed grant and the access tokens the emulator issued.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sheetsync.backends.google_http import ENDPOINT_ENV
from sheetsync.prep import DEFAULT_TAB
from sheetsync.prep_rows import key_of

from .cli_runner import Result, run_main
from .sheets_emulator import SheetsEmulator

TODAY = "2026-03-16"
SA_EMAIL = "sheetsync-test@reliability.iam.gserviceaccount.com"
KEY_ID = "5f0c3e2a9b7d41e6a8c2f4b1d3e5a7c9b0d2f4e6"


@dataclass
class Key:
    path: Path
    pem: str


def make_key(path: Path, token_uri: str, mode: int = 0o600, *, broken: bool = False) -> Key:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    if broken:  # a damaged key: the PEM armour is there, the body is cut short
        lines = pem.splitlines()
        pem = "\n".join([*lines[:8], lines[-1]]) + "\n"
    info = {
        "type": "service_account",
        "project_id": "reliability",
        "private_key_id": KEY_ID,
        "private_key": pem,
        "client_email": SA_EMAIL,
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    path.chmod(mode)
    return Key(path, pem)


def secrets_in(text: str, key: Key, emu: SheetsEmulator) -> list[str]:
    """Every piece of a credential found in ``text``."""
    needles = {"private_key_id": KEY_ID, "PRIVATE KEY": "PRIVATE KEY"}
    body = [line for line in key.pem.splitlines() if line and not line.startswith("-----")]
    needles.update({f"PEM line {i}": line for i, line in enumerate(body) if len(line) >= 16})
    needles.update({f"access token {i}": t for i, t in enumerate(emu.token_emails)})
    for i, request in enumerate(emu.token_requests):
        assertion = str((request.body or {}).get("assertion", ""))
        if assertion:
            needles[f"signed grant {i}"] = assertion
            needles[f"grant signature {i}"] = assertion.rsplit(".", 1)[-1]
    return [name for name, needle in needles.items() if needle and needle in text]


def tracker_sheet(emu: SheetsEmulator, **kwargs: object) -> str:
    rows = [
        ["Name", "Email", "Date contacted", "Response"],
        ["Ann Lee", "ann@acme.org", dt.date(2026, 3, 10), ""],
    ]
    return emu.add_spreadsheet("Tracker", {"Contacts": rows}, **kwargs)


def run(folder: Path, emu: SheetsEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {ENDPOINT_ENV: emu.url, "GOOGLE_APPLICATION_CREDENTIALS": None}
    return run_main(["-vv", *args], cwd=folder, env=env)


def config(folder: Path, key: Path) -> Path:
    path = folder / "sheetsync.toml"
    path.write_text(f'[google]\ncredentials = "{key.name}"\nauth = "service-account"\n')
    return path


Failure = Callable[[SheetsEmulator, str], None]
COMMANDS = {  # which commands each failure is tried with
    "not shared (403)": ("check", "doctor"),
    "no such spreadsheet (404)": ("doctor",),
    "a connection reset on the read": ("check",),
    "401 from the API": ("check",),
}
FAILURES: dict[str, Failure] = {
    "not shared (403)": lambda e, sid: e.set_shared(sid, False),
    "no such spreadsheet (404)": lambda e, sid: None,
    "a connection reset on the read": lambda e, sid: e.reset_connection_next(op="spreadsheets.get"),
    "401 from the API": lambda e, sid: e.fail_next(1, 401, op="spreadsheets.get"),
}


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_credentials_never_appear_in_output(
    failure: str, emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "key.json", emulator.token_uri)
    config(tmp_path, key.path)
    sid = tracker_sheet(emulator)
    FAILURES[failure](emulator, sid)
    source = "gsheet:" + ("x" * 44 if "404" in failure else sid)
    outputs = []
    for command in COMMANDS[failure]:
        done = run(tmp_path, emulator, command, source, "--today", TODAY)
        assert "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout + done.stderr)
    text = "\n".join(outputs)
    assert emulator.token_requests, "the key was really used (a JWT grant was exchanged)"
    assert "DEBUG" in text  # -vv really logged at debug level
    assert secrets_in(text, key, emulator) == []
    assert KEY_ID not in text and "private_key" not in text


def test_token_endpoint_failure_does_not_leak_the_key(
    emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "key.json", emulator.url + "/no-such-token-endpoint")
    config(tmp_path, key.path)
    sid = tracker_sheet(emulator)
    done = run(tmp_path, emulator, "sync", f"gsheet:{sid}", "--today", TODAY)
    text = done.stdout + done.stderr
    assert done.returncode == 3, text
    assert "access token" in text and "credentials file" in text
    assert secrets_in(text, key, emulator) == []


def test_a_damaged_key_is_reported_without_quoting_it(
    emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "key.json", emulator.token_uri, broken=True)
    config(tmp_path, key.path)
    sid = tracker_sheet(emulator)
    for command in ("check", "doctor"):
        done = run(tmp_path, emulator, command, f"gsheet:{sid}", "--today", TODAY)
        text = done.stdout + done.stderr
        # check: a config error (2; it was 3); doctor: a failed diagnosis (3)
        assert done.returncode == (2 if command == "check" else 3), text
        assert "key.json" in text and "Traceback" not in text
        assert secrets_in(text, key, emulator) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o600])
def test_a_key_file_others_can_read_is_warned_about(
    mode: int, emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "key.json", emulator.token_uri, mode)
    config(tmp_path, key.path)
    sid = tracker_sheet(emulator)
    loose = bool(mode & 0o077)
    check = run(tmp_path, emulator, "check", f"gsheet:{sid}", "--today", TODAY, "--exit-zero")
    assert check.returncode == 0, check.stderr
    assert ("can be read by other users" in check.stderr) is loose
    assert ("chmod 600" in check.stderr) is loose
    doctor = run(tmp_path, emulator, "doctor", f"gsheet:{sid}", "--today", TODAY)
    assert ("chmod 600" in doctor.stdout) is loose
    assert secrets_in(check.stdout + check.stderr + doctor.stdout, key, emulator) == []


# ---------------------------------------------------------------------- templates


def small_tracker(path: Path, name: str = "Ann Lee") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contacts"
    ws.append(["Name", "Organization", "Email", "Date contacted", "Response", "Interview date"])
    ws.append([name, "Acme", "ann@acme.org", dt.date(2026, 3, 2), "Y", dt.date(2026, 3, 13)])
    ws["A2"].data_type = "s"
    wb.save(path)
    return path


def outside_targets(tmp_path: Path, project: Path) -> dict[str, str]:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "drafts").mkdir(parents=True, exist_ok=True)
    (project / "link").symlink_to(elsewhere, target_is_directory=True)
    return {
        "parent folder": "../elsewhere",
        "absolute path": str(elsewhere),
        "a detour through a subfolder": "templates/../../elsewhere",
        "a symlink inside that points outside": "link",
        "the home folder": "~",
        "the filesystem root": "/",
    }


def test_templates_dir_cannot_point_outside_the_config_folder(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    project = tmp_path / "project"
    (project / "templates").mkdir(parents=True)
    tracker = small_tracker(project / "t.xlsx")
    for label, value in outside_targets(tmp_path, project).items():
        config = project / "sheetsync.toml"
        config.write_text(f"[prep]\ntemplates_dir = {json.dumps(value)}\n")
        before = tracker.read_bytes(), tracker.stat().st_mtime_ns
        for command in ("check", "sync"):
            res = cli(command, str(tracker), "--today", TODAY, "--config", str(config))
            assert res.code == 2, (label, res.text)  # config error (was 3)
            assert "points outside the folder of the config file" in res.text, (label, res.text)
        assert (tracker.read_bytes(), tracker.stat().st_mtime_ns) == before, label
    config.write_text('[prep]\ntemplates_dir = "templates"\n')  # inside: accepted
    assert cli("check", str(tracker), "--today", TODAY, "--config", str(config)).code in (0, 1)


ATTACKS = {
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals of a helper": "{{ cycler.__init__.__globals__.os.environ }}",
    "format-string escape": "{{ '{0.__class__.__init__.__globals__}'.format(contact) }}",
    "str.format_map": "{{ 'x{0.__class__}'.format_map(contact) }}",
    "attr filter to dunder": "{{ contact|attr('__class__') }}",
    "loop over subclasses": "{% for c in [].__class__.__base__.__subclasses__() %}{% endfor %}",
    "include outside the folder": "{% include '../../secret.txt' %}",
    "import outside the folder": "{% import '../secret.txt' as s %}",
    "absolute include": "{% include '/etc/passwd' %}",
    "huge range": "{{ range(10**9)|list|length }}",
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_jinja_templates_are_sandboxed(
    attack: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    project = tmp_path / "project"
    (project / "templates" / "drafts").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT")
    (project / "secret.txt").write_text("TOP-SECRET-CONTENT")
    template = "Subject: hi\n\n" + ATTACKS[attack] + "\n"
    (project / "templates" / "drafts" / "thank_you.txt.j2").write_text(template)
    config = project / "sheetsync.toml"
    config.write_text('[prep]\ntemplates_dir = "templates"\n')
    tracker = small_tracker(project / "t.xlsx")
    before = tracker.read_bytes(), tracker.stat().st_mtime_ns
    args = ("--today", TODAY, "--config", str(config))
    res = cli("draft", "2", str(tracker), "--kind", "thank_you", *args)
    assert res.code == 3, (attack, res.text)
    for leak in ("TOP-SECRET", "root:", "<class", "environ", "PATH=", "subclasses"):
        assert leak not in res.out + res.err, (attack, res.out)
    if attack not in UNCAUGHT:
        assert res.err.startswith("Error: Template"), res.text
    sync = cli("sync", str(tracker), *args)  # the prep tab renders the same template: stops
    assert sync.code == 3, sync.text
    assert (tracker.read_bytes(), tracker.stat().st_mtime_ns) == before


UNCAUGHT = ["str.format_map", "huge range"]


@pytest.mark.parametrize("attack", UNCAUGHT)
def test_every_template_error_names_the_template(
    attack: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    project = tmp_path / "project"
    (project / "templates" / "drafts").mkdir(parents=True)
    template = "Subject: hi\n\n" + ATTACKS[attack] + "\n"
    (project / "templates" / "drafts" / "thank_you.txt.j2").write_text(template)
    config = project / "sheetsync.toml"
    config.write_text('[prep]\ntemplates_dir = "templates"\n')
    tracker = small_tracker(project / "t.xlsx")
    args = ("--today", TODAY, "--config", str(config))
    res = cli("draft", "2", str(tracker), "--kind", "thank_you", *args)
    assert res.code == 3
    assert res.err.startswith("Error: Template drafts/thank_you.txt.j2"), res.text


PAYLOADS = [
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% raw %}{{x}}{% endraw %}",
    "{# comment #}Ann",
    "${7*7} <%= 7*7 %>",
]


def _text(cell: Any) -> str:
    """A cell's text; for the prep tab's hidden column A, only the row key (the hex
    fingerprints of sheetsync's memory there may contain any digits)."""
    if cell.column == 1 and cell.parent.title == DEFAULT_TAB:
        return key_of(cell.value) or str(cell.value)
    return str(cell.value)


@pytest.mark.parametrize("name", PAYLOADS)
def test_template_syntax_in_user_data_is_never_evaluated(
    name: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A contact's name is data: it appears in drafts and the prep tab literally."""
    tracker = small_tracker(tmp_path / "t.xlsx", name=name)
    res = cli("draft", "2", str(tracker), "--kind", "thank_you", "--today", TODAY)
    assert res.code == 0, res.text
    assert "49" not in res.out
    first = name.split()[0]
    assert first in res.out, res.out
    assert cli("sync", str(tracker), "--today", TODAY).code == 0
    wb = openpyxl.load_workbook(tracker)
    texts = [_text(c) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert name in texts  # the user's cell, as typed
    assert not any("49" in t and "7*7" not in t for t in texts)
    for t in texts:
        assert "<class" not in t and "<function" not in t and "__builtins__" not in t, t


# ---------------------------------------------------------------------- key material pasted


def pasted_configs(key: Key, key_json: str) -> dict[str, str]:
    """sheetsync.toml files with the key itself where the key file's path belongs."""
    return {
        "a PEM block": f"[google]\ncredentials = '''\n{key.pem}'''\n",
        "the key file's JSON": f"[google]\ncredentials = '''{key_json}'''\n",
        "the JSON as a table": (
            f"[google.credentials]\nprivate_key = '''{key.pem}'''\nprivate_key_id = \"{KEY_ID}\"\n"
        ),
        "the PEM in a wrong-typed key": f"[google]\ntimeout = '''{key.pem}'''\n",
    }


@pytest.mark.parametrize(
    "case",
    ["a PEM block", "the key file's JSON", "the JSON as a table", "the PEM in a wrong-typed key"],
)
def test_a_key_pasted_into_the_config_is_refused_without_echoing_it(
    case: str, emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = make_key(tmp_path / "key.json", emulator.token_uri)
    (tmp_path / "sheetsync.toml").write_text(
        pasted_configs(key, key.path.read_text())[case], encoding="utf-8"
    )
    sid = tracker_sheet(emulator)
    for command in ("check", "doctor", "status"):
        args = (command,) if command == "status" else (command, f"gsheet:{sid}", "--today", TODAY)
        done = run(tmp_path, emulator, *args)
        text = done.stdout + done.stderr
        assert done.returncode == 2, text  # a config error (was 3)
        assert "Traceback" not in text
        assert secrets_in(text, key, emulator) == [], text
        assert KEY_ID not in text and "BEGIN" not in text
        if case == "the PEM in a wrong-typed key":
            assert "'google.timeout' must be a number" in text
            assert "not a value that looks like key material (not shown)" in text
        else:
            assert "'google.credentials' must be the path of your key file" in text
            assert "it looks like the key itself, so it is not shown" in text
    assert not emulator.token_requests  # nothing was signed with a key from the wrong place


def test_recorded_errors_are_scrubbed_of_key_material(
    tmp_path: Path, emulator_env: SheetsEmulator
) -> None:
    """Settings built in Python skip the config file's check: the key text given as the key
    file's path ends in an error that quotes it — stored in the state file without it."""
    from sheetsync import run_state, scheduler
    from sheetsync.config import Settings
    from sheetsync.runner import Runner
    from sheetsync.slots import Slots

    key = make_key(tmp_path / "key.json", emulator_env.token_uri)
    sid = tracker_sheet(emulator_env)
    spec = scheduler.RunSpec(
        sources=(f"gsheet:{sid}",),
        slots=Slots(dt.timedelta(days=1), dt.time(8), dt.UTC),
        state_path=tmp_path / "state.json",
        retries=0,
    )
    settings = Settings(google_auth="service-account", google_credentials=key.pem)
    report = Runner(spec, settings, today=dt.date(2026, 3, 16)).run_once()
    stored = (tmp_path / "state.json").read_text()
    error = run_state.load_state(tmp_path / "state.json").sources[f"gsheet:{sid}"].last_error
    assert error is not None
    assert error["message"].startswith("credentials file [key material removed]")
    status = subprocess.run(
        [sys.executable, "-m", "sheetsync", "status", "--state-file", "state.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "[key material removed]" in status.stdout, status.stdout + status.stderr
    for text in (stored, report.outcomes[0].error or "", status.stdout + status.stderr):
        assert secrets_in(text, key, emulator_env) == [], text
        assert "BEGIN" not in text


def test_what_counts_as_key_material(tmp_path: Path) -> None:
    from sheetsync.safetext import looks_like_secret, scrub_secrets

    key = make_key(tmp_path / "key.json", "http://127.0.0.1:9/token")
    token = "ya29." + "a0AfB_byC-" * 16
    long_path = "/home/ann/" + "networking-interviews/" * 8 + "key.json"
    for secret in (key.pem, key.path.read_text(), token, "x" * 600):
        assert looks_like_secret(secret)
    for fine in ("key.json", "~/keys/service-account.json", long_path):
        assert not looks_like_secret(fine)
    message = f"credentials file {key.pem} does not exist; JSON {key.path.read_text()}; {token}"
    scrubbed = scrub_secrets(message)
    assert "PRIVATE KEY" not in scrubbed and KEY_ID not in scrubbed
    assert not [line for line in key.pem.splitlines()[1:-1] if line in scrubbed]
    assert "a0AfB_byC-a0AfB_byC-" not in scrubbed
    assert scrubbed.startswith("credentials file [key material removed]\n does not exist; JSON")
    assert '"client_email": "sheetsync-test@' in scrubbed  # what is not secret stays
    assert scrub_secrets(f"{long_path} does not exist") == f"{long_path} does not exist"
