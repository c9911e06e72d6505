"""Meetings, signals and members as users add them: stored once, audited, undoable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from storage.entries import (
    EntryError,
    Source,
    add_member,
    delete_meeting,
    get_meeting,
    get_signal,
    last_entry,
    log_meeting,
    member_role,
    record_signal,
    remove_member,
    update_meeting,
    update_signal,
)
from storage.models import AuditEntry, Body, Meeting, Signal
from storage.store import Store

pytestmark = pytest.mark.asyncio
D = dt.date(2026, 3, 15)


async def _count(store: Store, model: type) -> int:
    async with store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_logged_meeting_is_stored_with_its_audit_row(store: Store) -> None:
    async with store.sessions() as session:
        stored = await log_meeting(
            session,
            body_id="roa",
            date=D,
            status="held",
            topics=["capacity building", " doelgroepanalyse ", "Capacity building"],
            attendees=["vdab"],
            source=Source(user_id=5, chat_id=-1, message_id=10),
        )
        await session.commit()
    assert stored.created
    assert stored.record["topics"] == ["capacity building", "doelgroepanalyse"]
    assert stored.record["attendees"] == ["vdab"]
    assert stored.record["date"] == "2026-03-15"
    async with store.sessions() as session:
        audit = (await session.scalars(select(AuditEntry))).all()
    assert [(a.action, a.entity, a.entity_id, a.actor) for a in audit] == [
        ("create", "meeting", str(stored.id), 5)
    ]


async def test_the_same_message_delivered_twice_stores_one_meeting(store: Store) -> None:
    source = Source(user_id=5, chat_id=-1, message_id=11)
    for _ in range(2):
        async with store.sessions() as session:
            stored = await log_meeting(
                session, body_id="roa", date=D, status="held", topics=[], source=source
            )
            await session.commit()
    assert not stored.created
    assert await _count(store, Meeting) == 1


async def test_an_unknown_attendee_stores_nothing(store: Store) -> None:
    async with store.sessions() as session:
        with pytest.raises(EntryError, match="Onbekende partner"):
            await log_meeting(
                session,
                body_id="roa",
                date=D,
                status="held",
                topics=[],
                attendees=["nergens"],
                source=Source(user_id=5),
            )
        await session.rollback()
    assert await _count(store, Meeting) == 0
    assert await _count(store, AuditEntry) == 0


async def test_editing_and_undoing_a_meeting_are_audited_with_before_and_after(
    store: Store,
) -> None:
    async with store.sessions() as session:
        stored = await log_meeting(
            session,
            body_id="roa",
            date=D,
            status="planned",
            topics=["a"],
            source=Source(user_id=5),
        )
        await session.commit()
    async with store.sessions() as session:
        edited = await update_meeting(
            session, stored.id, actor=5, status="held", notes="goed verlopen"
        )
        await session.commit()
    assert edited.record["status"] == "held"
    assert edited.record["notes"] == "goed verlopen"
    async with store.sessions() as session:
        await delete_meeting(session, stored.id, actor=5)
        await session.commit()
    assert await _count(store, Meeting) == 0
    async with store.sessions() as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [a.action for a in audit] == ["create", "update", "delete"]
    assert audit[1].before["status"] == "planned"
    assert audit[1].after["status"] == "held"
    assert audit[2].after is None


async def test_a_signal_keeps_its_themes_and_moves_through_its_statuses(store: Store) -> None:
    async with store.sessions() as session:
        stored = await record_signal(
            session,
            text="instroom doelgroepmedewerkers ligt lager",
            date=D,
            themes=["sociale-economie"],
            source=Source(user_id=7, chat_id=-1, message_id=12),
        )
        await session.commit()
    assert stored.record["status"] == "nieuw"
    async with store.sessions() as session:
        updated = await update_signal(
            session, stored.id, actor=7, status="doorgegeven", addressee="minister"
        )
        await session.commit()
    assert updated.record["status"] == "doorgegeven"
    assert updated.record["themes"] == ["sociale-economie"]
    async with store.sessions() as session:
        with pytest.raises(EntryError, match="status"):
            await update_signal(session, stored.id, actor=7, status="vergeten")


async def test_an_empty_signal_is_refused(store: Store) -> None:
    async with store.sessions() as session:
        with pytest.raises(EntryError, match="tekst"):
            await record_signal(session, text="   ", date=D, themes=[], source=Source(1))
    assert await _count(store, Signal) == 0


async def test_last_entry_is_the_users_newest_meeting_or_signal(store: Store) -> None:
    async with store.sessions() as session:
        await log_meeting(
            session, body_id="roa", date=D, status="held", topics=[], source=Source(user_id=1)
        )
        await session.commit()
    async with store.sessions() as session:
        sig = await record_signal(session, text="x", date=D, themes=[], source=Source(1))
        await session.commit()
    async with store.sessions() as session:
        assert await last_entry(session, user_id=1) == ("signal", sig.id)
        assert await last_entry(session, user_id=2) is None


async def test_members_are_added_updated_and_removed(store: Store) -> None:
    async with store.sessions() as session:
        assert await add_member(session, telegram_id=42, name="An", role="member", actor=1)
        assert not await add_member(session, telegram_id=42, name="An", role="admin", actor=1)
        await session.commit()
    async with store.sessions() as session:
        assert await member_role(session, 42) == "admin"
        assert await remove_member(session, telegram_id=42, actor=1)
        assert not await remove_member(session, telegram_id=42, actor=1)
        await session.commit()
        assert await member_role(session, 42) is None


async def test_what_logging_returns_is_what_is_read_back_later(store: Store) -> None:
    # The record is built from the inserted values, not reloaded: it must not drift.
    async with store.sessions() as session:
        meeting = await log_meeting(
            session,
            body_id="roa",
            date=D,
            status="held",
            topics=["capacity building"],
            notes=" notities ",
            attendees=["vdab", "stam", "vdab"],
            source=Source(user_id=5, chat_id=-1, message_id=20),
        )
        signal = await record_signal(
            session,
            text="  te weinig kinderopvang\nvoor werkzoekenden ",
            date=D,
            themes=["taal", "sociale-economie"],
            source=Source(user_id=5, chat_id=-1, message_id=21),
        )
        await session.commit()
    async with store.sessions() as session:
        assert await get_meeting(session, meeting.id) == meeting.record
        assert await get_signal(session, signal.id) == signal.record
    assert meeting.record["attendees"] == ["stam", "vdab"]
    assert signal.record["themes"] == ["sociale-economie", "taal"]


@pytest.mark.parametrize("body_id", ["bestaat-niet", "retired"])
async def test_a_meeting_of_an_unknown_or_retired_body_stores_nothing(
    store: Store, body_id: str
) -> None:
    if body_id == "retired":
        async with store.sessions() as session:
            body = await session.get(Body, "roa")
            assert body is not None
            body.retired = True
            await session.commit()
        body_id = "roa"
    async with store.sessions() as session:
        with pytest.raises(EntryError, match="bestaat niet"):
            await log_meeting(
                session,
                body_id=body_id,
                date=D,
                status="held",
                topics=["x"],
                source=Source(user_id=5, chat_id=-1, message_id=30),
                body_name="ROA",
            )
        await session.rollback()
    assert await _count(store, Meeting) == 0
    assert await _count(store, AuditEntry) == 0


async def test_an_unknown_theme_stores_no_signal(store: Store) -> None:
    async with store.sessions() as session:
        with pytest.raises(EntryError, match="Onbekend thema: nergens"):
            await record_signal(
                session,
                text="iets",
                date=D,
                themes=["taal", "nergens"],
                source=Source(user_id=5, chat_id=-1, message_id=31),
            )
        await session.rollback()
    assert await _count(store, Signal) == 0
    assert await _count(store, AuditEntry) == 0


async def test_the_same_message_delivered_twice_stores_one_signal(store: Store) -> None:
    source = Source(user_id=5, chat_id=-1, message_id=32)
    results = []
    for _ in range(2):
        async with store.sessions() as session:
            results.append(
                await record_signal(session, text="iets", date=D, themes=["taal"], source=source)
            )
            await session.commit()
    assert [r.created for r in results] == [True, False]
    assert results[0].record == results[1].record
    assert await _count(store, Signal) == 1
    assert await _count(store, AuditEntry) == 1
