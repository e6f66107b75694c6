"""``sheetsync map``: see the column map, correct it, and save it as confirmed.

The logic (samples, edits, the config edit) is in :mod:`sheetsync.mapping`; this module asks
and prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sheetsync.commands import common
from sheetsync.config import CONFIG_ENV, DEFAULT_NAME, Settings, load_settings
from sheetsync.errors import ConfigError
from sheetsync.fields import BY_ID, FIELD_IDS
from sheetsync.grid import Grid
from sheetsync.mapping import ColumnMap, ColumnView, column_views, percent, save_map

if TYPE_CHECKING:  # the layout search loads when the command runs
    from sheetsync.layout import Layout

MAP_HELP = """Show how each column of a tracker is read, correct it, and save it as confirmed.

Lists every column with a few of its values, the field sheetsync reads it as and how sure it
is. In a terminal it asks about each column in doubt (every column with --all): accept the
guess, choose another field, or ignore the column. Scripts pass --set/--ignore and --yes.

The result goes into sheetsync.toml (worksheet, header_row, [columns], ignore_columns); the
rest of the file is kept as it is. Without a config file, one is created next to the tracker.
`sync` writes only on a sure or confirmed map."""


@click.command("map", help=MAP_HELP)
@click.argument("source", required=False)
@click.option("--worksheet", help="The contacts tab (default: found automatically).")
@click.option(
    "--header-row", type=click.IntRange(min=1), help="The header's row number (default: found)."
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="FIELD=HEADER",
    help="Read the column HEADER (its text or letter) as FIELD. Repeatable.",
)
@click.option(
    "--ignore",
    "ignores",
    multiple=True,
    metavar="HEADER",
    help="Use this column for nothing (now and on later runs). Repeatable.",
)
@click.option("--all", "ask_all", is_flag=True, help="Ask about every column, not only doubtful.")
@click.option("-y", "--yes", is_flag=True, help="Accept the map shown (after --set/--ignore).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="sheetsync.toml to update or create (default: $SHEETSYNC_CONFIG, ./sheetsync.toml, "
    "else one next to the tracker).",
)
def map_cmd(
    source: str | None,
    worksheet: str | None,
    header_row: int | None,
    sets: tuple[str, ...],
    ignores: tuple[str, ...],
    ask_all: bool,
    yes: bool,
    config_path: str | None,
) -> None:
    from sheetsync import api

    def action() -> int:
        target = config_target(config_path, source)
        settings = _settings(target).with_overrides(worksheet=worksheet, header_row=header_row)
        tracker = _tracker(source, settings)
        grid = api.read(tracker, settings=settings)
        lay = _discover(grid, settings)
        console = common.console()
        tab = grid.tab(lay.worksheet)
        assert tab is not None
        views = column_views(tab, lay, settings)
        console.print(
            f"[bold]{escape(tracker)}[/] › {escape(lay.worksheet)} · header on row {lay.header_row}"
        )
        console.print(map_table(views))
        chosen = ColumnMap.of(lay, settings.ignore_columns)
        _apply_flags(chosen, sets, ignores)
        if yes or sets or ignores:
            _refuse_open_doubts(lay, chosen, sets, ignores, yes)
        elif not _ask(console, views, chosen, ask_all, target):
            console.print("Nothing saved.")
            return 0
        new_source = _source_for(target, tracker) if not target.exists() else None
        saved = save_map(target, chosen, new_source)
        _report(console, grid, saved, chosen, target, tracker)
        return 0

    common.run_action(action)


COMMANDS = (map_cmd,)


# ---------------------------------------------------------------------- where and what


def config_target(given: str | None, source: str | None) -> Path:
    """The config file ``map`` updates: --config, $SHEETSYNC_CONFIG, ./sheetsync.toml, or a new
    one next to the tracker (in this folder for a Google Sheet)."""
    if given:
        return Path(given)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path(DEFAULT_NAME)
    if local.is_file() or source is None or _is_google(source):
        return local
    return Path(source).parent / DEFAULT_NAME


def _is_google(source: str) -> bool:
    from sheetsync.backends.google_source import parse_source

    return parse_source(source) is not None


def _settings(target: Path) -> Settings:
    return load_settings(target) if target.is_file() else Settings()


def _tracker(source: str | None, settings: Settings) -> str:
    """The tracker to map: the argument, else the config's ``source``; never a different one
    from the config's (its map would be saved over the other tracker's)."""
    configured = _configured_source(settings)
    if source is None:
        if configured is None:
            raise click.UsageError("Say which tracker: `sheetsync map tracker.xlsx`.")
        return configured
    if configured is not None and not _same(source, configured):
        raise ConfigError(
            f"{settings.path} is the config of {configured}, not {source}; nothing was saved. "
            f"Give this tracker its own config: `sheetsync map {source} --config OTHER.toml`."
        )
    return source


def _configured_source(settings: Settings) -> str | None:
    chosen = settings.source
    if chosen and settings.path and not _is_google(chosen) and not Path(chosen).is_absolute():
        return str(settings.path.parent / chosen)
    return chosen


def _same(a: str, b: str) -> bool:
    if _is_google(a) or _is_google(b):
        from sheetsync.backends.google_source import parse_source

        return parse_source(a) == parse_source(b)
    return Path(a).resolve() == Path(b).resolve()


def _source_for(target: Path, tracker: str) -> str:
    """``source`` for a new config: the tracker's name when it sits beside the config."""
    if _is_google(tracker):
        return tracker
    path = Path(tracker).resolve()
    return path.name if path.parent == target.resolve().parent else str(path)


def _discover(grid: Grid, settings: Settings) -> Layout:
    """The layout as ``check`` reads it; a stale [columns] entry is reported and left out."""
    from sheetsync import layout

    try:
        lay = layout.discover(
            grid,
            worksheet=settings.worksheet,
            header_row=settings.header_row,
            overrides=settings.columns,
        )
    except ConfigError as exc:
        if not settings.columns:
            raise
        click.echo(f"Note: {exc} Mapping without [columns]; saving replaces it.", err=True)
        lay = layout.discover(grid, worksheet=settings.worksheet, header_row=settings.header_row)
    return lay.without(settings.ignore_columns)


# ---------------------------------------------------------------------- showing


def _read_as(view: ColumnView) -> str:
    if view.ignored:
        return "[dim]ignored[/]"
    if view.field is None:
        return "[dim]not used[/]"
    if view.doubtful:
        return f"[yellow]{view.field}?[/]"
    return view.field


def _sure(view: ColumnView) -> str:
    if view.field is None:
        return ""
    if view.confirmed:
        return "confirmed"
    return percent(view.confidence)


def map_table(views: list[ColumnView]) -> Table:
    """Column, header, sample values, the field it is read as, and how sure."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("Col", style="dim", no_wrap=True)
    table.add_column("Header", overflow="fold")
    table.add_column("Values", overflow="fold", ratio=1)
    table.add_column("Read as", no_wrap=True)
    table.add_column("Sure", justify="right", no_wrap=True)
    for v in views:
        values = " · ".join(escape(s) for s in v.samples) or "[dim](empty)[/]"
        table.add_row(v.letter, escape(v.header), values, _read_as(v), _sure(v))
    return table


# ---------------------------------------------------------------------- changing


def _apply_flags(chosen: ColumnMap, sets: tuple[str, ...], ignores: tuple[str, ...]) -> None:
    for item in sets:
        fid, eq, header = item.partition("=")
        if not eq or not header.strip():
            raise click.BadParameter(f"'{item}': write FIELD=HEADER.", param_hint="--set")
        try:
            chosen.set(fid.strip(), header)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
    for header in ignores:
        try:
            chosen.ignore(header)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--ignore") from None


def _refuse_open_doubts(
    lay: Layout, chosen: ColumnMap, sets: tuple[str, ...], ignores: tuple[str, ...], yes: bool
) -> None:
    """Without --yes, every doubtful guess still in the map must have been answered."""
    if yes:
        return
    answered = {s.partition("=")[0].strip() for s in sets}
    open_doubts = [
        f
        for f in lay.doubtful
        if f not in answered and chosen.columns.get(f) == lay.column_names().get(f)
    ]
    if open_doubts:
        listed = ", ".join(f"{f} ('{chosen.columns[f]}')" for f in open_doubts)
        raise click.UsageError(
            f"Still in doubt: {listed}. Add --yes to accept them as shown, or --set/--ignore them."
        )


def _ask(
    console: Console, views: list[ColumnView], chosen: ColumnMap, ask_all: bool, target: Path
) -> bool:
    """Ask about each doubtful column (every column with ``ask_all``), then whether to save."""
    asked = [v for v in views if ask_all or v.doubtful]
    try:
        if asked:
            console.print(f"[dim]Fields: {', '.join(FIELD_IDS)}[/]")
        for view in asked:
            _ask_one(console, view, chosen)
        console.print(_summary(chosen))
        return click.confirm(f"Save this map to {target}?", default=True)
    except click.Abort:
        raise click.UsageError(
            "Stopped before saving; nothing was saved. In a script, pass --yes to accept the "
            "map shown, or --set FIELD=HEADER / --ignore HEADER."
        ) from None


def _ask_one(console: Console, view: ColumnView, chosen: ColumnMap) -> None:
    now = chosen.field_of(view.header)
    guess = "not used" if now is None else f"read as {now}"
    if now is not None and now == view.field and view.confidence is not None:
        guess += f" ({percent(view.confidence)} sure)"
    samples = " · ".join(view.samples) or "(empty)"
    console.print(
        f"Column {view.letter} [bold]{escape(view.header)}[/]: {guess}. Values: {escape(samples)}"
    )
    answer = click.prompt(
        "  [a]ccept, [c]hoose a field, [i]gnore",
        type=click.Choice(["a", "c", "i"], case_sensitive=False),
        default="a",
        show_choices=False,
    ).lower()
    if answer == "i":
        chosen.ignore(view.header)
    elif answer == "c":
        fid = click.prompt("  Field", type=click.Choice(FIELD_IDS), show_choices=False)
        before = chosen.columns.get(fid)
        chosen.set(fid, view.header)
        if before and before.casefold() != view.header.casefold():
            console.print(f"  ({escape(before)} is no longer read as {fid}.)")


def _summary(chosen: ColumnMap) -> str:
    lines = [f"Map to save ({chosen.worksheet}, header on row {chosen.header_row}):"]
    for fid, header in chosen.ordered_columns().items():
        lines.append(f"  {fid:<15} ← {escape(header)}  [dim]{escape(BY_ID[fid].help)}[/]")
    if chosen.ignored:
        lines.append(f"  ignored: {escape(', '.join(chosen.ignored))}")
    return "\n".join(lines)


def _report(
    console: Console,
    grid: Grid,
    saved: Settings,
    chosen: ColumnMap,
    target: Path,
    tracker: str,
) -> None:
    """Say where the map went, and prove the next run reads it the same way."""
    again = _discover(grid, saved).column_names()
    if any(again.get(f) != h for f, h in chosen.columns.items()):
        raise ConfigError(
            f"Saved {target}, but reading the tracker with it gives a different map; "
            "please report this. Check [columns] in that file."
        )
    n = len(chosen.columns)
    console.print(f"[green]Saved the map to {escape(str(target))}[/]: {n} columns confirmed.")
    for fid in again.keys() - chosen.columns.keys():
        console.print(
            f"[yellow]Note:[/] the next run also guesses '{escape(again[fid])}' is {fid}; "
            "run `sheetsync map` again to confirm or ignore it."
        )
    found = [Path(DEFAULT_NAME), Path(os.environ.get(CONFIG_ENV) or DEFAULT_NAME)]
    where = "" if any(target.resolve() == p.resolve() for p in found) else f" --config {target}"
    from sheetsync.backends.readonly import is_read_only

    verb = "check" if is_read_only(tracker) else "sync"  # a .csv/.ods is read, never synced
    console.print(f"Next: sheetsync {verb} {escape(tracker)}{escape(where)}")
