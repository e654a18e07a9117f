"""PostgreSQL for tests: one server per test run, a fresh database per test.

Where the server comes from, in order:
1. KIOSK_TEST_POSTGRES_URL (a URL of a role that may CREATE DATABASE, e.g.
   postgresql+psycopg://postgres@db.example:5432/postgres);
2. a PostgreSQL answering on 127.0.0.1:5432 as user postgres without a password (trust auth);
3. a throwaway cluster this module makes: initdb in a temporary folder, started with pg_ctl on a free
   loopback port, stopped and removed at the end (Debian's postgresql package, installed by
   scripts/system-deps.sh when no server answers).

When none of these can be had the tests that need it are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.sekmet import free_port

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENV_URL = "KIOSK_TEST_POSTGRES_URL"


@dataclass
class PostgresServer:
    """A server the tests may create databases on (`admin_url` names its maintenance database)."""

    admin_url: str
    source: str
    _cleanup: list[tuple[str, ...]] = field(default_factory=list)

    def url_of(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """CREATE DATABASE with a unique name; its URL; DROP DATABASE (closing what is left) after."""
        name = f"kiosk_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            yield self.url_of(name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def stop(self) -> None:
        for command in self._cleanup:
            subprocess.run(command, check=False, capture_output=True, timeout=60)


def answers(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH), newest version first."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0, reverse=True)
    return Path(versions[0]).parent if versions else None


def _as_owner(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def start_cluster(bin_dir: Path, max_connections: int = 100) -> PostgresServer:
    """initdb a throwaway cluster (trust auth for user postgres) and start it on a free loopback port."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    data, port = workdir / "data", free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "--encoding=UTF8", "--no-sync"]), check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={max_connections}"
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                              str(workdir / "server.log"), "-w", "start"]), check=True, capture_output=True,
                   timeout=120)
    server = PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                            f"throwaway cluster in {workdir}")
    server._cleanup.append(tuple(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])))
    server._cleanup.append(("rm", "-rf", str(workdir)))
    return server


def find_server() -> PostgresServer | str:
    """A server to test on, or the reason there is none."""
    configured = os.environ.get(ENV_URL)
    if configured:
        if not answers(configured):
            return f"{ENV_URL} is set but no PostgreSQL answers there"
        return PostgresServer(configured, ENV_URL)
    if answers(LOCAL_URL):
        return PostgresServer(LOCAL_URL, "127.0.0.1:5432")
    bin_dir = server_binaries()
    if bin_dir is None:
        return "no PostgreSQL answers on 127.0.0.1:5432 and initdb is not installed (make system-deps)"
    try:
        return start_cluster(bin_dir)
    except (OSError, subprocess.SubprocessError) as e:
        return f"a throwaway PostgreSQL cluster could not be started ({e})"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The run's PostgreSQL server; skipped when there is none, except under CI where that fails."""
    server = find_server()
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed under CI: {server}")
        pytest.skip(server)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of the test's own (dropped afterwards)."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The database two kiosk instances share (settings overrides): a SQLite file, or a fresh PostgreSQL
    database."""
    if request.param == "sqlite":
        return {"KIOSK_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    return {"KIOSK_DATABASE_URL": request.getfixturevalue("postgres_url")}
