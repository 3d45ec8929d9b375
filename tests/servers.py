"""Throwaway PostgreSQL, Redis and nginx servers for the tests that need real ones.

Each starts from Debian's binaries (`.ci/run` installs postgresql, redis-server and nginx) in a temporary
folder, on a free loopback port, and is stopped at the end; no system service is used. Without the binaries
a test is skipped with the reason, except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest


def missing(what: str) -> None:
    """Skip the test (fail it in CI) because `what` is not installed."""
    reason = f"{what} is not installed (apt-get install postgresql redis-server nginx)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout_s} s")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- PostgreSQL ---

def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _unprivileged() -> tuple[list[str], int, int]:
    """initdb and postgres refuse to run as root: the command prefix that drops to another user, and its ids."""
    if os.geteuid() != 0:
        return [], os.getuid(), os.getgid()
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"], user.pw_uid, user.pw_gid
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


class Server:
    """A server process of the tests' own, in a temporary folder, on a free loopback port."""

    def __init__(self, program: Path | str, name: str) -> None:
        self.program = program
        self.folder = Path(tempfile.mkdtemp(prefix=f"frontdesk-{name}-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None


def at_once(count: int, work) -> tuple[list, list]:
    """Run `work()` in `count` threads released together; returns (results, errors)."""
    import threading

    start, results, errors = threading.Barrier(count), [], []

    def run() -> None:
        start.wait()
        try:
            results.append(work())
        except Exception as error:  # noqa: BLE001 - the caller reports whatever went wrong
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


class Postgres(Server):
    """A PostgreSQL server of its own: `url(database)` for a database in it; `new_database()` makes one."""

    def __init__(self, bindir: Path) -> None:
        super().__init__(bindir, "pg")
        self.bindir = bindir

    def start(self) -> "Postgres":
        prefix, uid, gid = _unprivileged()
        os.chown(self.folder, uid, gid)
        data = self.folder / "data"
        subprocess.run([*prefix, str(self.bindir / "initdb"), "-D", str(data), "-U", "frontdesk", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server on its data folder and port (again, after `pause`)."""
        prefix, _, _ = _unprivileged()
        self.process = subprocess.Popen(
            [*prefix, str(self.bindir / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
             "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "postgres.log", "ab"))
        wait_for_port(self.port, self.process, "postgres")
        self._wait_ready()

    def pause(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected), keeping its data for `resume`. Through
        pg_ctl: runuser does not pass signals on to postgres."""
        if self.process is not None:
            prefix, _, _ = _unprivileged()
            subprocess.run([*prefix, str(self.bindir / "pg_ctl"), "stop", "-D", str(self.folder / "data"), "-m", "fast",
                            "-w", "-t", "30"], capture_output=True)
            stop(self.process)
            self.process = None

    def _wait_ready(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(self.url("postgres")).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgresql://frontdesk@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg2

        name = f"t_{uuid.uuid4().hex[:12]}"
        connection = psycopg2.connect(self.url("postgres"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        connection.close()
        return self.url(name)

    def remove(self) -> None:
        self.pause()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running(kind, program: Path | str | None, what: str) -> Iterator:
    """A started `kind(program)`, removed at the end; skips (fails in CI) when `program` is None."""
    if program is None:
        missing(what)
    server = kind(program)
    try:
        yield server.start()
    finally:
        server.remove()


def postgres_server():
    return running(Postgres, postgres_bindir(), "PostgreSQL (initdb, postgres)")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: Postgres) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return postgres.new_database()


# --- Redis ---

class Redis(Server):
    def __init__(self, binary: str) -> None:
        super().__init__(binary, "redis")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=open(self.folder / "redis.log", "wb"), stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, "redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def redis_server():
    return running(Redis, shutil.which("redis-server"), "Redis (redis-server)")


@pytest.fixture
def redis() -> Iterator[Redis]:
    with redis_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, then a database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


# --- nginx ---

PROXY_CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "proxy.conf"


class Nginx(Server):
    """nginx balancing over `upstreams` (loopback ports) with deploy/nginx/proxy.conf, as in deploy/README.md;
    its access log records each request's status and the instances tried (`statuses()`)."""

    def __init__(self, binary: str, upstreams: list[int] = ()) -> None:
        super().__init__(binary, "nginx")
        self.binary = binary
        self.upstreams = list(upstreams)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=3s;\n" for port in self.upstreams)
        temp = "".join(f"{kind}_temp_path {self.folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        return (f"{user}daemon off;\nworker_processes 1;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log;\n"
                "events { worker_connections 1024; }\nhttp {\n"
                "log_format tried '$status $request_method $uri $upstream_addr $upstream_status';\n"
                f"access_log {self.folder}/access.log tried;\n{temp}"
                f"upstream frontdesk {{\n{servers}}}\n"
                f"server {{\n  listen 127.0.0.1:{self.port};\n{self.locations()}}}\n}}\n")

    @staticmethod
    def locations() -> str:
        """deploy/nginx/frontdesk.conf's `location` blocks, with the proxy settings' path in this checkout."""
        site = (PROXY_CONF.parent / "frontdesk.conf").read_text()
        blocks = [block for block in site.split("\n    location ")[1:] if "proxy_next_upstream" in block]
        return "".join("  location " + block.split("\n    }")[0].replace("/etc/nginx/frontdesk-proxy.conf", str(PROXY_CONF))
                       + "\n  }\n" for block in blocks)

    def start(self) -> "Nginx":
        (self.folder / "nginx.conf").write_text(self.config())
        self.process = subprocess.Popen([self.binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                                         "-e", str(self.folder / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=open(self.folder / "stderr.log", "wb"))
        wait_for_port(self.port, self.process, "nginx")
        return self

    def statuses(self) -> list[str]:
        """One line per request: status, method, path, the instances tried, their answers."""
        return (self.folder / "access.log").read_text().splitlines()

    def remove(self) -> None:
        if self.process is not None:
            stop(self.process, signal.SIGQUIT)
        shutil.rmtree(self.folder, ignore_errors=True)


def nginx_server(upstreams: list[int]):
    return running(lambda binary: Nginx(binary, upstreams), shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None), "nginx")
