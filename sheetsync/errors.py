"""Every error sheetsync raises, under one base class.

Findings are data; an exception is for what stops a run. Each message says what to do::

    SheetsyncError                 anything that stops a run (CLI exit code 3)
    ├── ConfigError                sheetsync.toml or an option is wrong (names file and key)
    │   └── MapNotConfirmed        the column map is in doubt; `sheetsync map` confirms it
    ├── SourceError                the source cannot be read (missing, corrupt, unsupported)
    │   └── ReadOnlySource         a .csv/.ods tracker: checked, never written
    ├── LayoutError                no contacts tab / header row could be found
    ├── TemplateError              a Jinja2 template failed (names template, line, variable)
    ├── WriteRefused               sheetsync will not write, to keep the user's data safe
    │   ├── FileLockedError        Excel/LibreOffice has the file open
    │   ├── SourceChangedError     the file or sheet changed between read and write
    │   └── OutputRefused          the path given for an output is not sheetsync's to replace
    │                              (a tracker, the config, a folder, someone else's file):
    │                              a usage error, CLI exit code 2
    └── GoogleError                the Sheets API said no (access, quota, not found, …)
"""

from __future__ import annotations


class SheetsyncError(Exception):
    """Base class: a run cannot go on. The message tells the user what to do."""


class ConfigError(SheetsyncError):
    """A config file, key or option is wrong."""


class MapNotConfirmed(ConfigError):
    """Some columns' meaning is in doubt, so ``sync`` will not write until the map is confirmed.

    The CLI treats it as a usage problem (exit 2): the fix is a command for the user to run.
    """


class SourceError(SheetsyncError):
    """The source cannot be opened or read."""


class ReadOnlySource(SourceError):
    """The tracker is in a format sheetsync reads but does not write (.csv, .ods).

    The CLI treats it as a usage problem (exit 2): the fix is to convert the file.
    """


class LayoutError(SheetsyncError):
    """No contacts tab or header row could be found."""


class TemplateError(SheetsyncError):
    """A template could not be rendered."""


class WriteRefused(SheetsyncError):
    """Writing would risk the user's data, so nothing was written."""


class FileLockedError(WriteRefused):
    """The workbook is open in Excel or LibreOffice."""


class SourceChangedError(WriteRefused):
    """The source changed between the read and the write."""


class OutputRefused(WriteRefused):
    """The file to write is a tracker, the config, a folder, or a file sheetsync did not
    write; the message says which and what to pick instead."""


class GoogleError(SheetsyncError):
    """The Google Sheets API refused a request."""
