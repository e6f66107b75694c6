"""One writer for every file: adversarial tests of :mod:`sheetsync.files`, with figures.

Every command that writes a file is pointed at every tracker, config, state, link and
other people's file of a fixture folder; each run must leave every one of them byte for byte
as it was (and say why, exit 2). Then: a tracker behind a symlink, a hard link, another user's
file (owner, group, mode), backups of trackers whose names share a prefix or hold glob
characters, the original kept after many syncs, ``restore`` round trips, stale temp files, the
state file, and a second program saving the workbook by rename while 200 syncs run: none of
its saves may be lost.

The figures are printed (run with ``-s``) and asserted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sheetsync import calendar, files, pipeline, run_state, swap
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.errors import OutputRefused, SourceChangedError
from sheetsync.models import Plan

from .cli_runner import Result
from .workbooks import kitchen_sink

TODAY = "2026-03-16"
REPO = Path(__file__).resolve().parent.parent
MARK = "x-sheetsync-test/save.txt"  # an unknown part: sync copies it byte for byte


def fingerprint(folder: Path) -> dict[str, tuple[bytes, int, int, bool]]:
    """Every entry under ``folder``: bytes (or link target), mtime, inode, is-a-link."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path)] = (os.readlink(path).encode(), 0, 0, True)
        elif path.is_file():
            st_ = path.stat()
            out[str(path)] = (path.read_bytes(), st_.st_mtime_ns, st_.st_ino, False)
    return out


def with_mark(data: bytes, mark: str) -> bytes:
    """The workbook ``data`` with an extra part holding ``mark`` (tells versions apart)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            if item.filename != MARK:
                zout.writestr(item, zin.read(item))
        zout.writestr(MARK, mark)
    return out.getvalue()


def mark_of(data: bytes) -> str | None:
    """The mark of a version (None: unreadable, or no mark)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read(MARK).decode()
    except (zipfile.BadZipFile, KeyError):
        return None


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """``run`` in-process points the root logger at the captured stderr; put it back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# ---------------------------------------------------------------------- 1. nothing overwritten


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with two trackers, a config naming them, a state file, links and other files."""
    kitchen_sink(tmp_path / "t.xlsx")
    kitchen_sink(tmp_path / "u.xlsx")
    (tmp_path / "sheetsync.toml").write_text('source = "t.xlsx"\n[run]\nsources = ["u.xlsx"]\n')
    (tmp_path / "sheetsync.state.json").write_text('{"mine": "not a sheetsync state"}\n')
    (tmp_path / "link-to-t.xlsx").symlink_to("t.xlsx")
    os.link(tmp_path / "u.xlsx", tmp_path / "hard-u.xlsx")
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "other.ics").write_text("BEGIN:VCALENDAR\nPRODID:-//Other//EN\nEND:VCALENDAR\n")
    (tmp_path / "data.json").write_text('{"version": 1}\n')
    (tmp_path / "other.xlsx").write_bytes((tmp_path / "t.xlsx").read_bytes())  # not named
    (tmp_path / "folder").mkdir()
    # sheetsync's own outputs, each of one kind: no other kind may replace them
    own_state = json.dumps(run_state.RunState().to_json())
    (tmp_path / "own.state.json").write_text(own_state)
    (tmp_path / "own.ics").write_bytes(
        calendar.build_calendar(
            [], calendar.CalendarConfig(), stamp=dt.datetime.now(dt.UTC)
        ).to_ical()
    )
    (tmp_path / "own.md").write_text("# sheetsync digest for Monday 16 March 2026\n")
    book = xlsxwriter.Workbook(str(tmp_path / "own-export.xlsx"))
    book.set_custom_property(*files.EXPORT_PROPERTY)
    book.add_worksheet("Summary")
    book.close()
    return tmp_path


TARGETS = [
    "t.xlsx",
    "u.xlsx",
    "sheetsync.toml",
    "sheetsync.state.json",
    "link-to-t.xlsx",
    "hard-u.xlsx",
    "notes.txt",
    "other.ics",
    "data.json",
    "other.xlsx",
    "folder",
    "own.state.json",
    "own.ics",
    "own.md",
    "own-export.xlsx",
]
# Replacing its own output of the same kind is allowed (tested below), so not tried here.
SAME_KIND = {
    ("run --state-file", "own.state.json"),
    ("status --state-file", "own.state.json"),
    ("ics -o", "own.ics"),
    ("run [calendar] file", "own.ics"),
    ("run [digest] file", "own.md"),
    ("export -o", "own-export.xlsx"),
}


def commands(site: Path, target: str) -> dict[str, list[str]]:
    """Every way to make sheetsync write ``target``."""
    cal = site / "cal.toml"
    cal.write_text(f'source = "t.xlsx"\n[calendar]\nfile = "{target}"\n')
    dig = site / "dig.toml"
    dig.write_text(f'source = "t.xlsx"\n[digest]\nfile = "{target}"\n')
    day = ["--today", TODAY]
    return {
        "ics -o": ["ics", "t.xlsx", "-o", target, *day],
        "export -o": ["export", "t.xlsx", "-o", target, *day],
        "sync -o": ["sync", "t.xlsx", "-o", target, *day],
        "run [calendar] file": ["run", "--once", "-q", "--config", str(cal), *day],
        "run [digest] file": ["run", "--once", "-q", "--config", str(dig), *day],
        "run --state-file": ["run", "t.xlsx", "--once", "-q", "--state-file", target, *day],
        "status --state-file": ["status", "--state-file", target],
        "init": ["init", target],
    }


def test_no_output_command_overwrites_a_tracker_config_or_foreign_file(
    site: Path, cli: Callable[..., Result]
) -> None:
    attempts, overwritten, exit_2 = 0, 0, 0
    failures = []
    for target in TARGETS:
        for name, args in commands(site, target).items():
            if (name, target) in SAME_KIND:
                continue
            before = fingerprint(site)
            res = cli(*args)
            after = fingerprint(site)
            attempts += 1
            changed = [p for p, v in before.items() if after.get(p) != v]
            overwritten += bool(changed)
            exit_2 += res.code == 2
            if changed or res.code != 2:  # a wrong suffix too is a usage error (it was 3)
                failures.append((name, target, res.code, changed, res.text[:200]))
            for extra in set(after) - set(before):  # only our config files, or nothing
                assert Path(extra).name in {"cal.toml", "dig.toml"}, (name, target, extra)
    print(f"\nwriter: {attempts} output attempts at trackers/config/state/links/others' files/"
          f"own outputs of another kind:"
          f" {overwritten} overwritten, {exit_2} refused with exit 2")  # fmt: skip
    assert overwritten == 0 and not failures, failures  # every refusal exits 2


def test_each_output_replaces_its_own_earlier_output(
    site: Path, cli: Callable[..., Result]
) -> None:
    cfg = site / "out.toml"
    cfg.write_text(
        'source = "t.xlsx"\n[calendar]\nfile = "out/cal.ics"\n[digest]\nfile = "out/digest.md"\n'
        '[run]\nstate_file = "out/run.state.json"\n'
    )
    for _ in range(2):  # the second time each replaces its own output of the first
        assert cli("ics", "t.xlsx", "-o", "out/due.ics", "--today", TODAY).code == 0
        assert cli("export", "t.xlsx", "-o", "out/adv.xlsx", "--today", TODAY).code == 0
        assert cli("sync", "u.xlsx", "-o", "out/copy.xlsx", "--today", TODAY).code == 0
        res = cli("run", "--once", "-q", "--config", str(cfg), "--today", TODAY)
        assert res.code == 0, res.text
    names = sorted(p.name for p in (site / "out").iterdir())
    outputs = ["adv.xlsx", "cal.ics", "copy.xlsx", "digest.md", "due.ics", "run.state.json"]
    assert names == [*outputs, "run.state.json.lock"]  # the lock: one `run` per config
    # one kind never replaces another: a calendar over the export, an export over a calendar
    assert cli("ics", "t.xlsx", "-o", "out/adv.xlsx", "--today", TODAY).code == 2
    assert cli("sync", "t.xlsx", "-o", "out/adv.xlsx", "--today", TODAY).code == 2
    # a copy someone edited since sheetsync wrote it is theirs
    copy = site / "out" / "copy.xlsx"
    copy.write_bytes(with_mark(copy.read_bytes(), "edited"))
    edited = copy.read_bytes()
    res = cli("sync", "u.xlsx", "-o", "out/copy.xlsx", "--today", TODAY)
    assert res.code == 2 and "edited since" in res.text and copy.read_bytes() == edited


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300), kind=st.sampled_from(list(files.Kind)))
def test_never_replaces_a_file_that_is_not_its_own(
    tmp_path: Path, content: bytes, kind: files.Kind
) -> None:
    target = tmp_path / f"x-{kind.name}"
    target.write_bytes(content)
    try:
        files.write_output(target, b"new", kind)
    except OutputRefused:
        assert target.read_bytes() == content
    else:
        assert content == b"" or files.is_own(kind, content)
    target.unlink()


# ---------------------------------------------------------------------- 2. links and ownership


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return kitchen_sink(tmp_path / "tracker.xlsx")


def synced(path: Path, **kwargs: object) -> bool:
    backend = XlsxBackend(path, **kwargs)  # type: ignore[arg-type]
    result = pipeline.sync(backend, Settings(), dt.date.fromisoformat(TODAY))
    return result.written


def test_symlinked_tracker_is_updated_where_it_lives(tmp_path: Path) -> None:
    cloud = tmp_path / "Dropbox"
    cloud.mkdir()
    real = kitchen_sink(cloud / "tracker.xlsx")
    link = tmp_path / "tracker.xlsx"
    link.symlink_to(real)
    before = real.read_bytes()
    assert synced(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() != before and mark_of(real.read_bytes()) is None
    assert sorted(p.name for p in cloud.iterdir()) == ["tracker.xlsx"]  # no temp left


def test_hard_linked_tracker_is_refused_with_a_clear_message(
    tracker: Path, cli: Callable[..., Result]
) -> None:
    os.link(tracker, tracker.with_name("alias.xlsx"))
    before = fingerprint(tracker.parent)
    res = cli("sync", str(tracker), "--today", TODAY)
    assert res.code == 2 and "hard links" in res.text and "symlink" in res.text
    assert fingerprint(tracker.parent) == before


def test_owner_group_and_mode_are_kept(tracker: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(tracker, 1234, 2345)
    os.chmod(tracker, 0o640)
    assert synced(tracker)
    st_ = tracker.stat()
    assert (st_.st_uid, st_.st_gid, st_.st_mode & 0o777) == (1234, 2345, 0o640)
    backup = tracker.parent / ".sheetsync-backups" / "tracker.original.xlsx"
    assert (backup.stat().st_uid, backup.stat().st_mode & 0o777) == (0, 0o644 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_mode_is_kept_without_root(tracker: Path) -> None:
    os.chmod(tracker, 0o600)
    assert synced(tracker)
    assert tracker.stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------------- 3. backups


NAMES = ["t.xlsx", "t.v2.xlsx", "a[1].xlsx", "t.original.xlsx"]


def test_backups_by_exact_name_and_the_original_is_kept(tmp_path: Path) -> None:
    base = kitchen_sink(tmp_path / "base.xlsx").read_bytes()
    trackers = [tmp_path / n for n in NAMES]
    rounds, keep = 8, 2
    for k in range(rounds):
        for path in trackers:  # the student saves version k, then sheetsync syncs it
            path.write_bytes(with_mark(base, f"{path.name}#{k}"))
            assert synced(path, backups=keep)
    folder = tmp_path / ".sheetsync-backups"
    kept_wrong = 0
    for path in trackers:
        backups = files.list_backups(path, folder)
        marks = [mark_of(b.path.read_bytes()) for b in backups]
        expected = [f"{path.name}#0", *(f"{path.name}#{k}" for k in range(rounds - keep, rounds))]
        kept_wrong += marks != expected
        assert marks == expected, (path.name, marks)
        assert backups[0].original and backups[0].path.name.endswith(".original.xlsx")
    total = len(list(folder.iterdir()))
    print(f"\nwriter: {len(trackers)} trackers with shared prefixes/glob characters × {rounds} "
          f"syncs: {total} backups = (original + {keep}) each; other trackers' backups deleted: "
          f"{kept_wrong}")  # fmt: skip
    assert total == len(trackers) * (1 + keep)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.text(alphabet="ab.[]*?-_ 1", min_size=1, max_size=6).filter(
            lambda s: s.strip(". ") == s and s not in {".", ".."}
        ),
        min_size=2,
        max_size=3,
        unique=True,
    )
)
def test_pruning_one_trackers_backups_never_touches_anothers(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("b")
    paths = [folder / f"{n}.xlsx" for n in names]
    for round_ in range(4):
        for p in paths:
            files.backup(p, f"{p.name}:{round_}".encode(), keep=1)
    for p in paths:
        got = [b.path.read_bytes().decode() for b in files.list_backups(p)]
        assert got == [f"{p.name}:0", f"{p.name}:3"]


def test_restore_round_trip(tracker: Path, cli: Callable[..., Result]) -> None:
    original = tracker.read_bytes()
    assert synced(tracker)
    after_sync = tracker.read_bytes()
    listed = cli("restore", str(tracker), "--list")
    assert listed.code == 0 and "tracker.original.xlsx" in listed.out and "original" in listed.out
    res = cli("restore", str(tracker), "original")
    assert res.code == 0, res.text
    assert tracker.read_bytes() == original
    newest = files.list_backups(tracker)[-1]
    assert newest.path.read_bytes() == after_sync  # the synced version was backed up first
    assert cli("restore", str(tracker), newest.path.name).code == 0
    assert tracker.read_bytes() == after_sync
    assert cli("restore", str(tracker), "nope.xlsx").code == 2


def test_stale_temps_of_this_tracker_only_are_cleaned(tracker: Path) -> None:
    old = time.time() - 2 * 3600
    mine = tracker.with_name(".tracker.xlsx.abc12345.sheetsync-tmp")
    fresh = tracker.with_name(".tracker.xlsx.fresh123.sheetsync-tmp")
    other = tracker.with_name(".tracker.xlsx2.abc12345.sheetsync-tmp")
    for p in (mine, fresh, other):
        p.write_bytes(b"x")
    for p in (mine, other):
        os.utime(p, (old, old))
    assert synced(tracker)
    assert not mine.exists() and fresh.exists() and other.exists()


# ---------------------------------------------------------------------- 4. state


def test_state_paths(tmp_path: Path, tracker: Path, cli: Callable[..., Result]) -> None:
    (tmp_path / "afolder").mkdir()
    config = tmp_path / "folder.toml"
    config.write_text('[run]\nstate_file = "afolder"\n')
    res = cli("status", "--config", str(config))
    assert res.code == 2 and "is a folder" in res.text
    notes = tmp_path / "notes.json"
    notes.write_text("{broken")
    res = cli("status", "--state-file", str(notes))
    assert res.code == 2 and "not a state file sheetsync wrote" in res.text
    assert notes.read_text() == "{broken" and not list(tmp_path.glob("*.damaged"))
    # no config: the state lives per tracker in the user's state folder, not in the cwd
    before = set(tmp_path.iterdir())
    assert cli("run", str(tracker), "--once", "-q", "--today", TODAY).code == 0
    new = {p.name for p in set(tmp_path.iterdir()) - before}
    assert new <= {".sheetsync-backups"}, new
    states = list((Path(os.environ["XDG_STATE_HOME"]) / "sheetsync").glob("tracker-*.state.json"))
    assert len(states) == 1 and files.is_own(files.Kind.STATE, states[0].read_bytes())
    shown = cli("status", str(tracker))
    assert shown.code == 0 and str(tracker) in shown.out


# ---------------------------------------------------------------------- 5. no lost update


def hammer(path: str, stop: str, log: str, seed: int, pace: float = 0.05) -> None:
    """Another program (a sync client): save version k of the workbook by renaming a new file
    over it, again and again, until ``stop`` exists, pausing up to ``pace`` seconds between
    saves. Each save records what it replaced (the swap makes that observation exact; for
    sheetsync it is the same as a rename)."""
    target, rng = Path(path), random.Random(seed)
    base = Path(path + ".base").read_bytes()
    with open(log, "w") as out:
        k = 0
        while not os.path.exists(stop):
            k += 1
            tmp = target.with_name(f".hammer-{k}.tmp")
            tmp.write_bytes(with_mark(base, str(k)))
            if not swap.exchange(tmp, target):
                raise SystemExit("no atomic exchange here")
            out.write(f"{k} {mark_of(tmp.read_bytes())}\n")
            out.flush()
            tmp.unlink()
            time.sleep(rng.uniform(0, pace))


def run_race(tmp_path: Path, syncs: int) -> dict[str, int]:
    """``syncs`` read+apply cycles of the real .xlsx backend while :func:`hammer` saves.

    The plan is made once (every version the other program saves has the same cells); each
    cycle reads the file again and applies it — exactly what a sync does after its check. A
    cycle that reads a version it synced itself (a sync would write nothing) waits for the
    other program's next save, so every one of the ``syncs`` has something to write.

    The other program pauses between its saves up to twice the time one cycle takes here and
    now (at least 50 ms): on a loaded machine (the suite runs in parallel) a slow cycle would
    otherwise always be overtaken by a save, and no sync would ever finish its write."""
    target = kitchen_sink(tmp_path / "tracker.xlsx")
    Path(str(target) + ".base").write_bytes(target.read_bytes())
    today = dt.date.fromisoformat(TODAY)
    plan = pipeline.plan_for(pipeline.check(XlsxBackend(target), Settings(), today), Settings())
    assert plan.prep is not None
    pace = max(0.05, 2 * cycle_time(target, plan))
    stop, log = tmp_path / "stop", tmp_path / "saves.log"
    code = f"from tests.test_reliability_writer import hammer; hammer({str(target)!r}, " \
           f"{str(stop)!r}, {str(log)!r}, 7, {pace!r})"  # fmt: skip
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    figures = {"syncs": syncs, "written": 0, "caught_before_swap": 0, "caught_at_swap": 0}
    try:
        while not log.exists() or not log.read_text():
            time.sleep(0.01)
        for _ in range(syncs):
            backend = XlsxBackend(target, backups=1)
            while plan.prep.tab in {tab.name for tab in backend.read().tabs}:
                assert writer.poll() is None, "the other program stopped"
                time.sleep(0.005)  # already synced (a sync would write nothing): wait for a save
                backend = XlsxBackend(target, backups=1)
            try:
                figures["written"] += backend.apply(plan).written
            except SourceChangedError as exc:
                key = "caught_at_swap" if "while sheetsync was writing" in str(exc) else None
                figures[key or "caught_before_swap"] += 1
    finally:
        stop.touch()
        assert writer.wait(timeout=30) == 0
    lines = [line.split() for line in log.read_text().splitlines()]
    seen = {mark for _, mark in lines}
    seen.add(mark_of(target.read_bytes()) or "")
    conflicts = list(tmp_path.glob("tracker.sheetsync-conflict-*.xlsx"))
    seen |= {mark_of(p.read_bytes()) or "" for p in conflicts}
    saves = len(lines)
    lost = [str(k) for k in range(1, saves + 1) if str(k) not in seen]
    figures.update(saves=saves, lost=len(lost), conflict_copies=len(conflicts))
    return figures


def cycle_time(target: Path, plan: Plan) -> float:
    """Seconds one read+apply of ``plan`` takes (median of three, on copies of ``target``)."""
    took = []
    for k in range(3):
        copy = target.parent / f"timing-{k}" / target.name
        copy.parent.mkdir()
        shutil.copy2(target, copy)
        start = time.perf_counter()
        backend = XlsxBackend(copy, backups=1)
        backend.read()
        assert backend.apply(plan).written
        took.append(time.perf_counter() - start)
    return sorted(took)[1]


def save_as_another_program(path: Path, data: bytes) -> None:
    """What a sync client does: write a new file beside it, rename it over the old one."""
    tmp = path.with_name(".client.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_a_save_landing_just_before_the_swap_is_kept(
    tracker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = with_mark(tracker.read_bytes(), "theirs")
    real_exchange = swap.exchange
    calls = []

    def exchange_after_their_save(a: Path, b: Path) -> bool:
        if not calls:  # the other program saves in the instant before our swap
            save_as_another_program(tracker, theirs)
        calls.append(b)
        return real_exchange(a, b)

    monkeypatch.setattr(swap, "exchange", exchange_after_their_save)
    with pytest.raises(SourceChangedError, match="Their version was kept in place"):
        synced(tracker)
    assert tracker.read_bytes() == theirs and len(calls) == 2  # swapped, then swapped back
    assert not list(tracker.parent.glob(".*.sheetsync-tmp"))


def test_a_save_landing_while_the_swap_is_undone_becomes_a_conflict_copy(
    tracker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = with_mark(tracker.read_bytes(), "first")
    second = with_mark(tracker.read_bytes(), "second")
    real_exchange = swap.exchange
    calls = []

    def two_saves(a: Path, b: Path) -> bool:
        save_as_another_program(tracker, first if not calls else second)
        calls.append(b)
        return real_exchange(a, b)

    monkeypatch.setattr(swap, "exchange", two_saves)
    with pytest.raises(SourceChangedError, match=r"kept as tracker\.sheetsync-conflict-"):
        synced(tracker)
    (copy,) = tracker.parent.glob("tracker.sheetsync-conflict-*.xlsx")
    assert tracker.read_bytes() == first and copy.read_bytes() == second


def test_without_an_exchange_a_save_before_the_replace_is_kept(
    tracker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = with_mark(tracker.read_bytes(), "theirs")
    real_write_temp = swap._write_temp

    def save_meanwhile(
        real: Path, data: bytes, *, like: Path | None, private: bool = False
    ) -> Path:
        tmp = real_write_temp(real, data, like=like, private=private)
        if real == tracker:
            save_as_another_program(tracker, theirs)
        return tmp

    monkeypatch.setattr(swap, "USE_EXCHANGE", False)
    monkeypatch.setattr(swap, "_write_temp", save_meanwhile)
    with pytest.raises(SourceChangedError, match="changed since sheetsync read it"):
        synced(tracker)
    assert tracker.read_bytes() == theirs


def test_a_program_saving_during_200_syncs_loses_nothing(tmp_path: Path) -> None:
    if not swap.exchange_supported(tmp_path):
        pytest.skip("this file system has no atomic exchange (renameat2/renamex_np)")
    figures = run_race(tmp_path, 200)
    print(f"\nwriter: concurrent saver by rename during 200 syncs: {figures}")
    assert figures["lost"] == 0, figures
    assert figures["written"] >= 1, figures
    assert figures["caught_before_swap"] + figures["caught_at_swap"] >= 1, figures


if __name__ == "__main__":  # python -m tests.test_reliability_writer [--no-exchange]
    import tempfile

    swap.USE_EXCHANGE = "--no-exchange" not in sys.argv
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = folder
        print("exchange" if swap.USE_EXCHANGE else "no exchange", run_race(Path(folder), 200))
