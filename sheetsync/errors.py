"""Every error sheetsync raises, under one base class.

Findings are data; an exception is for what stops a run. Each message says what to do. The
tree, with the CLI exit code of each branch and whether the run loop retries it (``transient``)::

    SheetsyncError                 anything that stops a run                       exit 3
    ├── ConfigError                sheetsync.toml or an option is wrong            exit 2
    │   │                          (the message names the file and key)
    │   └── MapNotConfirmed        the column map is in doubt; `sheetsync map`     exit 2
    │                              confirms it
    ├── SourceError                the source cannot be read (missing, corrupt)    exit 3
    │   └── ReadOnlySource         a .csv/.ods tracker: checked, never written     exit 2
    ├── LayoutError                no contacts tab / header row could be found     exit 3
    ├── TemplateError              a Jinja2 template failed (template, line)       exit 3
    ├── WriteRefused               sheetsync will not write, to keep data safe     exit 3
    │   ├── FileLockedError        Excel/LibreOffice has the file open   transient exit 3
    │   ├── SourceChangedError     changed between read and write        transient exit 3
    │   └── OutputRefused          the output path is not sheetsync's to replace   exit 2
    │                              (a tracker, the config, a folder, someone else's file)
    ├── GoogleError                the Sheets API said no                          exit 3
    │   └── SheetsAPIError         a request failed; ``status`` is the HTTP status
    │       ├── SheetsAccessDenied     401/403
    │       ├── SheetsNotFound         404
    │       ├── SheetsBadRequest       400
    │       ├── SheetsQuotaExceeded    429 after the retries             transient
    │       ├── SheetsTimeout          no answer in time                 transient
    │       └── SheetsUnavailable      5xx after the retries, no answer  transient
    ├── MailUnavailable            a mailbox could not be read (the run goes on    exit 3
    │                              without mail evidence)
    ├── DeliveryError              the digest email could not be sent              exit 3
    └── AlreadyRunning             another `sheetsync run` holds this config's     exit 3
                                   lock

``transient`` is data on each class (a class attribute; on :class:`SheetsAPIError` set from
the HTTP status): true when trying again a little later may well succeed. The
run loop (``sheetsync run``) retries a transient error before the next slot and waits for the
next slot otherwise. ``usage`` says the fix is something the user must change (a config key, an
option, a command to run): the CLI exits 2 for those and 3 for the rest.
"""

from __future__ import annotations

__all__ = [
    "AlreadyRunning",
    "ConfigError",
    "DeliveryError",
    "FileLockedError",
    "GoogleError",
    "LayoutError",
    "MailUnavailable",
    "MapNotConfirmed",
    "OutputRefused",
    "ReadOnlySource",
    "SheetsAPIError",
    "SheetsAccessDenied",
    "SheetsBadRequest",
    "SheetsNotFound",
    "SheetsQuotaExceeded",
    "SheetsTimeout",
    "SheetsUnavailable",
    "SheetsyncError",
    "SourceChangedError",
    "SourceError",
    "TemplateError",
    "WriteRefused",
]


class SheetsyncError(Exception):
    """Base class: a run cannot go on. The message tells the user what to do."""

    #: Trying again a little later may succeed (the run loop retries these).
    transient: bool = False
    #: The fix is the user's to make (config, option, a command to run): CLI exit 2, not 3.
    usage: bool = False


class ConfigError(SheetsyncError):
    """A config file, key or option is wrong."""

    usage = True


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

    usage = True


class LayoutError(SheetsyncError):
    """No contacts tab or header row could be found."""


class TemplateError(SheetsyncError):
    """A template could not be rendered."""


class WriteRefused(SheetsyncError):
    """Writing would risk the user's data, so nothing was written."""


class FileLockedError(WriteRefused):
    """The workbook is open in Excel or LibreOffice."""

    transient = True


class SourceChangedError(WriteRefused):
    """The source changed between the read and the write."""

    transient = True


class OutputRefused(WriteRefused):
    """The file to write is a tracker, the config, a folder, or a file sheetsync did not
    write; the message says which and what to pick instead."""

    usage = True


class GoogleError(SheetsyncError):
    """The Google Sheets API refused a request."""


class SheetsAPIError(GoogleError):
    """A Google Sheets request failed; ``status`` is the HTTP status (None: no answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        google_status: str | None = None,
        api_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.google_status = google_status
        self.api_message = api_message
        # No answer, a 429 or a 5xx: Google may well answer a little later.
        self.transient = status is None or status == 429 or status >= 500


class SheetsAccessDenied(SheetsAPIError):
    """401/403: the credentials were refused or cannot open this spreadsheet."""


class SheetsNotFound(SheetsAPIError):
    """404: no such spreadsheet (or item)."""


class SheetsQuotaExceeded(SheetsAPIError):
    """429 (after the retries): the per-minute quota is used up."""


class SheetsBadRequest(SheetsAPIError):
    """400: Google rejected the request; ``range`` is set when a range was the problem."""

    def __init__(
        self,
        message: str,
        *,
        range_: str | None = None,
        status: int | None = None,
        google_status: str | None = None,
        api_message: str | None = None,
    ) -> None:
        super().__init__(
            message, status=status, google_status=google_status, api_message=api_message
        )
        self.range = range_


class SheetsTimeout(SheetsAPIError):
    """No answer within the timeout."""


class SheetsUnavailable(SheetsAPIError):
    """5xx after the retries, or Google could not be reached."""


class MailUnavailable(SheetsyncError):
    """The mailbox could not be read; the run goes on without mail evidence."""


class DeliveryError(SheetsyncError):
    """The digest email could not be sent."""


class AlreadyRunning(SheetsyncError):
    """Another ``sheetsync run`` holds the lock of this config."""
