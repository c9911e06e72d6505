"""The change feed (storage/changes.py): each change once, also when ids commit out of order."""

from __future__ import annotations

import datetime as dt

from storage import entries
from storage.changes import WINDOW, ChangeReader
from storage.entries import Source
from storage.models import AuditEntry
from storage.store import Store
from tests.bot_harness import close_harness, make_harness


async def test_a_reader_sees_each_new_change_once_and_not_what_it_loaded(store: Store) -> None:
    async with store.sessions() as session:
        await entries.log_meeting(
            session,
            body_id="roa",
            date=dt.date(2026, 3, 1),
            status="held",
            topics=["a"],
            source=Source(user_id=1, chat_id=1, message_id=1),
        )
        await session.commit()
    reader = ChangeReader()
    async with store.sessions() as session:
        await reader.start(session)
        assert await reader.new(session) == []  # the meeting was there when it started
        stored = await entries.log_meeting(
            session,
            body_id="roa",
            date=dt.date(2026, 3, 2),
            status="held",
            topics=["b"],
            source=Source(user_id=1, chat_id=1, message_id=2),
        )
        await entries.add_member(session, telegram_id=42, name="X", role="member", actor=1)
        await session.commit()
        changes = await reader.new(session)
        assert [(c.entity, c.entity_id, c.action) for c in changes] == [
            ("meeting", str(stored.id), "create"),
            ("member", "42", "create"),
        ]
        assert await reader.new(session) == []


async def test_a_change_that_commits_after_a_later_id_is_still_seen(store: Store) -> None:
    async with store.sessions() as session:
        for number in range(1, 11):
            session.add(AuditEntry(id=number * 10, action="create", entity="signal",
                                   entity_id=str(number)))  # fmt: skip
        await session.commit()
        reader = ChangeReader()
        await reader.start(session)
        # A transaction that took id 95 commits only now (PostgreSQL can do that).
        session.add(AuditEntry(id=95, action="update", entity="signal", entity_id="9"))
        await session.commit()
        late = await reader.new(session)
        assert [(c.seq, c.entity_id) for c in late] == [(95, "9")]
        assert await reader.new(session) == []
        # Far below the window it would be missed: the window is there to be wide enough.
        assert WINDOW >= 100


async def test_an_entry_logged_through_one_instance_is_found_by_another_at_once(
    database_url: str,
) -> None:
    first = await make_harness(database_url)
    second = await make_harness(database_url)
    second.regie.refresh_seconds = 0.0  # the messages below follow each other within ms
    try:
        before = (await second.regie.ask("ploegenwerk kinderopvang")).hits("signals")
        assert before == []
        await first.say("/signaal geen kinderopvang voor ploegenwerk in Menen")
        texts = await second.say("ploegenwerk kinderopvang")
        assert any("ploegenwerk" in text for text in texts)
        # and a member removed through the first is refused by the second at its next message
        await first.say("/lid 4321 Collega", user_id=777)
        assert "Sorry" not in (await second.say("ROA", user_id=4321))[0]
        await first.say("/lid weg 4321", user_id=777)
        assert "Sorry" in (await second.say("ROA", user_id=4321))[0]
    finally:
        await close_harness(first)
        await close_harness(second)
