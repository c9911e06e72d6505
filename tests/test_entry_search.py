"""Logged meetings and signals are searched in the database: no process holds them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.config import Settings
from bot.services.core import Actor, Regie
from storage import entries, entry_index
from storage.models import EntryDoc
from storage.store import Store
from tests.conftest import DATA_DIR

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC)
ME = Actor(user_id=1, chat_id=1)


async def _regie(database_url: str) -> Regie:
    # PostgreSQL is migrated explicitly, as in production; SQLite migrates itself.
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    settings = Settings(database_url=database_url, kb_dir=DATA_DIR, telegram_base_url=None)
    return await Regie.open(settings, clock=lambda: NOW)


def _actor(message_id: int) -> Actor:
    return Actor(user_id=1, chat_id=1, message_id=message_id)


async def test_entries_are_found_through_the_database_and_not_held_in_memory(
    database_url: str,
) -> None:
    first = await _regie(database_url)
    try:
        await first.save_meeting(
            _actor(1), body_id="roa", date=dt.date(2026, 3, 2), topics=["ploegenwerk"]
        )
        await first.record_signal("geen kinderopvang voor ploegenwerk in Menen", _actor(2))
    finally:
        await first.close()
    second = await _regie(database_url)
    try:
        assert second.index.kinds["meetings"].records == []  # nothing loaded at start-up
        answer = await second.ask("ploegenwerk")
        assert len(answer.hits("meetings")) == 1
        assert len(answer.hits("signals")) == 1
        snippet, _ = answer.hits("signals")[0].detail()
        assert "ploegenwerk" in snippet
    finally:
        await second.close()


async def test_an_edit_and_an_undo_change_what_is_found_at_once(database_url: str) -> None:
    regie = await _regie(database_url)
    try:
        stored = await regie.save_meeting(
            _actor(1), body_id="roa", date=dt.date(2026, 3, 2), topics=["doelgroepanalyse"]
        )
        await regie.update_meeting(ME, stored.id, topics=["taalcoaching"])
        assert (await regie.ask("doelgroepanalyse")).hits("meetings") == []
        assert len((await regie.ask("taalcoaching")).hits("meetings")) == 1
        await regie.undo(ME, entity="meeting", entry_id=stored.id)
        assert (await regie.ask("taalcoaching")).hits("meetings") == []
    finally:
        await regie.close()


async def test_entries_logged_before_the_index_existed_are_indexed_once_at_start(
    database_url: str,
) -> None:
    regie = await _regie(database_url)
    try:
        for number in range(3):
            await regie.save_meeting(
                _actor(10 + number), body_id="roa", date=dt.date(2026, 3, 2), topics=["wijkwerk"]
            )
        await regie.store.write(entry_index.clear_now)  # as after the upgrade to revision 0006
    finally:
        await regie.close()
    again = await _regie(database_url)
    try:
        async with again.store.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(EntryDoc)) == 3
        assert len((await again.ask("wijkwerk")).hits("meetings")) == 3
        assert await again.catch_up_entry_index() == 0  # nothing left to do
    finally:
        await again.close()


async def test_hits_are_read_as_the_same_records_as_the_entry_pages(database_url: str) -> None:
    regie = await _regie(database_url)
    try:
        meeting = await regie.save_meeting(
            _actor(1),
            body_id="roa",
            date=dt.date(2026, 3, 2),
            topics=["a", "b"],
            attendees=["vdab", "stam"],
            start_time=dt.time(14, 30),
        )
        signal = await regie.record_signal("geen bus naar Menen, taal en kinderopvang", _actor(2))
        async with regie.store.sessions() as session:
            assert await entries.records_by_ids(session, "meetings", [meeting.id, 999]) == {
                meeting.id: await entries.get_meeting(session, meeting.id)
            }
            assert await entries.records_by_ids(session, "signals", [signal.id]) == {
                signal.id: await entries.get_signal(session, signal.id)
            }
    finally:
        await regie.close()
