"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when DATABASE_URL says so).

Migrating a database and seeding it from data/ takes about a third of a second on SQLite and
more on PostgreSQL; paid in every test it was most of the suite's time. It is paid once per run
instead, in two template databases (migrated; migrated and seeded), and a test that would
migrate and seed its new database gets a copy of a template: a file copy on SQLite,
`CREATE DATABASE ... TEMPLATE` on PostgreSQL. A copy holds exactly what migrating and seeding
would have made, the knowledge base's fingerprint included, so opening it reseeds nothing.
`database_url` stays a new, empty database, for the tests of migrations and of first use.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import normalise_url
from storage.store import Store

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
# The database the whole run was pointed at; tests make their own databases beside it.
RUN_DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = RUN_DATABASE_URL.startswith(("postgres", "postgresql"))


def pytest_report_header() -> str:
    return f"regiebot storage backend: {'postgresql' if ON_POSTGRES else 'sqlite'}"


async def _pg_admin(*statements: str) -> None:
    admin = create_async_engine(normalise_url(RUN_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.dispose()


async def _pg_has_tables(url: str) -> bool:
    engine = create_async_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
    finally:
        await engine.dispose()
    return bool(found)


def _database_name(url: str) -> str:
    name = normalise_url(url).database
    assert name, url
    return name


def _settle_sqlite(path: Path) -> None:
    """Fold the WAL into the file, so that copying the file alone copies everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()  # the last connection to close removes the -wal and -shm files
    assert not Path(f"{path}-wal").exists(), f"{path} still has a write-ahead log"


def _copy_unless_present(template: Path, target: Path) -> bool:
    if target.exists():
        return False
    shutil.copyfile(template, target)  # a few milliseconds: the template is under a megabyte
    return True


@dataclass(frozen=True)
class Templates:
    """The run's template databases: one migrated, one migrated and seeded from data/."""

    migrated: str
    seeded: str


class DatabaseFactory:
    """Makes new databases for one test (empty, or copies of a template) and drops them."""

    # The databases made for tests and not dropped yet, by URL: make_harness gets only a URL.
    _made: ClassVar[dict[str, DatabaseFactory]] = {}

    def __init__(
        self, tmp_path: Path, templates: Templates | None = None, *, prefix: str = "regiebot_t_"
    ) -> None:
        self.tmp_path = tmp_path
        self.templates = templates
        self.prefix = prefix
        self.created: list[str] = []
        self.handed_out: list[str] = []

    async def new(self, *, template: str | None = None) -> str:
        """A URL of a new database: empty, or a copy of template."""
        name = f"{self.prefix}{uuid.uuid4().hex[:12]}"
        if not ON_POSTGRES:
            path = self.tmp_path / (name + ".sqlite3")
            url = f"sqlite+aiosqlite:///{path}"
            if template is not None:
                _copy_unless_present(Path(_database_name(template)), path)
        else:
            copying = f' TEMPLATE "{_database_name(template)}"' if template is not None else ""
            await _pg_admin(f'CREATE DATABASE "{name}"{copying}')
            self.created.append(name)
            url = (
                normalise_url(RUN_DATABASE_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        self.handed_out.append(url)
        DatabaseFactory._made[url] = self
        return url

    async def fill(self, url: str, template: str) -> bool:
        """Make url a copy of template if it is one of ours and still empty; says if it did.

        A database some code already opened (a SQLite file that exists, a PostgreSQL database
        with tables) is left alone: it holds what the test put there.
        """
        if url not in self.handed_out:
            return False
        if not ON_POSTGRES:
            return _copy_unless_present(Path(_database_name(template)), Path(_database_name(url)))
        if await _pg_has_tables(url):
            return False
        name = _database_name(url)
        await _pg_admin(
            f'DROP DATABASE "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{_database_name(template)}"',
        )
        return True

    async def seed(self, url: str) -> bool:
        """Make url, while still empty, what migrating and seeding from data/ would make."""
        return self.templates is not None and await self.fill(url, self.templates.seeded)

    async def migrate(self, url: str) -> bool:
        """Make url, while still empty, what migrating it would make."""
        return self.templates is not None and await self.fill(url, self.templates.migrated)

    @classmethod
    async def seed_if_new(cls, url: str) -> None:
        """Seed a test's database that no code opened yet, by copying the seeded template."""
        factory = cls._made.get(url)
        if factory is not None:
            await factory.seed(url)

    async def drop_all(self) -> None:
        for url in self.handed_out:
            DatabaseFactory._made.pop(url, None)
        for name in self.created:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def templates(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Templates]:
    """Migrated and seeded once per run; every engine on them is closed before a copy."""
    factory = DatabaseFactory(tmp_path_factory.mktemp("templates"), prefix="regiebot_tmpl_")
    try:
        migrated = await factory.new()
        await (await Store.open(migrated, migrate=True, seed_kb=False)).close()
        if not ON_POSTGRES:
            _settle_sqlite(Path(_database_name(migrated)))
        seeded = await factory.new(template=migrated)
        await (await Store.open(seeded, kb_dir=DATA_DIR, migrate=True)).close()
        if not ON_POSTGRES:
            _settle_sqlite(Path(_database_name(seeded)))
        yield Templates(migrated=migrated, seeded=seeded)
    finally:
        await factory.drop_all()


@pytest.fixture
async def databases(tmp_path: Path, templates: Templates) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path, templates)
    try:
        yield factory
    finally:
        await factory.drop_all()


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> str:
    """A URL of a new, empty database, dropped after the test."""
    return await databases.new()


@pytest.fixture
def database_url_if_asked(request: pytest.FixtureRequest) -> str | None:
    """The test's `database_url` if the test (or a fixture it uses) asks for one, else None."""
    # Sync: an async fixture cannot set up another async fixture by name (nested event loops).
    if "database_url" not in request.fixturenames:
        return None
    url: str = request.getfixturevalue("database_url")
    return url


@pytest.fixture
async def seeded_database_url(
    database_url_if_asked: str | None, databases: DatabaseFactory, templates: Templates
) -> str:
    """A URL of a new database, migrated and seeded from the real data/, dropped after the test.

    It is the test's `database_url` when the test has one, as tests open the store's database
    again by that URL; otherwise it is copied from the template directly, without first
    making an empty database (which costs as much as the copy on PostgreSQL).
    """
    if database_url_if_asked is None:
        return await databases.new(template=templates.seeded)
    await databases.seed(database_url_if_asked)
    return database_url_if_asked


@pytest.fixture
async def store(seeded_database_url: str) -> AsyncIterator[Store]:
    """A migrated store seeded from the real data/."""
    s = await Store.open(seeded_database_url, kb_dir=DATA_DIR, migrate=True)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of data/ that a test may break or change."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
async def cli_env(databases: DatabaseFactory, database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the `regiebot` command against the test's (migrated) database.

    PostgreSQL is migrated explicitly, as in production; SQLite migrates itself on first use.
    """
    if ON_POSTGRES and not await databases.migrate(database_url):
        await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGIEBOT_", "TELEGRAM_"))}
    env["DATABASE_URL"] = database_url
    env["REGIEBOT_CONFIG"] = str(tmp_path / "absent.toml")
    return env


@pytest.fixture
async def databases_sync_url(databases: DatabaseFactory, templates: Templates) -> str:
    """A second new, empty, migrated database URL (for import targets in CLI tests)."""
    return await databases.new(template=templates.migrated if ON_POSTGRES else None)
