"""The terminal chat's updates and Telegram's share the inbox table but never an id space.

`regiebot chat` stores its lines under negative update ids; Telegram's keep theirs, and only
theirs set the getUpdates offset. Migration 0004 moves what older chats wrote (clock-made,
Telegram-like ids) into the local space.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.config import Settings
from bot.interface.application import INBOX_KEEP, LOCAL_USER_ID, LocalBotApi
from bot.interface.chat import TerminalChat
from bot.services.core import Regie
from storage import inbox
from storage.db import _alembic_config, make_engine
from storage.models import InboxUpdate, Meeting, Signal
from storage.store import Store
from tests.conftest import DATA_DIR
from tests.fakes import FakeBotApi, FakeBotApiServer
from tests.test_cli import regiebot
from tests.test_e2e import TOKEN, start_bot, texts, wait_for

MEMBER_ID = 48_151_623  # a Telegram user of the team


def _stored(database_url: str) -> list[tuple[int, dict[str, Any], bool]]:
    """(update_id, payload, handled) of every inbox row, oldest id first."""

    async def read() -> list[tuple[int, dict[str, Any], bool]]:
        store = await Store.open(database_url, migrate=False, seed_kb=False)
        try:
            async with store.sessions() as session:
                rows = await session.execute(
                    select(
                        InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.handled_at
                    ).order_by(InboxUpdate.update_id)
                )
                return [(int(r[0]), dict(r[1]), r[2] is not None) for r in rows]
        finally:
            await store.close()

    return asyncio.run(read())


# ----- `regiebot chat`, then `regiebot run`, on one database ---------------------------------


@pytest.fixture
def server() -> Iterator[tuple[FakeBotApi, FakeBotApiServer]]:
    api = FakeBotApi(token=TOKEN)
    with FakeBotApiServer(api, lifetime=300) as srv:
        yield api, srv


def test_the_bot_answers_telegram_update_1_after_terminal_chats_ran_on_its_database(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = regiebot(cli_env, "chat", stdin="/vergadering ROA over doelgroepanalyse\n2\n/help\n")
    assert first.returncode == 0, first.stderr
    assert "Vergadering opgeslagen" in first.stdout
    second = regiebot(cli_env, "chat", stdin="wat loopt er rond mobiliteit?\n")
    assert second.returncode == 0, second.stderr
    assert "Mobiliteit" in second.stdout

    chat_rows = _stored(cli_env["DATABASE_URL"])
    assert [r[0] for r in chat_rows] == [-4, -3, -2, -1]  # four lines, none in Telegram's space
    assert all(payload["update_id"] == uid and handled for uid, payload, handled in chat_rows)

    api, srv = server
    api.push_message("/zoek mobiliteit")  # Telegram's first update: id 1
    assert api.updates[0]["update_id"] == 1
    log = tmp_path / "bot.log"
    proc = start_bot(srv, cli_env, log)
    try:
        wait_for(lambda: any("<b>Acties</b>" in t for t in texts(api)), "the answer to update 1")
        api.push_message("/signaal instroom ligt lager")
        wait_for(lambda: any("Signaal opgeslagen" in t for t in texts(api)), "update 2")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()
    offsets = [c.params.get("offset") for c in api.calls_of("getUpdates")]
    assert all(offset is None or 1 <= offset <= 3 for offset in offsets), offsets
    assert [(uid, handled) for uid, _, handled in _stored(cli_env["DATABASE_URL"])] == [
        (-4, True),
        (-3, True),
        (-2, True),
        (-1, True),
        (1, True),
        (2, True),
    ]


# ----- the inbox's two id spaces --------------------------------------------------------------


def _telegram_message(
    update_id: int, text: str, *, user_id: int = MEMBER_ID, name: str = "Sofie"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 100,
            "date": 1_773_828_000,
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "text": text,
        },
    }


def _chat_line(text: str, *, update_id: int | None = None) -> dict[str, Any]:
    """A line typed in `regiebot chat`, as bot/interface/chat.py builds it (id: what it used)."""
    raw: dict[str, Any] = {
        "message": {
            "message_id": 2,
            "date": 1_773_828_000,
            "chat": {"id": 1, "type": "private", "first_name": "Lokaal"},
            "from": {"id": 1, "is_bot": False, "first_name": "Lokaal"},
            "text": text,
        }
    }
    if update_id is not None:
        raw["update_id"] = update_id
    return raw


def _chat_press(update_id: int, data: str) -> dict[str, Any]:
    """A button pressed in `regiebot chat` before 0004, as bot/interface/chat.py built it."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"local-{update_id}",
            "from": {"id": 1, "is_bot": False, "first_name": "Lokaal"},
            "message": {
                "message_id": 3,
                "date": 1_773_828_000,
                "chat": {"id": 1, "type": "private"},
                "from": {"id": 1_000_000, "is_bot": True, "first_name": "regiebot"},
                "text": "Op welke datum?",
            },
            "chat_instance": "local",
            "data": data,
        },
    }


async def test_local_updates_count_down_from_minus_one_and_carry_their_id_in_the_payload(
    store: Store,
) -> None:
    async with store.writing() as session:
        first = await inbox.store_local_update(session, _chat_line("/help"))
        second = await inbox.store_local_update(session, _chat_line("/zoek taal", update_id=7))
        await session.commit()
    assert (first["update_id"], second["update_id"]) == (-1, -2)
    assert second["message"]["text"] == "/zoek taal"
    async with store.sessions() as session:
        row = await session.get(InboxUpdate, -2)
    assert row is not None
    assert row.payload["update_id"] == -2


async def test_the_poll_offset_comes_from_telegram_updates_only(store: Store) -> None:
    async with store.writing() as session:
        for line in ("/help", "/zoek mobiliteit", "/signaal te weinig stageplaatsen"):
            await inbox.store_local_update(session, _chat_line(line))
        await session.commit()
        assert await inbox.next_offset(session) is None  # getUpdates without an offset
        assert await inbox.store_updates(session, [_telegram_message(1, "/help")]) == [1]
        await session.commit()
        assert await inbox.next_offset(session) == 2


async def test_a_telegram_update_numbered_like_a_chat_line_is_new_and_pending(
    store: Store,
) -> None:
    async with store.writing() as session:
        local = await inbox.store_local_update(session, _chat_line("/help"))
        new = await inbox.store_updates(
            session, [_telegram_message(abs(local["update_id"]), "/help")]
        )
        await session.commit()
        assert new == [1]
        assert await inbox.pending(session) == [(1, _telegram_message(1, "/help"))]


async def test_telegram_updates_with_a_negative_id_are_not_stored(store: Store) -> None:
    async with store.writing() as session:
        new = await inbox.store_updates(
            session, [_telegram_message(-5, "/help"), _telegram_message(5, "/help")]
        )
        await session.commit()
        assert new == [5]
        assert await session.get(InboxUpdate, -5) is None


async def test_an_unhandled_local_update_is_never_resumed_by_the_bot_and_pruned_when_old(
    store: Store,
) -> None:
    async with store.writing() as session:
        stale = await inbox.store_local_update(session, _chat_line("/vergadering ROA"))
        fresh = await inbox.store_local_update(session, _chat_line("/vergadering PWO"))
        await inbox.store_updates(
            session, [_telegram_message(10, "/help"), _telegram_message(11, "/zoek taal")]
        )
        await inbox.mark_many_handled(session, [10])
        await session.commit()
        assert [uid for uid, _ in await inbox.pending(session)] == [11]

        long_ago = dt.datetime.now(dt.UTC) - INBOX_KEEP - dt.timedelta(days=1)
        for uid in (stale["update_id"], 10, 11):
            row = await session.get(InboxUpdate, uid)
            assert row is not None
            row.received_at = long_ago
            if row.handled_at is not None:
                row.handled_at = long_ago
        await session.commit()
        removed = await inbox.prune(session, older_than=INBOX_KEEP)
        await session.commit()
        left = (await session.scalars(select(InboxUpdate.update_id))).all()
    assert removed == 2
    # The old unhandled Telegram update stays (it may still be handled); the fresh line too.
    assert sorted(left) == [fresh["update_id"], 11]


# ----- migration 0004: chat rows already in Telegram's space ----------------------------------


async def _database_at_0003_with_chat_rows(database_url: str) -> None:
    from alembic import command

    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    rows = [
        # (update_id, payload, received after t0, handled)
        (5, _telegram_message(5, "/help"), 0, True),
        (
            999_999_990,
            _chat_line("/vergadering ROA over taal", update_id=999_999_990),
            1,
            True,
        ),
        (999_999_991, _chat_press(999_999_991, "date:yesterday"), 2, True),
        (6, _telegram_message(6, "wat loopt er rond taal?"), 3, False),
        # The clock-made ids wrapped round (modulo 10^9) between two chat runs.
        (4_321, _chat_line("/signaal weinig stageplaatsen", update_id=4_321), 4, False),
        # A real member who happens to be called Lokaal is not the terminal chat.
        (7, _telegram_message(7, "/help", user_id=5_551_234, name="Lokaal"), 5, False),
    ]
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "0003"))
        async with engine.begin() as conn:
            await conn.execute(
                insert(InboxUpdate.__table__),  # type: ignore[arg-type]
                [
                    {
                        "update_id": uid,
                        "payload": payload,
                        "received_at": t0 + dt.timedelta(minutes=minutes),
                        "handled_at": t0 + dt.timedelta(minutes=minutes) if handled else None,
                        "attempts": 0,
                    }
                    for uid, payload, minutes, handled in rows
                ],
            )
    finally:
        await engine.dispose()


async def test_upgrading_moves_the_rows_older_chats_wrote_into_the_local_space(
    database_url: str,
) -> None:
    await _database_at_0003_with_chat_rows(database_url)
    store = await Store.open(database_url, migrate=True, seed_kb=False)
    try:
        async with store.writing() as session:
            rows = {
                int(r.update_id): r for r in (await session.scalars(select(InboxUpdate))).all()
            }
            assert sorted(rows) == [-3, -2, -1, 5, 6, 7]
            # Arrival order: the first chat line is -1, the line after the wrap-round -3.
            assert rows[-1].payload == _chat_line("/vergadering ROA over taal", update_id=-1)
            assert rows[-2].payload["update_id"] == -2
            assert rows[-2].payload["callback_query"]["data"] == "date:yesterday"
            assert rows[-3].payload["message"]["text"] == "/signaal weinig stageplaatsen"
            assert (rows[-1].handled_at is not None, rows[-3].handled_at) == (True, None)
            assert rows[5].payload == _telegram_message(5, "/help")
            assert rows[7].payload["message"]["from"]["id"] == 5_551_234

            assert await inbox.next_offset(session) == 8
            assert [uid for uid, _ in await inbox.pending(session)] == [6, 7]
            after = await inbox.store_local_update(session, _chat_line("/help"))
            assert after["update_id"] == -4
            await session.commit()
    finally:
        await store.close()


async def test_downgrading_below_0004_forgets_the_local_updates(database_url: str) -> None:
    from alembic import command

    await _database_at_0003_with_chat_rows(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "0004"))
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(_alembic_config(c), "0003"))
        async with engine.connect() as conn:
            left = (await conn.execute(select(InboxUpdate.update_id))).scalars().all()
    finally:
        await engine.dispose()
    assert sorted(left) == [5, 6, 7]


# ----- the local chat's message ids: one chat across every run on a database ------------------


def test_a_meeting_logged_in_a_second_terminal_chat_is_stored_and_not_taken_for_the_first(
    cli_env: dict[str, str],
) -> None:
    first = regiebot(cli_env, "chat", stdin="/vergadering ROA gisteren over a\n")
    assert first.returncode == 0, first.stderr
    assert "Vergadering opgeslagen" in first.stdout
    second = regiebot(cli_env, "chat", stdin="/vergadering ROA 10/11/2026 over b\n")
    assert second.returncode == 0, second.stderr
    assert "Vergadering opgeslagen" in second.stdout
    assert "was al opgeslagen" not in second.stdout

    export = json.loads(regiebot(cli_env, "export", "--json").stdout)
    topics = sorted(m["topics"] for m in export["meetings"])
    assert topics == [["a"], ["b"]]
    assert "2026-11-10" in {m["date"] for m in export["meetings"]}


async def _open_chat(database_url: str, out: io.StringIO) -> TerminalChat:
    settings = Settings(
        database_url=database_url, admins=[LOCAL_USER_ID], kb_dir=DATA_DIR, telegram_base_url=None
    )
    chat = TerminalChat(await Regie.open(settings), out)
    await chat.start()
    return chat


async def test_two_terminal_chats_open_at_once_on_one_database_each_store_their_own_entries(
    database_url: str,
) -> None:
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    out_a, out_b = io.StringIO(), io.StringIO()
    chat_a = await _open_chat(database_url, out_a)
    chat_b = await _open_chat(database_url, out_b)
    try:
        # Both started before either wrote: neither can learn the other's ids from the database.
        await chat_a.send("/vergadering ROA gisteren over a")
        await chat_b.send("/vergadering Regioraad 10/11/2026 over b")
        await chat_b.send("/signaal te weinig stageplaatsen in de zorg")
        await chat_a.send("/signaal instroom doelgroepmedewerkers ligt lager")
    finally:
        for chat in (chat_a, chat_b):
            await chat.stop()
            await chat.regie.close()
    for out in (out_a, out_b):
        assert out.getvalue().count("opgeslagen:") == 2, out.getvalue()
        assert "was al opgeslagen" not in out.getvalue()

    store = await Store.open(database_url, migrate=False, seed_kb=False)
    try:
        async with store.sessions() as session:
            meetings = (await session.execute(select(Meeting.topics))).scalars().all()
            signals = (await session.execute(select(Signal.id))).scalars().all()
    finally:
        await store.close()
    assert sorted(meetings) == [["a"], ["b"]]
    assert len(signals) == 2


def test_local_message_ids_keep_rising_when_the_clock_stands_still_or_steps_back() -> None:
    readings = iter(
        [1_790_000_000_000_000_000, 1_790_000_000_000_000_000, 1_789_999_000_000_000_000]
    )
    api = LocalBotApi(clock_ns=lambda: next(readings))
    ids = [api.new_message_id() for _ in range(3)]
    assert ids == [1_790_000_000_000_000, 1_790_000_000_000_001, 1_790_000_000_000_002]
