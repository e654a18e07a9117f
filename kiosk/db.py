"""The kiosk's own database (SQLAlchemy 2 + Alembic): print queue, supply counts, audit trail,
staff accounts, scheduler state. Clinical data is never stored here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from kiosk.private_files import private_dir, private_file, tighten

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    pass


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url[len("sqlite:///"):].split("?", 1)[0])
    return None


def make_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        # The database holds label bytes with names, MRNs and birth dates: owner-only, and so is its
        # folder. SQLite creates -wal and -shm with the database file's mode; older ones are tightened.
        private_dir(path.parent)
        private_file(path)
        for companion in ("-wal", "-shm", "-journal"):
            tighten(path.with_name(path.name + companion))
    # A SQLite file cannot drop a connection as a database server can: no ping before each session.
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), future=True)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # A REPLACE that deletes a row then fires its DELETE trigger too (the audit trail refuses it).
            cursor.execute("PRAGMA recursive_triggers=ON")
            cursor.close()

    return engine


class Database:
    """Engine and session factory for one process."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def alembic_config(self) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["engine"] = self.engine
        return cfg

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (safe to run at every start)."""
        command.upgrade(self.alembic_config(), "heads")

    def is_current(self) -> bool:
        """True when the database answers and carries the newest migration."""
        script = ScriptDirectory.from_config(self.alembic_config())
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
        return current == set(script.get_heads())

    def dispose(self) -> None:
        self.engine.dispose()
