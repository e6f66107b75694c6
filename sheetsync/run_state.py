"""What ``sheetsync run`` remembers between runs, and the lock that keeps one run per config.

The state file (JSON, written atomically, marked as sheetsync's own) holds, per source, the
last success, its summary and the last error, plus the last slot served, catch-ups and the day
the digest was last emailed; ``sheetsync status`` reads it. :func:`single_instance` holds a
lock beside it so two loops on one config never race.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock

from sheetsync import files
from sheetsync.config import Settings
from sheetsync.errors import AlreadyRunning, ConfigError, OutputRefused

STATE_VERSION = 1


@dataclass
class SourceState:
    """What the state file remembers about one source."""

    last_success: str | None = None  # ISO timestamps
    last_attempt: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    last_error: dict[str, str] | None = None
    runs: int = 0
    failures: int = 0


@dataclass
class RunState:
    """The state file: survives restarts, read by ``sheetsync status``."""

    runs: int = 0
    last_slot: str | None = None
    last_run_started: str | None = None
    last_run_finished: str | None = None
    catch_ups: int = 0
    last_catch_up: dict[str, str] | None = None
    digest: dict[str, Any] = field(default_factory=dict)
    calendar: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, SourceState] = field(default_factory=dict)
    pid: int | None = None
    schedule: str | None = None
    next_run: str | None = None

    def source(self, name: str) -> SourceState:
        """The entry of a source, created on first use."""
        return self.sources.setdefault(name, SourceState())

    @property
    def last_slot_time(self) -> dt.datetime | None:
        """``last_slot`` as a datetime."""
        return dt.datetime.fromisoformat(self.last_slot) if self.last_slot else None

    def to_json(self) -> dict[str, Any]:
        """The JSON document written to disk (its ``"sheetsync"`` key marks it as ours)."""
        marker, kind = files.STATE_MARKER
        return {marker: kind, "version": STATE_VERSION, **asdict(self)}


def load_state(path: Path) -> RunState:
    """Read the state file; a missing file is a fresh state. A path that is a folder or a file
    that is not a sheetsync state file is refused (:class:`OutputRefused`), never moved aside:
    it may be the user's."""
    if path.is_dir():
        raise OutputRefused(
            f"The state file {path} is a folder. Give a file path, e.g. "
            f"--state-file {path / 'sheetsync.state.json'}."
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return RunState()
    except OSError as exc:
        raise OutputRefused(f"The state file {path} cannot be read ({exc.strerror}).") from exc
    if raw and not files.is_own(files.Kind.STATE, raw):
        raise OutputRefused(
            f"{path} is not a sheetsync state file; sheetsync will neither read nor replace it. "
            "Pick another --state-file (or [run] state_file), or move that file away."
        )
    return _parse_state(path, raw)


def _parse_state(path: Path, raw: bytes) -> RunState:
    if not raw:
        return RunState()
    try:
        data = json.loads(raw)
        sources = {k: SourceState(**v) for k, v in data.pop("sources", {}).items()}
        data.pop("version", None)
        data.pop(files.STATE_MARKER[0], None)
        return RunState(**data, sources=sources)
    except (ValueError, TypeError, AttributeError) as exc:
        raise OutputRefused(
            f"The state file {path} is damaged ({exc}); it was left as it is. Delete it to "
            "start afresh (it only holds the history shown by `sheetsync status`)."
        ) from exc


def save_state(path: Path, state: RunState) -> None:
    """Write the state file atomically; it replaces only a sheetsync state file."""
    text = json.dumps(state.to_json(), indent=2, ensure_ascii=False, sort_keys=True)
    files.write_output(path, (text + "\n").encode("utf-8"), files.Kind.STATE)


def state_path(settings: Settings, given: str | None = None, sources: Sequence[str] = ()) -> Path:
    """``--state-file``, else ``[run] state_file``, else ``<config stem>.state.json`` beside the
    config; without a config, one per set of trackers in the user's state folder
    (platformdirs), never the current folder."""
    chosen = given or settings.section("run").state_file
    if chosen:
        return Path(chosen).expanduser()
    if settings.path is not None:
        return settings.path.with_name(f"{settings.path.stem}.state.json")
    if not sources:
        raise ConfigError(
            "Without a sheetsync.toml the state is kept per tracker: name the tracker "
            "(`sheetsync status tracker.xlsx`), or pass --state-file."
        )
    return files.state_dir() / f"{_state_name(sources)}.state.json"


def _state_name(sources: Sequence[str]) -> str:
    """``tracker-1a2b3c4d5e``: the first tracker's name and a hash of every real path."""
    keys = [s if ":" in s and not Path(s).exists() else str(Path(s).resolve()) for s in sources]
    digest_ = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(sources[0]).stem)[:40] or "tracker"
    return f"{stem}-{digest_}"


# --------------------------------------------------------------------------- single instance


def lock_path_for(state_path: Path) -> Path:
    """The lock file that keeps one ``run`` per config (per state file)."""
    return state_path.with_name(state_path.name + ".lock")


@contextmanager
def single_instance(state_path: Path) -> Iterator[None]:
    """Hold this config's lock, or raise :class:`AlreadyRunning` naming the holder."""
    lock = filelock.FileLock(lock_path_for(state_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        holder = load_state(state_path).pid
        who = f" (pid {holder})" if holder else ""
        raise AlreadyRunning(
            f"another `sheetsync run` is already running for this config{who}, holding "
            f"{lock.lock_file}. Stop it first, or give this one another config or "
            "[run] state_file."
        ) from None
    try:
        yield
    finally:
        lock.release()


def is_running(state_path: Path) -> bool:
    """True when a ``run`` holds this config's lock right now."""
    lock = filelock.FileLock(lock_path_for(state_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return True
    lock.release()
    return False
