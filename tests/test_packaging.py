"""What `pip install .` ships: every package of the source tree is listed in pyproject.toml
(setuptools installs only the packages named there; an editable install hides a missing one)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "sheetsync").rglob("__init__.py")
    }
    assert found, "no package found under sheetsync/"
    assert found - listed == set(), "add these to [tool.setuptools] packages"
