"""Engine, sessions and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from storage.errors import StorageError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(raw: str) -> URL:
    """Accept the URLs people write (postgres://, sqlite:///x) and pick the async driver."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise StorageError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise StorageError(
        f"DATABASE_URL uses '{url.drivername}'; regiebot supports sqlite and postgresql"
    )


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def dialect_name(session: Session | AsyncSession) -> str:
    """'sqlite' or 'postgresql': the database behind a session (sync or async)."""
    return session.get_bind().dialect.name


def upsert_insert(dialect: str) -> Any:
    """The dialect's insert(), which knows ON CONFLICT (SQLite and PostgreSQL alike)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; FULL makes a commit survive power loss (with
    # NORMAL a committed entry can roll back); busy_timeout waits instead of failing at once.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _rollback_if_open(dbapi_conn: Any, _record: Any, state: Any) -> None:
    # Sessions and connections end their own transactions (commit, or rollback on close), so
    # the pool's rollback-on-return is skipped on SQLite, where it costs a round trip to the
    # driver's thread for every session. This catches a transaction that was left open anyway.
    driver = getattr(dbapi_conn, "driver_connection", dbapi_conn)  # aiosqlite, or sqlite3
    if state.asyncio_safe and driver.in_transaction:
        dbapi_conn.rollback()


def _sqlite_pragmas_no_wait(dbapi_conn: Any, record: Any) -> None:
    # This connection runs on the event loop's thread: it must never sleep in SQLite's busy
    # handler (the writer it waits for may need the loop to finish). Busy means: try the
    # unit again the async way (Store.write).
    _sqlite_pragmas(dbapi_conn, record)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    # Checkpoints (copying the WAL into the file) are left to the aiosqlite connections,
    # which commit on their own thread: nothing here blocks the loop longer than a commit.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def is_busy(exc: BaseException) -> bool:
    """Whether a database error is SQLite's 'database is locked' (another writer)."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def make_engine(raw_url: str) -> AsyncEngine:
    """Create the one engine of the process; makes the SQLite file's folder if needed."""
    url = normalise_url(raw_url)
    kwargs: dict[str, Any] = {}
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["pool_reset_on_return"] = None
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
    return engine


def make_sync_engine(raw_url: str) -> Engine | None:
    """For a SQLite file, a plain (pysqlite) engine for short write units; else None.

    Through aiosqlite every statement is a round trip to the driver's thread and back through
    the event loop: three or four per statement, each waiting behind whatever the loop runs,
    and all of them while the unit holds SQLite's only write slot. A unit that inserts an entry
    takes about a millisecond when run directly (see Store.write).
    """
    url = normalise_url(raw_url)
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return None
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        pool_reset_on_return=None,
        connect_args={"timeout": 0},  # no waiting, from the first statement on
    )
    event.listen(engine, "connect", _sqlite_pragmas_no_wait)
    event.listen(engine, "reset", _rollback_if_open)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


def _current_and_head_sync(connection: Connection) -> tuple[str | None, str | None]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return current, head


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync)


async def schema_is_current(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        current, head = await conn.run_sync(_current_and_head_sync)
    return current == head
