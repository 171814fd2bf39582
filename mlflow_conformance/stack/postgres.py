"""PostgreSQL from the machine's server binaries, as the backend store.

PostgreSQL refuses to run as root, so as root the data directory belongs to the `postgres`
user and the server runs as that user. Loopback only, password authentication (so the
backend URI carries a real secret, which the redaction tests rely on), durability off.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..scratch import write_private
from .process import ProcessRecord, StackError, spawn, stop, wait_ready

BINDIR_ENV = "MLFLOW_CONFORMANCE_PG_BINDIR"
SUPERUSER = "postgres"
DATABASE = "mlflow"


@dataclass(frozen=True)
class PostgresInfo:
    port: int
    password: str

    def uri(self, database: str = DATABASE) -> str:
        # psycopg2 explicitly: SQLAlchemy 2.1 defaults to psycopg 3, which is not installed.
        return f"postgresql+psycopg2://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"


def find_bindir() -> Path:
    candidates = [os.environ.get(BINDIR_ENV, "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
                         reverse=True)
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise StackError("PostgreSQL server binaries (initdb, postgres) not found in "
                     f"${BINDIR_ENV}, /usr/lib/postgresql/*/bin or PATH; install them "
                     "(apt-get install postgresql) or point the harness at a deployment "
                     "with --tracking-uri")


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise StackError("running as root needs a 'postgres' system user for PostgreSQL "
                         "(it refuses root); create one or run as an ordinary user") from None
    return SUPERUSER


def _give_to(path: Path, user: str | None) -> None:
    if user:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def start(workdir: Path, port: int) -> tuple[ProcessRecord, PostgresInfo]:
    bindir = find_bindir()
    user = _run_as()
    datadir = workdir / "pg-data"
    datadir.mkdir(mode=0o700)
    _give_to(datadir, user)
    password = secrets.token_urlsafe(18)
    pwfile = workdir / "pg-password"
    write_private(pwfile, password)
    _give_to(pwfile, user)
    try:
        result = subprocess.run(
            [str(bindir / "initdb"), "-D", str(datadir), "-U", SUPERUSER, "-A", "scram-sha-256",
             f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C"],
            capture_output=True, text=True, user=user, group=user, timeout=120, check=False)
    finally:
        pwfile.unlink()
    if result.returncode != 0:
        raise StackError(f"initdb failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    record = spawn("postgresql", [
        # TCP on loopback only: no Unix socket, whose path would be limited to 107 bytes.
        str(bindir / "postgres"), "-D", str(datadir), "-p", str(port),
        "-c", "unix_socket_directories=", "-c", "listen_addresses=127.0.0.1",
        "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=60",
    ], workdir / "logs" / "postgresql.log", user=user)
    info = PostgresInfo(port, password)
    wait_ready(record, lambda: _create_database(info), timeout=30, stopper=stop_server)
    return record, info


def _create_database(info: PostgresInfo) -> bool:
    import psycopg2  # deferred: only the stack needs a database driver

    try:
        conn = psycopg2.connect(host="127.0.0.1", port=info.port, user=SUPERUSER,
                                password=info.password, dbname="postgres", connect_timeout=1)
    except psycopg2.OperationalError:
        return False
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        conn.close()
    return True


def stop_server(record: ProcessRecord) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for clients to leave.
    stop(record, timeout=15, first_signal=signal.SIGINT)
