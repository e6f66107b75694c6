"""The ``sheetsync`` command's entry point (and ``python -m sheetsync``'s).

It loads the command line with the cycle collector paused and then freezes what the load
made (:func:`sheetsync.gcpause.loading`): click, rich and sheetsync's own modules live as long
as the process, and the collector would otherwise walk them again at every collection of a
short command. Then it runs :func:`sheetsync.cli.main`.
"""

from __future__ import annotations

from sheetsync import gcpause


def main() -> None:
    """Console-script entry point: :func:`sheetsync.cli.main`, loaded as above."""
    with gcpause.loading():
        from sheetsync.cli import main as cli_main
    cli_main()
