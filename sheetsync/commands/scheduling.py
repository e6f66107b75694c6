"""Commands for keeping a tracker current without thinking about it.

``run`` (the scheduled loop, or ``--once`` for cron/systemd) and ``schedule --print`` (a
crontab line or a systemd service + timer for this machine's paths). They parse options, call
:mod:`sheetsync.scheduler` and :mod:`sheetsync.runner`, and print. The options and helpers
they share with ``status`` (:mod:`sheetsync.commands.run_status`) and ``ics``
(:mod:`sheetsync.commands.ics`) live here too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shlex
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from sheetsync.commands import parse_date
from sheetsync.config import Settings, load_settings
from sheetsync.mail import config as mail_config

if TYPE_CHECKING:  # loaded by the command that runs, not by `sheetsync --help`
    from sheetsync import scheduler
    from sheetsync.slots import Slots

EXIT_ERROR = 3

# ---------------------------------------------------------------------- helpers


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    from sheetsync.cli import fail  # imported late: cli imports this module while loading

    fail(message, code)


def guard(action: Callable[[], int]) -> NoReturn:
    """Run a command body the way every command does (errors → message and exit code)."""
    from sheetsync.cli import run_action  # imported late: cli imports this module while loading

    run_action(action)


def _at_option(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.time | None:
    from sheetsync import scheduler

    try:
        return None if value is None else scheduler.parse_at(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _every_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.timedelta | None:
    from sheetsync import scheduler

    try:
        return None if value is None else scheduler.parse_every(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="sheetsync.toml to use (default: $SHEETSYNC_CONFIG, ./sheetsync.toml).",
)
state_option = click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help="State file (default: <config>.state.json beside the config; without a config, one "
    "per tracker in your user state folder).",
)
today_option = click.option(
    "--today",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Judge dates as of this day (default: today in the configured time zone).",
)
schedule_options = [
    click.option(
        "--at",
        callback=_at_option,
        metavar="HH:MM",
        help="Daily run time; start of shorter intervals [08:00].",
    ),
    click.option("--every", callback=_every_option, metavar="30m|1h|1d", help="Run interval [1d]."),
]


# ---------------------------------------------------------------------- logging


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald, Docker and log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str) -> None:
    """Runs log their progress: INFO by default (more with -v), text or JSON on stderr."""
    level = min(logging.getLogger().getEffectiveLevel(), logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    logging.basicConfig(level=level, handlers=[handler], force=True)


# ---------------------------------------------------------------------- run


@click.command("run")
@click.argument("sources", nargs=-1)
@config_option
@schedule_options[0]
@schedule_options[1]
@click.option("--once", is_flag=True, help="Sync once and exit (for cron and systemd timers).")
@today_option
@state_option
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines for people, or JSON for services.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not print the digest after each run.")
@click.option(
    "--mail",
    metavar="SOURCE",
    help="Read replies from this mailbox (headers only): imaps://USER@HOST, mbox:PATH or "
    "maildir:PATH (default: [mail] source).",
)
def run_cmd(
    sources: tuple[str, ...],
    config_path: str | None,
    at: dt.time | None,
    every: dt.timedelta | None,
    once: bool,
    today: dt.date | None,
    state_file: str | None,
    log_format: str,
    quiet: bool,
    mail: str | None,
) -> None:
    """Sync the tracker(s) now, then on a schedule, until stopped (SIGTERM/Ctrl-C).

    Sources come from the arguments, else [run] sources or `source` in sheetsync.toml; several
    are synced in turn. After each run a digest of what to do today and this week is printed,
    and written or emailed as [digest] says; [calendar] file gets an .ics. A missed run (laptop
    asleep) is caught up once. `sheetsync status` shows what happened.
    """
    from sheetsync import run_state, scheduler

    def action() -> int:
        settings = mail_config.with_source(load_settings(config_path), mail)
        _need_sources(settings, sources)
        spec = scheduler.make_spec(settings, sources, at=at, every=every, state_file=state_file)
        scheduler.check_outputs(spec, settings)  # a tracker as state/calendar file: exit 2
        with run_state.single_instance(spec.state_path):  # refuse a second run first
            configure_logging(log_format)
            stop = threading.Event()
            restore = scheduler.stop_on_signals(stop)
            try:
                return _run(spec, settings, today, stop, once=once, quiet=quiet)
            finally:
                restore()

    guard(action)


def _need_sources(settings: Settings, sources: Sequence[str]) -> None:
    if not sources and not settings.source and not settings.section("run").sources:
        raise click.UsageError(
            "Say which tracker(s): `sheetsync run tracker.xlsx`, or set `source` or [run] "
            "sources in sheetsync.toml."
        )


def _run(
    spec: scheduler.RunSpec,
    settings: Settings,
    today: dt.date | None,
    stop: threading.Event,
    *,
    once: bool,
    quiet: bool,
) -> int:
    from sheetsync import runner as runner_module

    show = (lambda report: None) if quiet else _print_report
    runner = runner_module.Runner(spec, settings, today=today, stop=stop, on_run=show)
    if not once:
        logging.getLogger("sheetsync").info(
            "sheetsync run: %s, %s; state in %s",
            ", ".join(spec.sources),
            spec.slots.describe(),
            spec.state_path,
        )
        runner.run_forever()
        return 0
    report = runner.run_once()
    failed = [o for o in report.outcomes if not o.ok]
    if report.stopped:
        return 0
    if failed:
        lines = "; ".join(f"{o.source}: {o.error}" for o in failed)
        _fail(f"{len(failed)} of {len(spec.sources)} tracker(s) did not sync — {lines}")
    if report.problems:
        _fail("; ".join(report.problems))
    return 0


def _print_report(report: scheduler.RunReport) -> None:
    from sheetsync import digest

    if report.digest is not None:
        click.echo(digest.render_text(report.digest))
        return
    for outcome in report.outcomes:
        click.echo(digest.source_line(outcome))


# ---------------------------------------------------------------------- schedule --print


@click.command("schedule")
@click.option(
    "--print",
    "what",
    type=click.Choice(["cron", "systemd"]),
    required=True,
    help="A crontab line, or a systemd service + timer pair.",
)
@click.argument("sources", nargs=-1)
@config_option
@schedule_options[0]
@schedule_options[1]
def schedule_cmd(
    what: str,
    sources: tuple[str, ...],
    config_path: str | None,
    at: dt.time | None,
    every: dt.timedelta | None,
) -> None:
    """Print a crontab line or systemd units that run `sheetsync run --once` for your paths."""
    from sheetsync import scheduler

    def action() -> int:
        settings = load_settings(config_path)
        spec = scheduler.make_spec(settings, sources, at=at, every=every)
        command = _once_command(settings, sources)
        folder = (settings.path.parent if settings.path else Path.cwd()).resolve()
        text = (
            cron_entry(spec.slots, command, folder)
            if what == "cron"
            else systemd_units(spec.slots, command, folder)
        )
        click.echo(text)
        return 0

    guard(action)


def _once_command(settings: Settings, sources: Sequence[str]) -> list[str]:
    """``python -m sheetsync run --once ...`` with absolute paths, for this interpreter."""
    command = [sys.executable, "-m", "sheetsync", "run", "--once", "--quiet"]
    if settings.path is not None:
        command += ["--config", str(settings.path.resolve())]
    command += [s if ":" in s else str(Path(s).resolve()) for s in sources]
    return command


def cron_entry(slots: Slots, command: Sequence[str], folder: Path) -> str:
    """A crontab line (with CRON_TZ when a time zone is configured)."""
    from sheetsync.slots import format_every

    seconds = int(slots.every.total_seconds())
    at = slots.at
    if slots.daily:
        when = f"{at.minute} {at.hour} * * *"
    elif seconds % 3600 == 0 and 86400 % seconds == 0:
        when = f"{at.minute} */{seconds // 3600} * * *"
    elif seconds % 60 == 0 and 3600 % seconds == 0:
        when = f"*/{seconds // 60} * * * *"
    else:
        raise click.UsageError(
            f"cron cannot run every {format_every(slots.every)}: use an interval that "
            "divides an hour or a day, or `--print systemd`."
        )
    log_file = shlex.quote(str(folder / "sheetsync.log"))
    line = f"{when} cd {shlex.quote(str(folder))} && {shlex.join(command)} >> {log_file} 2>&1"
    zone = getattr(slots.zone, "key", None)
    header = [
        "# Add with `crontab -e`. Runs `sheetsync run --once`; see `sheetsync status`.",
    ]
    if zone:
        header.append(f"CRON_TZ={zone}")
    return "\n".join([*header, line])


def systemd_units(slots: Slots, command: Sequence[str], folder: Path) -> str:
    """A oneshot service and its timer (Persistent=true: a missed run happens at boot)."""
    exec_start = " ".join(_systemd_quote(a) for a in [*command, "--log-format", "json"])
    zone = getattr(slots.zone, "key", "")
    if slots.daily:
        timer = f"OnCalendar=*-*-* {slots.at:%H:%M}:00 {zone}".rstrip() + "\nPersistent=true"
    else:
        timer = f"OnBootSec=2min\nOnUnitActiveSec={int(slots.every.total_seconds())}s"
    return f"""\
# ~/.config/systemd/user/sheetsync.service
[Unit]
Description=sheetsync: sync the informational-interview tracker
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={_systemd_quote(str(folder))}
ExecStart={exec_start}
# For the digest email: Environment=SHEETSYNC_SMTP_PASSWORD=… (or EnvironmentFile=)

# ~/.config/systemd/user/sheetsync.timer
[Unit]
Description=Run sheetsync {slots.describe()}

[Timer]
{timer}

[Install]
WantedBy=timers.target

# Then: systemctl --user daemon-reload && systemctl --user enable --now sheetsync.timer
# Or run the loop as a service instead: ExecStart=… run --log-format json (Type=simple)."""


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("%", "%%")
    if any(c in escaped for c in " \t\"'\\"):
        return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


COMMANDS = [run_cmd, schedule_cmd]
