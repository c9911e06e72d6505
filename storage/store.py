"""Open the store: engine, schema check or upgrade, and seeding from data/ when it changed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from storage.db import (
    is_busy,
    is_sqlite,
    make_engine,
    make_sessionmaker,
    make_sync_engine,
    normalise_url,
    schema_is_current,
    upgrade,
)
from storage.errors import StorageError
from storage.kb import fingerprint_dir, load_dir
from storage.seed import FINGERPRINT_KEY, IMPORTED, SeedReport, get_meta, seed

logger = logging.getLogger(__name__)
T = TypeVar("T")


def describe_url(raw_url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    try:
        return normalise_url(raw_url).render_as_string(hide_password=True)
    except StorageError:
        return "(invalid URL)"


def _unreachable(raw_url: str, exc: BaseException) -> StorageError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return StorageError(f"cannot use the database {describe_url(raw_url)}: {reason}")


@dataclass
class Store:
    """The one engine and session factory of a process."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    url: str
    # SQLite has one writer at a time; writers of this process queue here instead of in
    # SQLite's busy handler, which sleeps up to 100 ms between tries.
    write_lock: asyncio.Lock | None = field(default=None, repr=False)
    # A SQLite file also gets a plain engine for Store.write (None for PostgreSQL).
    sync_engine: Engine | None = field(default=None, repr=False)

    async def write(self, unit: Callable[[Session], T]) -> T:
        """Run a short unit of work that writes, commit it, and return what it returned.

        On a SQLite file the unit runs directly on the event loop's thread, under the write
        lock: it is a few statements on a local file (about a millisecond), cheaper than
        handing each statement to a driver thread and waiting for the loop to take the
        answer back while SQLite's one write slot stays taken. Elsewhere (PostgreSQL) it runs
        in an async session like any other unit of work. Keep units short and free of
        anything but the database.
        """
        if self.sync_engine is not None:
            if self.write_lock is None:
                self.write_lock = asyncio.Lock()
            async with self.write_lock:
                try:
                    with Session(self.sync_engine, expire_on_commit=False) as session:
                        result = unit(session)
                        session.commit()
                    return result
                except OperationalError as exc:
                    # Another connection writes (one that does not take the write lock, or
                    # another process): nothing of the unit was kept; wait for it the async
                    # way, which does not hold up the loop.
                    if not is_busy(exc):
                        raise
                    logger.debug("SQLite busy for a direct write; retrying it async")
        async with self.writing() as session:
            result = await session.run_sync(unit)
            await session.commit()
            return result

    async def read(self, unit: Callable[[Session], T]) -> T:
        """Run a short unit of work that only reads, and return what it returned.

        On a SQLite file it runs directly on the event loop's thread (a few indexed reads
        take well under a millisecond there, while every statement through the async driver
        is a round trip through a thread); if SQLite is busy it is retried the async way.
        Elsewhere it runs in an async session.
        """
        if self.sync_engine is not None:
            try:
                with Session(self.sync_engine) as session:
                    return unit(session)
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                logger.debug("SQLite busy for a direct read; retrying it async")
        async with self.sessions() as session:
            return await session.run_sync(unit)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for a unit of work that writes (on SQLite: one at a time). Not nested."""
        if not is_sqlite(normalise_url(self.url)):
            async with self.sessions() as session:
                yield session
            return
        if self.write_lock is None:
            self.write_lock = asyncio.Lock()
        async with self.write_lock, self.sessions() as session:
            yield session

    @classmethod
    async def open(
        cls,
        database_url: str,
        *,
        kb_dir: Path | None = None,
        migrate: bool | None = None,
        seed_kb: bool = True,
    ) -> Store:
        """Open, upgrade (SQLite by default) or check the schema, and seed from kb_dir."""
        engine = make_engine(database_url)
        store = cls(engine=engine, sessions=make_sessionmaker(engine), url=database_url)
        try:
            if migrate if migrate is not None else is_sqlite(normalise_url(database_url)):
                await upgrade(engine)
            elif not await schema_is_current(engine):
                raise StorageError(
                    f"the database {describe_url(database_url)} is not at the current schema: "
                    "run `regiebot db upgrade`"
                )
            if seed_kb and kb_dir is not None:
                await store.seed_if_changed(kb_dir)
            store.sync_engine = make_sync_engine(database_url)
        except (OperationalError, DBAPIError, OSError) as exc:
            await engine.dispose()
            raise _unreachable(database_url, exc) from None
        except BaseException:
            await engine.dispose()
            raise
        return store

    async def close(self) -> None:
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()

    async def seed_if_changed(self, kb_dir: Path, *, force: bool = False) -> SeedReport | None:
        """Seed from kb_dir when its files changed since the last seed (or when forced)."""
        fingerprint = fingerprint_dir(kb_dir)
        async with self.sessions() as session:
            stored = await get_meta(session, FINGERPRINT_KEY)
            if not force and (stored in (fingerprint, IMPORTED)):
                return None
            kb = load_dir(kb_dir)
            report = await seed(session, kb, fingerprint=fingerprint)
            await session.commit()
        logger.info("knowledge base seeded from %s: %s", kb_dir, report.summary())
        return report
