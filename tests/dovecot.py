"""A real IMAP server for the mail tests: Dovecot on 127.0.0.1, started per test.

Each server has its own throwaway config (base_dir, state, logs and mail in one temporary
folder), a passwd-file userdb with a throwaway password, a self-signed certificate made with
``openssl`` for 127.0.0.1, an IMAPS listener and a plain IMAP one (the plain one is what
``imap://`` — accepted by sheetsync only on a loopback address — reaches, and what the
connection-cutting proxy relays, since a proxy cannot read a TLS stream).

When Dovecot or openssl is not installed (``apt-get install dovecot-imapd``), the tests that
need it are skipped and say why.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .mailboxes import Mail, write_maildir

USER = "me@uni.edu"
PASSWORD = "throwaway-Pa55-for-tests"
DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
DOVEADM = shutil.which("doveadm")
OPENSSL = shutil.which("openssl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """A running Dovecot: where it listens and how to reach its mail store."""

    root: Path
    imaps_port: int
    imap_port: int
    cafile: Path
    maildir: Path
    process: subprocess.Popen[bytes] | None = None
    mail_uid: int = 0
    seeded: int = 0

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def source(self, *, tls: bool = True, port: int | None = None) -> str:
        """The sheetsync source string for this server."""
        user = USER.replace("@", "%40")
        if tls:
            return f"imaps://{user}@127.0.0.1:{port or self.imaps_port}"
        return f"imap://{user}@127.0.0.1:{port or self.imap_port}"

    def add(self, mails: Sequence[Mail]) -> None:
        """Deliver more messages into the store (Dovecot gives them new UIDs)."""
        write_maildir(self.maildir, mails, start=self.seeded)
        self.seeded += len(mails)
        self._own()

    def doveadm(self, *args: str) -> str:
        assert DOVEADM is not None
        done = subprocess.run(
            [DOVEADM, "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout

    def set_uidvalidity(self, folder: str, value: int) -> None:
        """Renumber a folder, as a server restore or migration does."""
        self.doveadm("mailbox", "update", "-u", USER, "--uid-validity", str(value), folder)

    def start(self) -> None:
        """Start Dovecot and wait until it greets. Its ports were free when picked, but under
        parallel tests another process can take one before Dovecot binds it: then it starts
        again on two new ports (up to three times)."""
        for attempt in range(3):
            try:
                return self._start_once()
            except RuntimeError as exc:
                if "in use" not in str(exc) or attempt == 2:
                    raise
                self._move_to_new_ports()

    def _move_to_new_ports(self) -> None:
        text = self.config.read_text()
        imap_port, imaps_port = free_port(), free_port()
        for old, new in ((self.imap_port, imap_port), (self.imaps_port, imaps_port)):
            text = text.replace(f"port = {old}\n", f"port = {new}\n")
        text = text.replace(
            f"instance_name = sheetsync-test-{self.imap_port}\n",
            f"instance_name = sheetsync-test-{imap_port}\n",
        )
        self.config.write_text(text)
        self.imap_port, self.imaps_port = imap_port, imaps_port

    def _start_once(self) -> None:
        assert DOVECOT is not None
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "wb"),  # noqa: SIM115  (closed with the process)
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "stderr.log").read_text(errors="replace")
                log += _read(self.root / "dovecot.log")
                raise RuntimeError(f"dovecot exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _own(self) -> None:
        if os.geteuid() == 0:
            for path in [self.maildir.parent, *self.maildir.parent.rglob("*")]:
                os.lchown(path, self.mail_uid, self.mail_uid if self.mail_uid else 0)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _mail_user() -> tuple[str, int, int]:
    """Who owns the mail: ``nobody`` when the tests run as root (Dovecot refuses uid 0)."""
    entry = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return entry.pw_name, entry.pw_uid, entry.pw_gid


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = sheetsync-test-{imap_port}
{users}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home
}}
mail_location = maildir:{root}/home/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox "All Mail" {{
    special_use = \\All
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
"""


def make_server(mails: Sequence[Mail]) -> Dovecot:
    """Write a throwaway Dovecot config and mail store holding ``mails`` (not started yet).

    A folder named "All Mail" in ``mails`` is marked \\All, as Gmail marks its All Mail.
    """
    if DOVECOT is None or OPENSSL is None:
        pytest.skip(
            "Dovecot or openssl is not installed (apt-get install dovecot-imapd openssl): "
            "the IMAP tests need a real server on 127.0.0.1"
        )
    # Not under pytest's tmp_path: Dovecot's unprivileged processes must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="sheetsync-dovecot-"))
    root.chmod(0o755)
    name, uid, gid = _mail_user()
    users = ""
    if os.geteuid() != 0:
        users = f"default_internal_user = {name}\ndefault_login_user = {name}\n"
    imap_port, imaps_port = free_port(), free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (root / "key.pem").chmod(0o600)
    text = CONFIG.format(
        root=root, imap_port=imap_port, imaps_port=imaps_port, uid=uid, gid=gid, users=users
    )
    (root / "dovecot.conf").write_text(text)
    server = Dovecot(
        root, imaps_port, imap_port, root / "cert.pem", root / "home" / "Maildir", mail_uid=uid
    )
    (root / "home").mkdir()
    server.add(mails)
    return server


@pytest.fixture
def dovecot_factory() -> Iterator[list[Dovecot]]:
    """Servers made by a test are stopped and removed after it."""
    made: list[Dovecot] = []
    yield made
    for server in made:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


# --------------------------------------------------------------------- a cutting proxy


@dataclass
class CuttingProxy:
    """A loopback TCP relay that drops the connection when the client sends its Nth command
    containing ``word`` (a dropped connection in the middle of a search)."""

    upstream: int
    word: bytes
    nth: int
    port: int = field(default_factory=free_port)
    seen: int = 0
    cuts: int = 0

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, watch: bool) -> None:
        try:
            while data := src.recv(65536):
                if watch and self.word in data:
                    self.seen += data.count(self.word)
                    if self.seen >= self.nth:
                        self.cuts += 1
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
