"""The commands about the tracker file itself: ``init`` makes a new one, ``restore`` puts a
backup back (through :mod:`sheetsync.backups`, the current file backed up first)."""

from __future__ import annotations

from pathlib import Path

import click

from sheetsync.commands.common import run_action, settings_for


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
def init(path: str) -> None:
    """Create a fresh tracker workbook with every column sheetsync understands (never replaces
    an existing file)."""
    from sheetsync.init import create_tracker

    def action() -> int:
        create_tracker(Path(path))
        click.echo(f"Created {path}: fill in the Contacts tab, then run `sheetsync sync {path}`.")
        return 0

    run_action(action)


@click.command()
@click.argument("tracker", type=click.Path(dir_okay=False))
@click.argument("backup", required=False)
@click.option(
    "--list", "list_only", is_flag=True, help="List the tracker's backups; change nothing."
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="sheetsync.toml.")
def restore(tracker: str, backup: str | None, list_only: bool, config_path: str | None) -> None:
    """Put a backup of an .xlsx tracker back: BACKUP is a name from --list, or `original`
    (default: the most recent). The current file is backed up first."""
    from sheetsync import backups
    from sheetsync.errors import FileLockedError
    from sheetsync.files import lock_files

    def action() -> int:
        settings = settings_for(config_path)
        path = Path(tracker)
        folder = Path(settings.backup_dir) if settings.backup_dir else None
        if list_only:
            found = backups.list_backups(path, folder)
            for b in found:
                click.echo(f"{b.path.name}\t{b.label}\t{b.path.stat().st_size} bytes")
            if not found:
                click.echo(f"No backups of {tracker} in {backups.backup_dir_for(path, folder)}.")
            return 0
        chosen = backups.find_backup(path, backup, folder)
        if lock_files(path):
            raise FileLockedError(f"{tracker} is open in Excel or LibreOffice: close it first.")
        saved = backups.restore(path, chosen, keep=settings.backups, backup_dir=folder)
        click.echo(f"Restored {tracker} from {chosen.path.name} ({chosen.label}).")
        if saved:
            click.echo(f"The version it replaced is kept at {saved}")
        return 0

    run_action(action)


COMMANDS = (init, restore)
