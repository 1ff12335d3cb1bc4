"""A PostgreSQL cluster of the test's own, which the test may stop, crash and freeze.

``initdb``, ``pg_ctl`` and ``postgres`` come from ``/usr/lib/postgresql/*/bin``.
The cluster listens on a free loopback port, its data and socket folders are
temporary. PostgreSQL refuses to run as root: as root, the cluster runs as the
``postgres`` system user (``runuser``). Without the binaries, or a user to run
them as, the test is skipped with the reason.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.network import free_port

BINARIES = "/usr/lib/postgresql/*/bin"
SERVICE_USER = "postgres"
"""The system user the cluster runs as when the tests run as root."""

START_SECONDS = 60


def _binaries() -> Path:
    found = Path("/").glob(BINARIES.lstrip("/"))
    usable = sorted(
        (folder for folder in found if (folder / "initdb").exists()),
        key=lambda folder: [int(part) for part in re.findall(r"\d+", folder.parent.name)],
    )
    if not usable:
        pytest.skip(f"no PostgreSQL server binaries in {BINARIES}")
    return usable[-1]


class PrivatePostgres:
    """One private cluster; :meth:`start` again after :meth:`crash` restarts it on its data."""

    def __init__(self, root: Path):
        self.bin = _binaries()
        self.port = free_port()
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self._user = SERVICE_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """The superuser's URL (trust authentication on loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        binary = str(self.bin / command[0])
        done = subprocess.run(
            [*prefix, binary, *command[1:]],
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def initialise(self) -> None:
        """Create the cluster; skip the test when this user cannot."""
        self.sockets.mkdir(parents=True)
        if self._user:
            try:
                account = pwd.getpwnam(self._user)
            except KeyError:
                pytest.skip(f"PostgreSQL refuses to run as root and there is no {self._user} user")
            if shutil.which("runuser") is None:
                pytest.skip("PostgreSQL refuses to run as root and runuser is missing")
            for folder in (self.root, self.sockets):
                os.chown(folder, account.pw_uid, account.pw_gid)
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            )
        except RuntimeError as err:
            pytest.skip(f"cannot create a private PostgreSQL cluster as this user: {err}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data),
            "--wait",
            "-o",
            options,
            "-l",
            str(self.log),
        )

    def crash(self) -> None:
        """``pg_ctl stop -m immediate``: every process ends at once, no checkpoint."""
        self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate", "--wait")

    def stop(self) -> None:
        """A fast shutdown, ignoring a server that is not running."""
        self.thaw()
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "fast", "--wait")

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections open, nothing answers."""
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT what :meth:`freeze` stopped."""
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, sig: signal.Signals) -> None:
        for pid in self._pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue

    def _pids(self) -> list[int]:
        """The postmaster and its children (the backends and helpers)."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster, stopped and deleted when the block ends."""
    root = Path(tempfile.mkdtemp(prefix="journeys-pg-"))
    # The service user must reach its folders: the temporary root is private otherwise.
    root.chmod(0o755)
    cluster = PrivatePostgres(root)
    try:
        cluster.initialise()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
