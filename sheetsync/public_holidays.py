"""Public holidays for business-day rules, remembered between runs.

Asking the ``holidays`` package for one country's days imports its registry of ~280 country
modules (0.2–0.35 s, more than the rest of a check of a small tracker). The dates of one
(country, subdivision, years) never change for one version of that package, so the first run
writes them to a small JSON file in the user's state folder (through the one writer,
:mod:`sheetsync.files`), and later runs read them back in a millisecond. The file's name and
contents carry the package's version: upgrading ``holidays`` computes them afresh. A missing,
unreadable or foreign file is never trusted; it only costs the slow path.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import re
from functools import lru_cache
from pathlib import Path

from sheetsync.errors import SheetsyncError

log = logging.getLogger("sheetsync")

MARKER = "holiday-cache"  # the "sheetsync" key of the file: how files.is_own knows it
_VERSION = re.compile(r"^Version:(.+)$", re.M)
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


@lru_cache(maxsize=16)  # a cohort checks many trackers in one process
def public_holidays(country: str, subdivision: str | None, years: range) -> tuple[dt.date, ...]:
    """The public holidays of ``country`` (and ``subdivision``) in ``years``, sorted."""
    version = holidays_version()
    path = cache_path(version, country, subdivision, years) if version else None
    if path is not None:
        cached = read_cache(path, version, country, subdivision, years)
        if cached is not None:
            return cached
    days = compute(country, subdivision, years)
    if path is not None:
        write_cache(path, version, country, subdivision, years, days)
    return days


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    """The country codes the installed ``holidays`` package knows, remembered like the days
    (one small file per package version), so a config that names a country is checked without
    importing the registry on every run."""
    version = holidays_version()
    path = countries_path(version) if version else None
    if path is not None:
        try:
            doc = json.loads(path.read_bytes())
            if (
                isinstance(doc, dict)
                and doc.get("sheetsync") == MARKER
                and doc.get("holidays") == version
                and isinstance(doc.get("countries"), list)
            ):
                return frozenset(str(c) for c in doc["countries"])
        except (OSError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.debug("holiday cache %s unreadable (%s): asking the package", path, exc)
    import holidays

    codes = frozenset(holidays.list_supported_countries())
    if path is not None:
        doc = {"sheetsync": MARKER, "holidays": version, "countries": sorted(codes)}
        _write(path, json.dumps(doc, indent=1).encode())
    return codes


def countries_path(version: str) -> Path:
    """Where the country codes of one ``holidays`` version are remembered."""
    return files_path(f"{_SAFE.sub('_', version)}-countries.json")


def files_path(name: str) -> Path:
    """``<state folder>/holidays/<name>``: where the remembered holidays live."""
    from sheetsync import files

    return files.state_dir() / "holidays" / name


def compute(country: str, subdivision: str | None, years: range) -> tuple[dt.date, ...]:
    """The days, from the ``holidays`` package itself (the slow path)."""
    import holidays

    return tuple(sorted(holidays.country_holidays(country, subdiv=subdivision, years=years)))


def holidays_version() -> str:
    """The installed ``holidays`` version, read without importing the package ('' if unknown):
    the ``Version:`` of its one ``holidays-*.dist-info`` beside it (``importlib.metadata`` would
    cost more than the cache saves)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return ""
    found = list(Path(spec.origin).parent.parent.glob("holidays-*.dist-info"))
    if len(found) != 1:
        return ""
    try:
        metadata = (found[0] / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    match = _VERSION.search(metadata)
    return match.group(1).strip() if match else ""


def cache_path(version: str, country: str, subdivision: str | None, years: range) -> Path:
    """``<state folder>/holidays/<version>-<country>-<subdivision>-<first>-<last>.json``."""
    parts = (version, country, subdivision or "all", str(years.start), str(years.stop - 1))
    name = "-".join(_SAFE.sub("_", p) for p in parts)
    return files_path(f"{name}.json")


def _document(
    version: str, country: str, subdivision: str | None, years: range
) -> dict[str, object]:
    return {
        "sheetsync": MARKER,
        "holidays": version,
        "country": country,
        "subdivision": subdivision,
        "years": [years.start, years.stop - 1],
    }


def read_cache(
    path: Path, version: str, country: str, subdivision: str | None, years: range
) -> tuple[dt.date, ...] | None:
    """The dates remembered for exactly this key, or None (no file, or not the same key)."""
    try:
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict) or not isinstance(doc.get("dates"), list):
            return None
        expected = _document(version, country, subdivision, years)
        if any(doc.get(key) != value for key, value in expected.items()):
            return None
        return tuple(dt.date.fromisoformat(d) for d in doc["dates"])
    except (OSError, ValueError, TypeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.debug("holiday cache %s unreadable (%s): computing the days again", path, exc)
        return None


def write_cache(
    path: Path,
    version: str,
    country: str,
    subdivision: str | None,
    years: range,
    days: tuple[dt.date, ...],
) -> None:
    """Remember the days; a folder that cannot be written only means no cache."""
    doc = {
        **_document(version, country, subdivision, years),
        "dates": [d.isoformat() for d in days],
    }
    _write(path, json.dumps(doc, indent=1).encode())


def _write(path: Path, data: bytes) -> None:
    """Remember through the one writer; a folder that cannot be written only means no cache."""
    from sheetsync import files

    try:
        files.write_output(path, data, files.Kind.HOLIDAY_CACHE)
    except (OSError, SheetsyncError) as exc:
        log.debug("holiday cache %s not written (%s)", path, exc)
