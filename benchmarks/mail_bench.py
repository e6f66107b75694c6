"""Mail evidence over IMAP: first and incremental scans vs fetching every header.

``python -m benchmarks.mail_bench [--messages 10000] [--contacts 500] [--repeats 3]``

A Dovecot on 127.0.0.1 (the test server of tests/dovecot.py) gets a generated Maildir of
``--messages`` messages (70 % INBOX, 30 % Sent; about a third to or from the tracker's
contacts, the rest newsletters and other people). sheetsync then scans for ``--contacts``
addresses, as a 500-contact tracker would:

* **first scan** — empty cache: SEARCH by address (OR-ed in batches) and FETCH of the matching
  messages' headers only;
* **incremental scan** — after 20 new messages arrive (10 from contacts): only UIDs above the
  remembered last UID are searched;
* **no-change scan** — nothing new;
* **fetch every header** — the usual alternative: ``FETCH 1:*`` of the same header fields for
  every message of each folder, matched on the client.

Each figure is the median of ``--repeats`` runs (a fresh cache for each first scan); round
trips are IMAP commands after login. Needs Dovecot and openssl (see tests/dovecot.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sheetsync.mail.config import MailConfig, parse_source
from sheetsync.mail.evidence import events_of
from sheetsync.mail.headers import parse
from sheetsync.mail.imap import FETCH_ITEM, FETCH_KEY, connect, scan
from tests.dovecot import PASSWORD, Dovecot, make_server
from tests.mailboxes import ME, Mail

ENV = "SHEETSYNC_BENCH_MAIL_PASSWORD"


def contacts(n: int) -> list[str]:
    """The tracker's addresses."""
    return [f"person{i}@org{i % 60}.example" for i in range(n)]


def mailbox(n: int, people: list[str], seed: int = 7) -> list[Mail]:
    """``n`` messages over 2025-2026: a third with contacts, the rest with others."""
    rng = random.Random(seed)
    others = [f"news{i}@list{i % 40}.example" for i in range(800)]
    mails = []
    for i in range(n):
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        who = rng.choice(people) if rng.random() < 0.33 else rng.choice(others)
        cc = [rng.choice(people)] if rng.random() < 0.05 else []
        if rng.random() < 0.3:
            mails.append(Mail(ME[i % 2], (who,), day, tuple(cc), folder="Sent", hour=i % 24))
        else:
            mails.append(Mail(who, (ME[0],), day, tuple(cc), hour=i % 24))
    return mails


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def timed_scan(config: MailConfig, people: list[str]) -> dict[str, float]:
    evidence, stats = scan(config, people)
    return {
        "seconds": stats.seconds,
        "round_trips": stats.round_trips,
        "fetched": stats.matched,
        "contacts_with_mail": len(evidence.events),
    }


def fetch_everything(config: MailConfig, people: list[str]) -> dict[str, float]:
    """The alternative: every header of every folder, matched here."""
    source = config.source
    assert source is not None
    wanted = frozenset(people)
    started = time.monotonic()
    trips, fetched, found = 1, 0, set()
    client = connect(config, source)
    try:
        names = [str(n) for _, _, n in client.list_folders()]
        for name in sorted(names):
            info = client.select_folder(name, readonly=True)
            trips += 1
            if not int(info.get(b"EXISTS", 0)):
                continue
            # imapclient 4 cannot pass "1:*" to fetch(); the UIDs of a fresh store are 1..N
            every = list(range(1, int(info[b"UIDNEXT"])))
            answer = client.fetch(every, [FETCH_ITEM])
            trips += 1
            for data in answer.values():
                fetched += 1
                header = parse(bytes(data.get(FETCH_KEY, b"")))
                if header is not None:
                    found |= {a for a, _ in events_of(header, frozenset(ME), wanted)}
    finally:
        client.logout()
    return {
        "seconds": time.monotonic() - started,
        "round_trips": trips,
        "fetched": fetched,
        "contacts_with_mail": len(found),
    }


def run(messages: int, n_contacts: int, repeats: int, batches: list[int]) -> dict[str, Any]:
    people = contacts(n_contacts)
    started = time.monotonic()
    server = make_server(mailbox(messages, people))
    generated = time.monotonic() - started
    server.start()
    os.environ[ENV] = PASSWORD
    results: dict[str, Any] = {"messages": messages, "contacts": n_contacts}
    try:
        base = MailConfig(
            source=parse_source(server.source()),
            me=ME,
            password_env=ENV,
            cafile=str(server.cafile),
        )
        warm = fetch_everything(replace(base, cache_dir=tempfile.mkdtemp()), people)
        results["generate_seconds"] = generated
        results["warm_up_seconds"] = warm["seconds"]  # Dovecot builds its indexes once
        results["fetch_every_header"] = median_of(
            [fetch_everything(base, people) for _ in range(repeats)]
        )
        for batch in batches:
            results[f"batch {batch}"] = _scans(server, base, people, batch, repeats)
        results["check"] = _checks(base, people, repeats)
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    return results


def _scans(
    server: Dovecot, base: MailConfig, people: list[str], batch: int, repeats: int
) -> dict[str, dict[str, float]]:
    first, incremental, unchanged = [], [], []
    for _ in range(repeats):
        config = replace(base, batch=batch, cache_dir=tempfile.mkdtemp())
        first.append(timed_scan(config, people))
        new = [Mail(people[i * 7 % len(people)], (ME[0],), "2026-03-02") for i in range(10)]
        new += [Mail(f"other{i}@x.example", (ME[0],), "2026-03-02") for i in range(10)]
        server.add(new)
        incremental.append(timed_scan(config, people))
        unchanged.append(timed_scan(config, people))
    return {
        "first scan": median_of(first),
        "incremental (20 new)": median_of(incremental),
        "no change": median_of(unchanged),
    }


def _checks(base: MailConfig, people: list[str], repeats: int) -> dict[str, float]:
    """``check`` of a 500-row tracker .xlsx: without mail, first with mail, then again."""
    from sheetsync import pipeline
    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.config import Settings
    from tests.conftest import save_rows

    folder = Path(tempfile.mkdtemp())
    rows: list[list[object]] = [["Name", "Email", "Date Contacted", "Response"]]
    rows += [[f"Person {i}", a, "2025-06-02", None] for i, a in enumerate(people)]
    tracker = save_rows(folder / "tracker.xlsx", rows)
    today = dt.date(2026, 3, 16)

    def check(mail: MailConfig | None) -> float:
        settings = Settings(sections={"mail": mail} if mail else {})
        started = time.monotonic()
        pipeline.check(XlsxBackend(str(tracker)), settings, today)
        return time.monotonic() - started

    check(None)  # warm up: imports, holiday tables
    runs = []
    for _ in range(repeats):
        config = replace(base, cache_dir=tempfile.mkdtemp())
        runs.append({"without mail": check(None), "first": check(config), "again": check(config)})
    shutil.rmtree(folder, ignore_errors=True)
    return median_of(runs)


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    rows = ["| scan | seconds | IMAP round trips | headers fetched | contacts with mail |",
            "|---|---:|---:|---:|---:|"]  # fmt: skip

    def line(label: str, r: dict[str, float]) -> None:
        rows.append(
            f"| {label} | {r['seconds']:.2f} | {int(r['round_trips'])} | {int(r['fetched']):,} "
            f"| {int(r['contacts_with_mail'])} |"
        )

    for key, value in results.items():
        if key.startswith("batch"):
            for label, r in value.items():
                line(f"sheetsync {label} ({key} addresses per SEARCH)", r)
    line("fetch every header of every folder", results["fetch_every_header"])
    checks = results["check"]
    rows += ["", f"`check` of a {results['contacts']}-row tracker: "
             f"{checks['without mail']:.2f} s without mail, {checks['first']:.2f} s with mail "
             f"(first scan), {checks['again']:.2f} s the next time (nothing new)"]  # fmt: skip
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", default="20,100")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    results = run(args.messages, args.contacts, args.repeats, batches)
    print(f"{results['messages']:,} messages, {results['contacts']} contacts "
          f"(mailbox generated in {results['generate_seconds']:.1f} s; Dovecot's first "
          f"indexing pass {results['warm_up_seconds']:.1f} s, not counted below)\n")  # fmt: skip
    print(table(results))


if __name__ == "__main__":
    main()
