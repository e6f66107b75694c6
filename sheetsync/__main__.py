"""`python -m sheetsync` runs the command-line interface."""

from sheetsync.cli import main

main()
