"""``sheetsync status``: what the scheduled runs did, read from their state file.

Last success, summary and last error per tracker, the digest and calendar, catch-ups, and
whether a ``run`` holds the config's lock now; as text or JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sheetsync.commands import format_option
from sheetsync.commands.scheduling import config_option, guard, state_option
from sheetsync.config import load_settings
from sheetsync.safetext import scrub_secrets, visible
from sheetsync.words import plural

if TYPE_CHECKING:  # loaded by the command that runs, not by `sheetsync --help`
    from sheetsync.run_state import RunState, SourceState


@click.command("status")
@click.argument("sources", nargs=-1)
@config_option
@state_option
@format_option
def status_cmd(
    sources: tuple[str, ...], config_path: str | None, state_file: str | None, fmt: str
) -> None:
    """Show what the scheduled runs did: last success, summary and last error per tracker.

    Without a config, name the tracker(s) as given to `run`: their state is kept per tracker.
    """
    from sheetsync import files, run_state
    from sheetsync.config import resolve_source

    def action() -> int:
        settings = load_settings(config_path)
        named = [resolve_source(s, None) for s in sources]
        path = run_state.state_path(settings, state_file, named)
        files.check_output(path, files.Kind.STATE, files.protected_for(settings, *named))
        running = run_state.is_running(path)
        if not path.exists():
            click.echo(f"No run recorded yet ({path} does not exist). Start one: sheetsync run")
            return 0
        state = run_state.load_state(path)
        if fmt == "json":
            doc = {"state_file": str(path), "running": running, **state.to_json()}
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            lines = status_lines(state, path, running)  # sources and errors, as recorded
            click.echo("\n".join(visible(scrub_secrets(line)) for line in lines))
        return 0

    guard(action)


def status_lines(state: RunState, path: Path, running: bool) -> list[str]:
    """The human view of a state file."""
    alive = f"running (pid {state.pid})" if running else "not running"
    lines = [f"State: {path} — {alive}"]
    lines.append(
        f"Schedule: {state.schedule or 'unknown'} · {state.runs} run(s) · last run "
        f"{state.last_run_finished or 'never'} · next {state.next_run or '—'}"
    )
    if state.last_catch_up:
        lines.append(
            f"Caught up {state.catch_ups} missed run(s); last: the run due "
            f"{state.last_catch_up['slot']}, at {state.last_catch_up['at']}"
        )
    lines += _extra_lines(state)
    for name, entry in state.sources.items():
        lines += _source_lines(name, entry)
    return lines


def _extra_lines(state: RunState) -> list[str]:
    lines = []
    if state.digest:
        sent = state.digest.get("last_email_date")
        emailed = f"last emailed for {sent}" if sent else "not emailed"
        lines.append(f"Digest: {emailed}; file {state.digest.get('last_file', '—')}")
    if state.calendar:
        lines.append(
            f"Calendar: {state.calendar.get('events', 0)} events, written "
            f"{state.calendar.get('last_written', 'never')}"
        )
    for part in ("digest", "calendar"):
        error = getattr(state, part).get("last_error")
        if error:
            lines.append(f"  ✗ {part} failed {error['at']}: {error['message']}")
    return lines


def _source_lines(name: str, entry: SourceState) -> list[str]:
    mark = "✗" if entry.last_error else "✓"
    lines = [f"{mark} {name}"]
    if entry.last_success:
        s = entry.summary
        wrote = (
            f"{plural(int(s.get('cells_changed', 0)), 'cell')} written"
            if s.get("written")
            else "no change"
        )
        lines.append(
            f"    last success {entry.last_success}: {s.get('rows', '?')} contacts, "
            f"{s.get('findings', '?')} findings, {wrote}"
        )
    else:
        lines.append("    never synced successfully")
    if entry.last_error:
        err = entry.last_error
        lines.append(f"    last error {err['at']} ({err['type']}): {err['message']}")
    return lines


COMMANDS = [status_cmd]
