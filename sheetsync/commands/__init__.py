"""Further CLI commands, one module each. A module lists its click commands in ``COMMANDS``;
``sheetsync.cli`` registers every module named in ``MODULES``."""

from __future__ import annotations

import datetime as dt

import click

MODULES: tuple[str, ...] = ("workbook", "scheduling", "run_status", "ics", "export", "map")

# --format text|json, as every command that reports takes it (the value arrives as ``fmt``).
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """Click callback for YYYY-MM-DD options (--today, --since)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date: use YYYY-MM-DD.") from None
