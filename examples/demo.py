"""`make demo`: sync a copy of the bundled example tracker and show what sheetsync found.

The example's dates are planted relative to Monday 2026-03-16, so the demo judges as of that
day. The copy goes to demo-out/ (the example itself is never touched).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-03-16"


def run(*args: str) -> None:
    print(f"\n$ sheetsync {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "sheetsync", *args], check=False)


def main() -> None:
    out = HERE.parent / "demo-out"
    out.mkdir(exist_ok=True)
    copy = out / "tracker.xlsx"
    shutil.copy(HERE / "tracker.xlsx", copy)
    rel = copy.relative_to(Path.cwd()) if copy.is_relative_to(Path.cwd()) else copy
    run("check", str(rel), "--today", TODAY)
    run("sync", str(rel), "--today", TODAY)
    run("sync", str(rel), "--today", TODAY)
    print(
        f"\nOpen {rel} in Excel or LibreOffice: the 'sheetsync · status', 'next step' and "
        "'due' columns at the right of the Networking Tracker tab say what to do for each "
        "person, and the 'sheetsync · prep' tab holds a checklist for each interview coming "
        "up or just done (tick column B, write notes from column D on: they are kept). "
        "Everything else is exactly as it was. The second sync changed nothing, so it did not "
        "rewrite the file. Try `sheetsync draft 12 demo-out/tracker.xlsx --today 2026-03-16` "
        "for a thank-you draft."
    )


if __name__ == "__main__":
    main()
