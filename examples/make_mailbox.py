"""Build ``examples/mailbox.mbox``: a small mailbox to go with the example tracker.

Run it as a script (``python examples/make_mailbox.py [PATH]``). Every message is made up,
like the tracker; each carries a subject and a body only to show that sheetsync never reads
them. "You" write from two addresses: me@uni.example and me.personal@gmail.example.

    sheetsync check examples/tracker.xlsx --today 2026-03-16 --mail mbox:examples/mailbox.mbox
"""

from __future__ import annotations

import mailbox
import sys
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ME = "me@uni.example"
ME_PERSONAL = "me.personal@gmail.example"
PACIFIC = timezone(timedelta(hours=-7))

# (from, to, cc, when, subject)
MESSAGES = [
    (ME, "zoe.mueller@helixbright.example", "", "2026-03-02 09:10", "Hello from a lab alum"),
    ("zoe.mueller@helixbright.example", ME, "", "2026-03-03 16:40", "Re: Hello from a lab alum"),
    (ME, "e.petrova@srnl.example", "", "2026-03-10 08:30", "Your ASM Microbe talk"),
    ("e.petrova@srnl.example", ME, "", "2026-03-12 13:05", "Re: Your ASM Microbe talk"),
    (ME, "sofia.hernandez@northgate.example", "", "2026-03-03 11:00", "Field applications"),
    ("sofia.hernandez@northgate.example", ME, "", "2026-03-13 18:20", "Re: Field applications"),
    (ME_PERSONAL, "h.tanaka@quillfeather.example", "", "2026-03-11 19:45", "Thank you!"),
    ("bjorn.lindqvist@meridiansp.example", ME, "", "2026-02-20 10:00", "News from Meridian"),
    ("newsletter@conference.example", ME, "", "2026-03-14 07:00", "Registration open"),
]


def build(path: Path) -> Path:
    """Write the mailbox (replacing an earlier one) and return its path."""
    path.unlink(missing_ok=True)
    box = mailbox.mbox(path)
    for n, (sender, to, cc, when, subject) in enumerate(MESSAGES):
        msg = EmailMessage()
        msg["From"], msg["To"] = sender, to
        if cc:
            msg["Cc"] = cc
        msg["Date"] = format_datetime(datetime.fromisoformat(when).replace(tzinfo=PACIFIC))
        msg["Message-ID"] = f"<example-{n}@mail.example>"
        msg["Subject"] = subject
        msg.set_content("(the body is never read by sheetsync)\n")
        box.add(msg)
    box.flush()
    box.close()
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("mailbox.mbox")
    print(build(target))
