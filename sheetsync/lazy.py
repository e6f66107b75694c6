"""Public names that load their module on first use (PEP 562), so that importing a package
costs nothing until one of its names is used.

A package lists ``name → module`` and hands the two functions this returns to its own
``__getattr__`` and ``__dir__``::

    __getattr__, __dir__ = lazy.exports(__name__, globals(), {"export": "sheetsync.advisor.run"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(
    package: str, namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each of ``names`` is imported from its
    module on first use and then kept in ``namespace`` (the package's globals)."""

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # next time, no call
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *names])

    return getattr_, dir_
