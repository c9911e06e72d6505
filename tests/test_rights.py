"""Data rights: what is stored about a member, erasing a member, the history of an entry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storage import inbox
from storage.entries import (
    Source,
    add_member,
    delete_meeting,
    log_meeting,
    record_signal,
    update_meeting,
)
from storage.models import AuditEntry, InboxUpdate, Meeting, Member, Signal
from storage.rights import erase_member, history, member_data, purge_freed_space
from storage.store import Store
from tests.conftest import ON_POSTGRES
from tests.fakes import make_update_message

pytestmark = pytest.mark.asyncio

PERSON = 5551234
ADMIN = 777
OTHER = 888
FULL_NAME = "Jozefien Vermeulen-Dewaele"
USERNAME = "jozefien_vd"
SECRETS = (b"jozefien", b"vermeulen-dewaele", USERNAME.encode(), str(PERSON).encode())


def _from_person(update_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    raw = make_update_message(
        update_id, text, user_id=PERSON, first_name="Jozefien", username=USERNAME, **kwargs
    )
    raw["message"]["from"]["last_name"] = "Vermeulen-Dewaele"
    return raw


async def _person_with_history(store: Store) -> dict[str, int]:
    """The person is added by an admin, talks to the bot, logs a meeting and a signal."""
    group_message = _from_person(3, "/vergadering ROA gisteren", chat_type="group")["message"]
    updates = [
        make_update_message(1, f"/lid {PERSON} {FULL_NAME}", user_id=ADMIN),
        _from_person(2, "/vergadering ROA 15/03/2026 capacity building"),
        _from_person(3, "/vergadering ROA gisteren", chat_type="group"),
        # Someone else replies to the person in the group: the reply quotes them.
        make_update_message(4, "Goed!", user_id=OTHER, chat_type="group", reply_to=group_message),
        make_update_message(5, "wat loopt er rond mobiliteit?", user_id=OTHER),
    ]
    async with store.sessions() as session:
        await inbox.store_updates(session, updates)
        await add_member(session, telegram_id=PERSON, name=FULL_NAME, role="member", actor=ADMIN)
        await add_member(session, telegram_id=OTHER, name="Pieter", role="member", actor=PERSON)
        meeting = await log_meeting(
            session,
            body_id="roa",
            date=dt.date(2026, 3, 15),
            status="held",
            topics=["capacity building", f"verslag door {FULL_NAME}"],
            notes=f"@{USERNAME} maakt het verslag",
            source=Source(user_id=PERSON, chat_id=PERSON, message_id=2),
        )
        await update_meeting(session, meeting.id, actor=PERSON, topics=["capacity building"])
        other = await log_meeting(
            session,
            body_id="lde-fabriek",
            date=dt.date(2022, 2, 8),
            status="held",
            topics=["individueel maatwerk"],
            source=Source(user_id=OTHER, chat_id=OTHER, message_id=5),
        )
        signal = await record_signal(
            session,
            text="Instroom ligt lager",
            date=dt.date(2026, 3, 16),
            themes=[],
            source=Source(user_id=PERSON, chat_id=-100, message_id=3),
        )
        await session.commit()
    return {"meeting": meeting.id, "other": other.id, "signal": signal.id}


def _database_bytes(url: str) -> bytes:
    path = Path(str(make_url(url).database))
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


async def test_member_data_holds_everything_stored_about_the_member(store: Store) -> None:
    ids = await _person_with_history(store)
    async with store.sessions() as session:
        data = await member_data(session, PERSON)
    assert data["member"]["name"] == FULL_NAME
    assert data["member"]["added_by"] == ADMIN
    assert [m["id"] for m in data["meetings_logged"]] == [ids["meeting"]]
    assert [s["id"] for s in data["signals_logged"]] == [ids["signal"]]
    assert {(a["action"], a["entity"]) for a in data["audit_by_member"]} >= {
        ("create", "meeting"),
        ("update", "meeting"),
        ("create", "signal"),
        ("create", "member"),  # they added Pieter
    }
    assert [a["after"]["name"] for a in data["audit_about_member"]] == [FULL_NAME]
    assert [u["update_id"] for u in data["inbox_updates"]] == [2, 3]
    json.dumps(data)  # JSON-ready as it is


async def test_member_data_of_someone_unknown_is_empty(store: Store) -> None:
    async with store.sessions() as session:
        data = await member_data(session, 123)
    assert data["member"] is None
    assert data["meetings_logged"] == data["inbox_updates"] == []


async def test_erasure_keeps_the_entries_and_removes_every_personal_trace(
    store: Store, database_url: str
) -> None:
    ids = await _person_with_history(store)
    if not ON_POSTGRES:
        await store.engine.dispose()  # let the WAL reach the file, as after a while of use
        assert b"vermeulen-dewaele" in _database_bytes(database_url).lower()
    async with store.sessions() as session:
        done = await erase_member(session, telegram_id=PERSON, actor=ADMIN)
        await session.commit()
    await purge_freed_space(store.engine)
    assert done.found
    assert done.member_row
    assert (done.meetings, done.signals) == (1, 1)
    assert done.inbox_deleted == 2
    assert done.inbox_redacted == 2  # the admin's /lid line and the reply quoting the person

    async with store.sessions() as session:
        assert await session.get(Member, PERSON) is None
        meeting = await session.get(Meeting, ids["meeting"])
        assert meeting is not None
        assert meeting.logged_by is None
        assert (meeting.source_chat_id, meeting.source_message_id) == (None, None)
        assert meeting.topics == ["capacity building"]
        assert meeting.notes == "[verwijderd lid] maakt het verslag"
        signal = await session.get(Signal, ids["signal"])
        assert signal is not None
        assert signal.logged_by is None
        assert signal.source_chat_id == -100  # a group chat is nobody's personal data
        other = await session.get(Meeting, ids["other"])
        assert other is not None
        assert other.logged_by == OTHER
        pieter = await session.get(Member, OTHER)
        assert pieter is not None
        assert pieter.added_by is None
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        payloads = [
            r.payload
            for r in (
                await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))
            ).all()
        ]
    assert all(a.actor != PERSON for a in audit)
    erase = audit[-1]
    assert (erase.action, erase.entity, erase.actor) == ("erase", "member", ADMIN)
    stored_text = json.dumps(
        [[a.entity_id, a.before, a.after] for a in audit] + payloads, ensure_ascii=False
    ).lower()
    for secret in SECRETS:
        assert secret.decode() not in stored_text
    assert [p["update_id"] for p in payloads] == [1, 4, 5]
    if not ON_POSTGRES:
        raw = _database_bytes(database_url).lower()
        for secret in SECRETS:
            assert secret not in raw, secret


async def test_erasing_someone_the_store_knows_nothing_about_writes_nothing(
    store: Store,
) -> None:
    async with store.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        done = await erase_member(session, telegram_id=4040, actor=ADMIN)
        await session.commit()
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert not done.found
    assert before == after


async def test_history_shows_who_changed_what_and_erased_authors_as_verwijderd_lid(
    store: Store,
) -> None:
    ids = await _person_with_history(store)
    async with store.sessions() as session:
        await update_meeting(session, ids["meeting"], actor=OTHER, date=dt.date(2026, 3, 12))
        await session.commit()
        entries = await history(session, entity="meeting", entity_id=ids["meeting"])
    assert [e.action for e in entries] == ["create", "update", "update"]
    assert entries[0].actor_name == FULL_NAME
    assert ("topics", None, ["capacity building", f"verslag door {FULL_NAME}"]) in entries[
        0
    ].changes
    assert entries[1].changes == [
        ("topics", ["capacity building", f"verslag door {FULL_NAME}"], ["capacity building"])
    ]
    assert entries[2].actor_name == "Pieter"
    assert entries[2].changes == [("date", "2026-03-15", "2026-03-12")]
    assert entries[0].at.tzinfo is not None

    async with store.sessions() as session:
        await erase_member(session, telegram_id=PERSON, actor=ADMIN)
        await delete_meeting(session, ids["meeting"], actor=OTHER)
        await session.commit()
        entries = await history(session, entity="meeting", entity_id=ids["meeting"])
        assert await history(session, entity="signal", entity_id=999) == []
    assert [e.actor_name for e in entries] == [
        "verwijderd lid",
        "verwijderd lid",
        "Pieter",
        "Pieter",
    ]
    created = {field: after for field, _, after in entries[0].changes}
    assert created["topics"] == ["capacity building", "verslag door [verwijderd lid]"]
    assert created["notes"] == "[verwijderd lid] maakt het verslag"
    assert "logged_by" not in created  # set to NULL, so no longer a change worth showing
    assert entries[-1].action == "delete"
