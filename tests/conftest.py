"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when DATABASE_URL says so)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
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


async def _pg_admin(statement: str) -> None:
    admin = create_async_engine(normalise_url(RUN_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


class DatabaseFactory:
    """Makes new, empty databases for one test and drops them afterwards."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.created: list[str] = []

    async def new(self) -> str:
        name = f"regiebot_t_{uuid.uuid4().hex[:12]}"
        if not ON_POSTGRES:
            return f"sqlite+aiosqlite:///{self.tmp_path / (name + '.sqlite3')}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return (
            normalise_url(RUN_DATABASE_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    async def drop_all(self) -> None:
        for name in self.created:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path)
    try:
        yield factory
    finally:
        await factory.drop_all()


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> str:
    """A URL of a new, empty database, dropped after the test."""
    return await databases.new()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated store seeded from the real data/."""
    s = await Store.open(database_url, kb_dir=DATA_DIR, migrate=True)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Iterator[Path]:
    """A private copy of data/ that a test may break or change."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
async def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the `regiebot` command against the test's (migrated) database.

    PostgreSQL is migrated explicitly, as in production; SQLite migrates itself on first use.
    """
    if ON_POSTGRES:
        await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGIEBOT_", "TELEGRAM_"))}
    env["DATABASE_URL"] = database_url
    env["REGIEBOT_CONFIG"] = str(tmp_path / "absent.toml")
    return env


@pytest.fixture
async def databases_sync_url(databases: DatabaseFactory) -> str:
    """A second new, empty, migrated database URL (for import targets in CLI tests)."""
    url = await databases.new()
    if ON_POSTGRES:
        await (await Store.open(url, migrate=True, seed_kb=False)).close()
    return url
