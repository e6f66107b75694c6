"""Further CLI commands, one module each. A module lists its click commands in ``COMMANDS``;
``sheetsync.cli`` registers every module named in ``MODULES``."""

MODULES: tuple[str, ...] = ("scheduling", "export")
