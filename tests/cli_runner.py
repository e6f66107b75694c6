"""Running the real console-script entry point in-process, and snapshotting a folder."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sheetsync.cli import main


@dataclass
class Result:
    """What one ``sheetsync …`` run printed and its exit code."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr with whitespace collapsed (rich may wrap long lines)."""
        return " ".join((self.out + " " + self.err).split())

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    """Run ``sheetsync ARGS`` through ``sheetsync.cli:main`` in ``tmp_path``, no config around.

    Every run also asserts that nothing printed a traceback.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "400")

    def run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        code = exit_info.value.code
        return Result(code if isinstance(code, int) else int(code is not None), out, err)

    return run


def run_main(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``sheetsync ARGS`` through ``sheetsync.cli:main`` in this process, in ``cwd``, reported as
    ``subprocess.run(..., capture_output=True, text=True)`` reports the console script.

    For tests written against a subprocess where the process itself is not under test (no
    signals, no resource limits, no import-set check), at a fraction of the cost. What the
    process would print is all here: stdout, stderr, the log lines ``-v``/``-vv`` turn on (the
    root logger starts bare, as in a fresh process, and is put back afterwards) and Python
    warnings (shown once per run, as a fresh process shows them). No ``SHEETSYNC_CONFIG`` from
    around, ``COLUMNS=200``; ``env`` sets (or, with None, removes) more variables for the run.
    """
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("default")
        patch.chdir(cwd)
        patch.delenv("SHEETSYNC_CONFIG", raising=False)
        patch.setenv("COLUMNS", "200")
        for name, value in (env or {}).items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        root.handlers = []
        root.setLevel(logging.WARNING)
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_info:
            code = (
                exit_info.code
                if isinstance(exit_info.code, int)
                else int(exit_info.code is not None)
            )
        finally:
            root.handlers = saved_handlers
            root.setLevel(saved_level)
        for w in caught:
            if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
                err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    return subprocess.CompletedProcess(["sheetsync", *args], code, out.getvalue(), err.getvalue())


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and mtime (to prove nothing was written)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
