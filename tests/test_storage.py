"""Storage on a real database (SQLite, and PostgreSQL when DATABASE_URL points at one)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, inspect, select

from storage.db import make_engine, upgrade
from storage.errors import ImportFileError
from storage.models import AuditEntry, Base, Body, Meeting, Member, Partner, Signal, Theme
from storage.seed import FINGERPRINT_KEY, IMPORTED, get_meta
from storage.store import Store
from storage.transfer import export_store, import_store
from tests.conftest import DATA_DIR, DatabaseFactory

pytestmark = pytest.mark.asyncio


async def _add_user_data(store: Store) -> None:
    async with store.sessions() as session:
        session.add(Member(telegram_id=1001, name="An", role="admin"))
        roa_partner = await session.get(Partner, "vdab")
        meeting = Meeting(
            body_id="roa",
            date=dt.date(2026, 3, 15),
            status="held",
            topics=["capacity building", "doelgroepanalyse"],
            notes="<b>notitie</b> & meer",
            logged_by=1001,
            source_chat_id=-100,
            source_message_id=7,
        )
        meeting.attendees = [roa_partner]
        session.add(meeting)
        signal = Signal(
            text="instroom doelgroepmedewerkers ligt lager",
            date=dt.date(2026, 3, 16),
            source_body_id="rose-actiegroep",
            addressee="minister",
            status="doorgegeven",
            logged_by=1001,
            source_chat_id=-100,
            source_message_id=8,
        )
        signal.themes = [await session.get(Theme, "sociale-economie")]
        session.add(signal)
        session.add(
            AuditEntry(
                actor=1001,
                action="create",
                entity="meeting",
                entity_id="1",
                before=None,
                after={"body": "roa"},
            )
        )
        await session.commit()


async def test_migrations_create_every_table_of_the_models_from_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # idempotent
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await conn.run_sync(_compare_models)
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert diff == [], f"models and migrations differ: {diff}"


def _compare_models(conn) -> list:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"compare_type": False})
    return list(compare_metadata(ctx, Base.metadata))


async def test_first_open_seeds_the_whole_knowledge_base(store: Store) -> None:
    async with store.sessions() as session:
        data = await export_store(session)
        assert await get_meta(session, FINGERPRINT_KEY)
    assert len(data["actions"]) >= 73
    roa = next(b for b in data["bodies"] if b["id"] == "roa")
    assert roa["role"] == "organiser"
    assert roa["cadence"] == [
        {"from": 2023, "per_year": 4, "source": "wse-2023", "text": roa["cadence"][0]["text"]}
    ]
    action = next(a for a in data["actions"] if a["id"] == "wse-2023/2.3.2")
    assert action["plan"] == "wse-2023"
    assert action["code"] == "2.3.2"
    assert "vervoersregio-kortrijk" in action["partners"]


async def test_seeding_again_with_unchanged_data_changes_nothing(store: Store) -> None:
    assert await store.seed_if_changed(DATA_DIR) is None
    report = await store.seed_if_changed(DATA_DIR, force=True)
    assert report is not None
    assert not report.changed, report.summary()


async def test_reseeding_after_a_yaml_change_updates_in_place_and_keeps_user_data(
    store: Store, kb_copy: Path
) -> None:
    await _add_user_data(store)
    bodies_file = kb_copy / "bodies.yaml"
    bodies = yaml.safe_load(bodies_file.read_text("utf-8"))
    roa = next(b for b in bodies if b["id"] == "roa")
    roa["name"] = "ROA (regionaal overleg activering), hernoemd"
    bodies_file.write_text(yaml.safe_dump(bodies, allow_unicode=True), "utf-8")

    report = await store.seed_if_changed(kb_copy)
    assert report is not None
    assert report.updated == {"bodies": 1}, report.summary()
    assert not report.added
    async with store.sessions() as session:
        assert (
            await session.get(Body, "roa")
        ).name == "ROA (regionaal overleg activering), hernoemd"
        assert await session.scalar(select(func.count()).select_from(Body)) == len(bodies)
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 1
        assert await session.scalar(select(func.count()).select_from(Signal)) == 1
        assert await session.scalar(select(func.count()).select_from(Member)) == 1


async def test_a_body_removed_from_data_but_used_by_meetings_is_retired_not_deleted(
    store: Store, kb_copy: Path
) -> None:
    await _add_user_data(store)
    bodies_file = kb_copy / "bodies.yaml"
    bodies = [b for b in yaml.safe_load(bodies_file.read_text("utf-8")) if b["id"] != "roa"]
    bodies_file.write_text(yaml.safe_dump(bodies, allow_unicode=True), "utf-8")
    for path in (kb_copy / "actions").glob("*.yaml"):  # actions may not point at a gone body
        actions = yaml.safe_load(path.read_text("utf-8"))
        for action in actions:
            action["bodies"] = [b for b in action.get("bodies") or [] if b != "roa"]
        path.write_text(yaml.safe_dump(actions, allow_unicode=True), "utf-8")

    report = await store.seed_if_changed(kb_copy)
    assert report is not None
    assert report.retired == {"bodies": 1}
    async with store.sessions() as session:
        roa = await session.get(Body, "roa")
        assert roa is not None
        assert roa.retired
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 1


async def test_export_then_import_into_an_empty_database_gives_the_same_json(
    store: Store, databases: DatabaseFactory
) -> None:
    await _add_user_data(store)
    async with store.sessions() as session:
        first = await export_store(session)
    json.dumps(first)  # JSON-serialisable as is

    other = await Store.open(await databases.new(), migrate=True, seed_kb=False)
    try:
        async with other.sessions() as session:
            counts = await import_store(session, json.loads(json.dumps(first)), origin="x.json")
            await session.commit()
        assert counts == {"members": 1, "meetings": 1, "signals": 1, "audit_log": 1}
        async with other.sessions() as session:
            second = await export_store(session)
            assert await get_meta(session, FINGERPRINT_KEY) == IMPORTED
        assert second == first
        # New rows after an import get fresh ids (sequences moved past the imported ones).
        async with other.sessions() as session:
            session.add(Meeting(body_id="roa", date=dt.date(2026, 4, 1), status="held"))
            await session.commit()
    finally:
        await other.close()


async def test_import_refuses_a_database_that_already_holds_user_data(store: Store) -> None:
    await _add_user_data(store)
    async with store.sessions() as session:
        data = await export_store(session)
    async with store.sessions() as session:
        with pytest.raises(ImportFileError, match="already holds"):
            await import_store(session, data, origin="x.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: [], "not a regiebot export"),
        (lambda d: {k: v for k, v in d.items() if k != "bodies"}, "missing bodies"),
        (lambda d: {**d, "meetings": [{**d["meetings"][0], "body": "nergens"}]}, "unknown body"),
        (lambda d: {**d, "meetings": [{**d["meetings"][0], "date": "31/02/2026"}]}, "date"),
        (lambda d: {**d, "actions": [*d["actions"][:1], {"id": "x"}]}, "is required"),
    ],
)
async def test_an_import_file_of_the_wrong_shape_is_refused_and_nothing_is_written(
    store: Store,
    databases: DatabaseFactory,
    mutate,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    await _add_user_data(store)
    async with store.sessions() as session:
        data = await export_store(session)
    other = await Store.open(await databases.new(), migrate=True, seed_kb=False)
    try:
        async with other.sessions() as session:
            with pytest.raises(ImportFileError, match=message):
                await import_store(session, mutate(data), origin="bad.json")
            await session.rollback()
        async with other.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Body)) == 0
            assert await session.scalar(select(func.count()).select_from(Meeting)) == 0
    finally:
        await other.close()


async def test_migration_stairway_upgrade_downgrade_upgrade(database_url: str) -> None:
    from alembic import command

    from storage.db import _alembic_config

    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "head"))
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(_alembic_config(c), "base"))
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not set(Base.metadata.tables) & tables
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_a_sqlite_connection_returned_inside_a_transaction_is_rolled_back(
    tmp_path: Path,
) -> None:
    # The pool's rollback-on-return is off for SQLite (sessions end their own transactions);
    # a transaction left open on the driver connection must still not survive the return,
    # or it would keep SQLite's write lock and its uncommitted row.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.execute("INSERT INTO t VALUES (1)")  # the driver opens a transaction
            assert driver.in_transaction
            await conn.close()
        async with engine.connect() as conn:
            count = (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar()
            await conn.exec_driver_sql("INSERT INTO t VALUES (2)")  # not locked out
            await conn.commit()
        assert count == 0
    finally:
        await engine.dispose()


async def test_a_direct_sqlite_write_never_holds_up_the_loop_behind_another_writer(
    tmp_path: Path,
) -> None:
    # Store.write runs SQLite units on the loop's thread. A writer that does not take the
    # write lock (or another process) can hold SQLite's lock: the unit must then wait the async
    # way, not sleep in SQLite's busy handler while that writer needs the loop to finish.
    import asyncio
    import time

    from sqlalchemy import text

    store = await Store.open(f"sqlite:///{tmp_path / 'x.sqlite3'}", kb_dir=None)
    insert = (
        "INSERT INTO inbox (update_id, payload, received_at, attempts) "
        "VALUES (:id, '{}', '2026-01-01 00:00:00', 0)"
    )
    try:
        assert store.sync_engine is not None
        async with store.sessions() as other:
            await other.execute(text(insert), {"id": 1})  # holds SQLite's write lock now
            task = asyncio.create_task(store.write(lambda s: s.execute(text(insert), {"id": 2})))
            started = time.monotonic()
            await asyncio.sleep(0.2)
            assert time.monotonic() - started < 2  # the loop kept turning
            assert not task.done()
            await other.commit()
        await asyncio.wait_for(task, 5)
        async with store.sessions() as session:
            count = await session.scalar(text("SELECT count(*) FROM inbox"))
        assert count == 2
    finally:
        await store.close()
