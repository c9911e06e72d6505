"""Alembic environment: runs on the connection regiebot hands over, else on sqlalchemy.url from
the Alembic config, DATABASE_URL, or the default SQLite file (storage/settings.py; no bot/ here).
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from storage.db import make_engine
    from storage.settings import database_url_from_env

    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url_from_env())
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
