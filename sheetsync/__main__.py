"""`python -m sheetsync` runs the command-line interface."""

from sheetsync.launch import main

main()
