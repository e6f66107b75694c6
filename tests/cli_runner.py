"""Running the real console-script entry point in-process, and snapshotting a folder."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and mtime (to prove nothing was written)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
