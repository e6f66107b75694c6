"""The command line: parse options, call the library (:mod:`sheetsync.api`), render the
result, pick the exit code.

Exit codes, the same for every command: 0 ok · 1 ``check`` found something (``--exit-zero``
turns that off) · 2 usage or config error (a bad option, a config error, an output path
sheetsync refuses, a map to confirm, a read-only source: every error whose ``usage`` is true) ·
3 runtime error (any other :class:`~sheetsync.errors.SheetsyncError`, message on stderr) ·
130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from sheetsync import __version__, api
from sheetsync.commands import common, format_option, parse_date
from sheetsync.commands.common import EXIT_ERROR as EXIT_ERROR
from sheetsync.commands.common import EXIT_FINDINGS as EXIT_FINDINGS
from sheetsync.commands.common import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from sheetsync.commands.common import EXIT_USAGE as EXIT_USAGE
from sheetsync.commands.common import Target as Target
from sheetsync.commands.common import exit_code as exit_code
from sheetsync.commands.common import fail as fail
from sheetsync.commands.common import judged_options as judged_options
from sheetsync.commands.common import mail_option as mail_option
from sheetsync.commands.common import run_action as run_action
from sheetsync.commands.common import unexpected as unexpected
from sheetsync.commands.findings_table import findings_table
from sheetsync.drafts import KINDS
from sheetsync.errors import SheetsyncError
from sheetsync.grid import col_letter
from sheetsync.models import Severity, SyncResult
from sheetsync.safetext import visible, visible_lines
from sheetsync.words import plural

if TYPE_CHECKING:  # the pipeline (pandas, …) loads when a command runs, not for --help
    from sheetsync import pipeline
    from sheetsync.layout import Layout

_escape = common.literal  # text from a sheet, a path or a message, printed literally

EXIT_CODES_HELP = """\b
Exit codes (every command):
  0    ok
  1    check found something to do (--exit-zero: 0)
  2    usage or config error: a bad option, sheetsync.toml wrong, an output path
       sheetsync will not replace, a column map to confirm, a read-only source
  3    runtime error: the tracker could not be read or written, Google said no, …
  130  interrupted (Ctrl-C)
"""

GROUPS: tuple[tuple[str, tuple[Severity, ...]], ...] = (
    ("Today", (Severity.OVERDUE, Severity.DUE)),
    ("Coming up", (Severity.SOON,)),
    ("Data problems", (Severity.DATA,)),
    ("Worth knowing", (Severity.INFO,)),
)


# ---------------------------------------------------------------------- commands


class _Commands(click.Group):
    """The command group: the commands of ``sheetsync.commands.*`` modules are added when a
    name is not one of this module's own or the list is asked for (``--help``), so ``check``
    does not import export, scheduling, map and the rest."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and _register_commands():
            found = super().get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register_commands()
        return super().list_commands(ctx)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, prog_name="sheetsync")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
def cli(verbose: int) -> None:
    """Keep an informational-interview tracker honest.

    Checks a tracker (.xlsx or Google Sheets) for what to do today — thank-yous owed, follow-ups
    due, interviews to prepare, people going stale, bad data — and writes status columns back
    into the same sheet without touching anything you typed.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@judged_options
@format_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
def check(target: Target, fmt: str, exit_zero: bool) -> None:
    """Check a tracker and list what to do (writes nothing)."""

    def action() -> int:
        settings, source, today = target.resolve()
        checked = api.check(source, today=today, settings=settings)
        if fmt == "json":
            click.echo(json.dumps(check_json(checked), ensure_ascii=False, indent=2))
        else:
            render_check(checked, common.console())
        return EXIT_FINDINGS if checked.report.findings and not exit_zero else 0

    run_action(action)


def check_json(checked: pipeline.Checked) -> dict[str, Any]:
    """The public JSON object of ``check --format json`` (see docs/contracts.md)."""
    return checked.to_json()


def map_summary(lay: Layout) -> str:
    """One line: each mapped field with its column letter and confidence; doubtful ones marked."""
    parts = []
    for fid, col in sorted(lay.columns.items(), key=lambda kv: kv[1]):
        sure = lay.confidence.get(fid)
        mark = "?" if fid in lay.doubtful else ""
        how = f" {round(sure * 100)}%" if sure is not None else ""
        parts.append(f"{col_letter(col)} {fid}{how}{mark}")
    return " · ".join(parts)


def render_check(checked: pipeline.Checked, console: Console) -> None:
    """The human view: what to do today, coming up, data problems, notes."""
    lay = checked.layout
    contacts = len(checked.tracker.df)
    console.print(
        f"[bold]{_escape(checked.source)}[/] › {_escape(lay.worksheet)} · header on row "
        f"{lay.header_row} · "
        f"{plural(contacts, 'contact')} · as of {checked.today:%a %d %b %Y}"
    )
    console.print(f"[dim]Map:[/] [dim]{escape(map_summary(lay))}[/]")
    findings = checked.report.findings
    # Box-drawing characters as rich would draw them: not on a console that cannot show them.
    plain_box = not (console.options.ascii_only or console.legacy_windows)
    for title, severities in GROUPS:
        group = [f for f in findings if f.severity in severities]
        if group:
            table = findings_table(title, group, checked.today, console.width, plain_box=plain_box)
            console.print(table, crop=False)
    if not findings:
        console.print("[green]Nothing to do today: every row is up to date.[/]")
    _render_notes(checked, console)


def _doubt_note(checked: pipeline.Checked) -> str:
    """The doubtful columns and the command that confirms the map."""
    from sheetsync.mapping import map_command

    lay = checked.layout
    cols = ", ".join(
        f"{col_letter(lay.columns[f])} '{lay.header_of(f)}' read as {f}"
        for f in sorted(lay.doubtful, key=lambda f: lay.columns.get(f, 0))
        if f in lay.columns
    )
    return f"{cols}. sync writes only once the map is confirmed: `{map_command(checked.source)}`"


def _render_notes(checked: pipeline.Checked, console: Console) -> None:
    lay = checked.layout
    if lay.doubtful:
        console.print(f"[yellow]Map in doubt:[/] {escape(_doubt_note(checked))}")
    for warning in lay.warnings:
        console.print(f"[yellow]Note:[/] {_escape(warning)}")
    for note in checked.notes:
        console.print(f"[yellow]Note:[/] {_escape(note)}")
    for rule_id, missing in checked.report.skipped.items():
        console.print(f"[dim]Skipped {rule_id}: the sheet has no {' / '.join(missing)} column.[/]")
    if lay.unmapped:
        console.print(f"[dim]Columns sheetsync does not use: {_escape(', '.join(lay.unmapped))}[/]")


@cli.command()
@judged_options
@click.option("--dry-run", is_flag=True, help="Show which cells would change; write nothing.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the synced workbook here instead of changing the source (.xlsx).",
)
@format_option
def sync(target: Target, dry_run: bool, output: str | None, fmt: str) -> None:
    """Check a tracker and write status columns back into it."""

    def action() -> int:
        from sheetsync.allocator import large_blocks_mapped

        large_blocks_mapped()  # before the read: what large steps free goes back to the system
        settings, source, today = target.resolve(writing=not dry_run)
        result = api.sync(source, today=today, dry_run=dry_run, output=output, settings=settings)
        if fmt == "json":
            click.echo(json.dumps(sync_json(result), ensure_ascii=False, indent=2))
        else:
            render_sync(result, common.console())
        return 0

    run_action(action)


def sync_json(result: SyncResult) -> dict[str, Any]:
    """Machine-readable summary of a sync."""
    return {
        "source": result.source,
        "worksheet": result.worksheet,
        "rows_read": result.rows_read,
        "findings_by_rule": result.findings_by_rule,
        "cells_changed": len(result.plan.changes),
        "columns_added": list(result.plan.new_columns),
        "prep_tab": (
            {
                "tab": result.plan.prep.tab,
                "rows": len(result.plan.prep.rows),
                "created": result.plan.prep.is_new,
            }
            if result.plan.prep is not None
            else None
        ),
        "written": result.written,
        "dry_run": result.dry_run,
        "doubtful": list(result.checked.layout.doubtful) if result.checked else [],
        "backup": result.backup,
        "output": result.output,
        "changes": [
            {"cell": c.ref, "old": _plain(c.old), "new": _plain(c.new)} for c in result.plan.changes
        ]
        if result.dry_run
        else [],
    }


def _plain(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is None else value if isinstance(value, int | float | bool) else str(value)


def render_sync(result: SyncResult, console: Console) -> None:
    """Run summary, and the plan itself on a dry run."""
    plan = result.plan
    if result.dry_run:
        _render_plan(result, console)
    by_rule = ", ".join(f"{r} {n}" for r, n in result.findings_by_rule.items()) or "none"
    console.print(
        f"[bold]{_escape(result.source)}[/] › {_escape(result.worksheet)}: "
        f"{plural(result.rows_read, 'contact')} read; findings: {by_rule}"
    )
    for note in getattr(result.checked, "notes", ()):
        console.print(f"[yellow]Note:[/] {_escape(note)}")
    if plan.new_columns:
        verb = "would add" if result.dry_run else "added"
        console.print(f"Columns {verb}: {', '.join(plan.new_columns)}")
    if plan.prep is not None:
        verb = "would be" if result.dry_run else "was"
        new = "created" if plan.prep.is_new else "updated"
        console.print(
            f"Prep tab '{_escape(plan.prep.tab)}' {verb} {new}: "
            f"{len(plan.prep.rows)} rows (everything you typed there kept)"
        )
    if result.dry_run:
        console.print(f"Dry run: {len(plan.changes)} cells would change; nothing was written.")
        if result.checked is not None and result.checked.layout.doubtful:
            console.print(f"[yellow]Map in doubt:[/] {escape(_doubt_note(result.checked))}")
    elif not result.written:
        console.print("Nothing to change: the sheet is up to date (file not rewritten).")
    elif plan.is_empty and result.output:
        console.print(
            f"Nothing to change: the sheet is up to date; copied it to {_escape(result.output)}."
        )
    else:
        where = _escape(result.output or result.source)
        console.print(f"[green]Wrote {len(plan.changes)} status cells[/] to {where}.")
        if result.backup:
            console.print(f"Previous version kept at {_escape(result.backup)}")


def _render_plan(result: SyncResult, console: Console) -> None:
    if result.plan.is_empty:
        return
    from rich.table import Table  # not loaded for check

    table = Table(title="Planned changes", title_justify="left", show_edge=False)
    for name in ("Cell", "Now", "Would become"):
        table.add_column(name, overflow="fold")
    for c in result.plan.changes:
        table.add_row(c.ref, _shown(c.old), _shown(c.new))
    console.print(table)


def _shown(value: object) -> str:
    if value is None or value == "":
        return "[dim](empty)[/]"
    return _escape(str(_plain(value)))


@cli.command("rules")
@format_option
def rules_cmd(fmt: str) -> None:
    """List every rule: its id, what it flags, the columns it needs, its parameters."""
    from sheetsync import rules

    if fmt == "json":
        listed = [
            {
                "id": r.id,
                "summary": r.summary,
                "needs": list(r.needs),
                "needs_any": list(r.needs_any),
                "params": dict(r.params),
                "status_label": r.label,
            }
            for r in rules.RULES.values()
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    from rich.table import Table

    table = Table(show_edge=False, show_lines=True)
    for name in ("Rule", "What it flags", "Needs", "Parameters (default)"):
        table.add_column(name, overflow="fold")
    for r in rules.RULES.values():
        needs = ", ".join(r.needs)
        if r.needs_any:
            needs = f"{needs} + one of {'/'.join(r.needs_any)}".lstrip(" +")
        params = "\n".join(f"{k} = {v}" for k, v in r.params.items()) or "—"
        table.add_row(r.id, r.summary, needs or "—", params)
    common.console().print(table)
    click.echo(
        "Set parameters in sheetsync.toml, e.g. [rules.stale-contact] days = 120; "
        "choose rules with --select/--ignore or rules.select/rules.ignore."
    )


@cli.command()
@click.argument("source", required=False)
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD", help="Judge as of this day.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="sheetsync.toml.")
@mail_option
def doctor(
    source: str | None, today: dt.date | None, config_path: str | None, mail: str | None
) -> None:
    """Check credentials, access, the tab and header found, the column map and the mailbox."""
    from sheetsync.doctor import diagnose
    from sheetsync.mail import config as mail_config

    def action() -> int:
        settings = mail_config.with_source(common.settings_for(config_path), mail)
        checks = diagnose(
            common.source_for(source, settings), settings, common.today_for(today, settings)
        )
        console = common.console()
        for c in checks:
            mark = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}[c.status]
            console.print(f"{mark} [bold]{c.name}[/]: {_escape(c.detail)}")
            if c.fix and c.status != "ok":
                console.print(f"    → {_escape(c.fix)}")
        return 0 if all(c.ok for c in checks) else EXIT_ERROR

    run_action(action)


DRAFT_HELP = """Print the email draft one row needs now, from the stage its cells record: an
outreach email before any contact, a follow-up while it is unanswered, a confirmation once they
replied or before the interview, a thank-you after it, a stay-in-touch note later. An outreach
draft is checked against the advice (under 100 words, a question, no job ask, the connection
named, 30 minutes or less).

Templates are templates/drafts/<kind>.txt.j2, overridable with [prep] templates_dir. They can
use: contact.name, contact.first_name, contact.organization, contact.title, contact.email,
contact.connection, contact.referred_by, contact.platform, contact.notes, contact.referrals,
contact.promises, contact.questions, contact.interview_date, contact.outreach_date; me.name,
me.role, me.research ([prep] my_name, my_role, my_research); when, sent, specific, promise
(what you promised, as a sentence), today."""


@cli.command(help=DRAFT_HELP)
@click.argument("row", type=click.IntRange(min=1))
@judged_options
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    help="Which draft (default: the one the row's stage needs).",
)
def draft(row: int, target: Target, kind: str | None) -> None:
    from sheetsync.drafts import choose_kind, contact_context, lint, render_draft
    from sheetsync.prep import PrepSettings

    def action() -> int:
        settings, source, day = target.resolve()
        checked = api.check(source, today=day, settings=settings)
        df = checked.tracker.df
        if row not in df.index:
            raise click.BadParameter(
                f"row {row} is not a contact row of '{visible(checked.layout.worksheet)}'.",
                param_hint="ROW",
            )
        record = {str(k): v for k, v in df.loc[row].items()}
        chosen = kind or choose_kind(record, day)
        prep_settings: PrepSettings = settings.section("prep")
        text = render_draft(chosen, record, prep_settings.me, day, prep_settings.templates_dir)
        click.echo(visible_lines(text))
        if chosen == "outreach":
            contact = contact_context(record)
            issues = lint(
                text, connection=contact["connection"], referred_by=contact["referred_by"]
            )
            for issue in issues:
                click.echo(visible(f"lint {issue.severity}: {issue.message}"), err=True)
        return 0

    run_action(action)


_registered: list[bool] = []


def _register_commands() -> bool:
    """Add the commands defined in ``sheetsync.commands.*`` modules (once; True the first
    time)."""
    import importlib

    from sheetsync.commands import MODULES

    if _registered:
        return False
    _registered.append(True)
    for name in MODULES:
        module = importlib.import_module(f"sheetsync.commands.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="sheetsync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        fail("Interrupted.", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except SheetsyncError as exc:  # raised by a command outside run_action
        fail(str(exc), exit_code(exc))
    except Exception as exc:
        unexpected(exc)
    sys.exit(0)
