"""What `pip install .` ships, and where a newcomer finds each module: every package of the
source tree is listed in pyproject.toml (setuptools installs only the packages named there; an
editable install hides a missing one), and every module is named in docs/design.md."""

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


def test_every_module_is_named_in_the_design_doc() -> None:
    table = (ROOT / "docs" / "design.md").read_text(encoding="utf-8").split("## The modules")[1]
    package = ROOT / "sheetsync"
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.name in {"__init__.py", "__main__.py"} or relative.parts[0] == "_templates":
            continue
        top = relative.parts[0]
        named = f"`{top}/`" in table if len(relative.parts) > 1 else f"`{top}`" in table
        if len(relative.parts) == 2 and relative.parts[0] == "backends":
            named = f"`{relative.name}`" in table or f"`{relative.parts[1]}/`" in table
        if len(relative.parts) == 3 and relative.parts[0] == "backends":
            named = f"`{relative.parts[1]}/`" in table
        if not named:
            missing.append(str(relative))
    assert missing == [], "describe these in docs/design.md's module table"
