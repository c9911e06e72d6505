"""The bot through python-telegram-bot's process_update with an in-process Bot API fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.interface.polling import InboxRunner
from storage.models import InboxUpdate, Meeting, Signal
from tests.bot_harness import ADMIN_ID, STRANGER_ID, Harness, close_harness, make_harness
from tests.fakes import DEFAULT_GROUP_ID, DEFAULT_USER_ID

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    try:
        yield h
    finally:
        await close_harness(h)


async def _meetings(h: Harness) -> list[Meeting]:
    async with h.regie.store.sessions() as session:
        return list((await session.scalars(select(Meeting).order_by(Meeting.id))).all())


async def _count(h: Harness, model: type) -> int:
    async with h.regie.store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_complete_meeting_line_is_saved_and_confirmed_with_buttons(bot: Harness) -> None:
    texts = await bot.say("/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse")
    assert len(texts) == 1
    assert "Vergadering opgeslagen" in texts[0]
    assert "15/03/2026" in texts[0]
    assert "capacity building; doelgroepanalyse" in texts[0]
    [meeting] = await _meetings(bot)
    assert meeting.body_id == "roa"
    assert meeting.date == dt.date(2026, 3, 15)
    assert meeting.status == "held"
    reply = bot.api.calls_of("sendMessage")[-1]
    original = bot.updates[-1]["message"]["message_id"]
    assert reply.params["reply_parameters"]["message_id"] == original
    labels = [b["text"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Ongedaan maken", "Wijzigen", "Aanwezigen", "Notities"]
    assert not bot.errors()


async def test_free_dutch_with_gisteren_finds_the_body_and_topics(bot: Harness) -> None:
    await bot.say("/vergadering actiegroep rose gisteren over individueel maatwerk en mobiliteit")
    [meeting] = await _meetings(bot)
    assert meeting.body_id == "rose-actiegroep"
    assert meeting.date == dt.date(2026, 3, 17)
    assert meeting.topics == ["individueel maatwerk en mobiliteit"]  # no typed word lost


async def test_a_future_date_records_a_planned_meeting(bot: Harness) -> None:
    texts = await bot.say("/vergadering ROA 12/12/2026 jaarplanning")
    assert "gepland" in texts[0]
    assert (await _meetings(bot))[0].status == "planned"


async def test_an_update_delivered_twice_stores_one_meeting(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    again = await bot.deliver(bot.updates[-1])
    assert again == []  # already handled: no second reply
    assert len(await _meetings(bot)) == 1


@pytest.mark.parametrize(
    ("line", "model", "already"),
    [
        ("/signaal wachtlijst voor taalcoaching", Signal, "Dit signaal was al opgeslagen"),
        ("/vergadering ROA 15/03/2026 doelgroepanalyse", Meeting, "was al opgeslagen"),
    ],
)
async def test_an_entry_update_handled_again_finds_its_entry(
    bot: Harness, line: str, model: type, already: str
) -> None:
    # Its mark is committed with the entry; should an update come round again anyway (an
    # inbox restored from a backup, a second instance), the unique source message holds.
    await bot.say(line)
    update_id = int(bot.updates[-1]["update_id"])
    async with bot.regie.store.sessions() as session:
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        row.handled_at = None  # as if the batched mark never ran
        await session.commit()
    restarted = InboxRunner(bot.app, bot.regie)
    before = len(bot.api.sent)
    assert await restarted.resume() == 1
    await restarted.drain()
    replies = [c.params.get("text", "") for c in bot.api.sent[before:]]
    assert len(replies) == 1
    assert already in replies[0]
    async with bot.regie.store.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(model)) == 1
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        assert row.handled_at is not None


@pytest.mark.parametrize(
    "line", ["/signaal wachtlijst voor taalcoaching", "/vergadering ROA 15/03/2026 intervisie"]
)
async def test_a_new_entry_is_marked_handled_with_it_so_an_undo_survives_a_crash(
    bot: Harness, line: str
) -> None:
    # The runner's batched marks never run here (a crash right after the reply): the entry's
    # own transaction marked its update, so the restart does not store it again after the
    # undo took it away.
    bot.runner = InboxRunner(bot.app, bot.regie, batch_seconds=3600)
    await bot.say(line)
    update_id = int(bot.updates[-1]["update_id"])
    async with bot.regie.store.sessions() as session:
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        assert row.handled_at is not None
    texts = await bot.press("Ongedaan maken")
    assert any("ongedaan" in t.lower() for t in texts)
    restarted = InboxRunner(bot.app, bot.regie)
    await restarted.resume()
    await restarted.drain()
    async with bot.regie.store.sessions() as session:
        for model in (Meeting, Signal):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


async def test_a_missing_date_is_asked_with_buttons(bot: Harness) -> None:
    texts = await bot.say("/vergadering ROA over capacity building")
    assert "Op welke datum" in texts[0]
    assert await _meetings(bot) == []
    texts = await bot.press("Gisteren")
    assert any("Vergadering opgeslagen" in t for t in texts)
    [meeting] = await _meetings(bot)
    assert meeting.date == dt.date(2026, 3, 17)
    assert meeting.topics == ["capacity building"]


async def test_an_ambiguous_body_is_asked_with_candidate_buttons(bot: Harness) -> None:
    texts = await bot.say("/vergadering stuurgroep 12/03/2026 actieplan")
    assert "Welk overlegorgaan" in texts[0]
    keyboard = bot.api.calls_of("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
    labels = [row[0]["text"] for row in keyboard]
    assert "Andere …" in labels
    assert len(labels) >= 3
    await bot.press(keyboard[0][0]["callback_data"])
    [meeting] = await _meetings(bot)
    assert meeting.date == dt.date(2026, 3, 12)


async def test_the_guided_conversation_asks_body_date_and_topics(bot: Harness) -> None:
    texts = await bot.say("/vergadering")
    assert "Welk overlegorgaan" in texts[0]
    await bot.say("lerend netwerk trajectbegeleiders")
    texts = await bot.press("Vandaag")
    assert any("agenda" in t for t in texts)
    texts = await bot.say("art. 60, intervisie")
    assert any("Vergadering opgeslagen" in t for t in texts)
    [meeting] = await _meetings(bot)
    assert meeting.body_id == "lerend-netwerk-trajectbegeleiders"
    assert meeting.date == dt.date(2026, 3, 18)
    assert meeting.topics == ["art. 60", "intervisie"]


async def test_annuleer_stops_the_conversation_without_saving(bot: Harness) -> None:
    await bot.say("/vergadering")
    texts = await bot.say("/annuleer")
    assert "niets opgeslagen" in texts[0]
    assert await _meetings(bot) == []


async def test_an_impossible_date_gets_a_clear_dutch_message_and_nothing_is_stored(
    bot: Harness,
) -> None:
    texts = await bot.say("/vergadering ROA 31/02/2026 capacity building")
    assert "31/02/2026 bestaat niet" in texts[0]
    assert await _meetings(bot) == []


async def test_a_button_from_an_expired_conversation_is_answered_clearly(bot: Harness) -> None:
    await bot.say("/vergadering ROA over x")
    await bot.say("/annuleer")
    await bot.press("Gisteren")
    answers = bot.api.calls_of("answerCallbackQuery")
    assert "verlopen" in answers[-1].params.get("text", "")
    assert await _meetings(bot) == []


async def test_undo_button_and_ongedaan_remove_ones_own_entry(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 a")
    texts = await bot.press("Ongedaan maken")
    assert any("ongedaan gemaakt" in t for t in texts)
    assert await _meetings(bot) == []
    await bot.say("/vergadering ROA 16/03/2026 b")
    texts = await bot.say("/ongedaan")
    assert "ongedaan gemaakt" in texts[0]
    assert await _meetings(bot) == []


async def test_a_signal_is_saved_with_detected_themes_and_its_status_set_by_button(
    bot: Harness,
) -> None:
    texts = await bot.say("/signaal te weinig openbaar vervoer naar de sociale werkplaatsen")
    assert "Signaal opgeslagen" in texts[0]
    assert "Mobiliteit" in texts[0]
    await bot.press("Doorgegeven")
    async with bot.regie.store.sessions() as session:
        [signal] = (await session.scalars(select(Signal))).all()
    assert signal.status == "doorgegeven"


async def test_a_question_gets_the_grouped_search_answer(bot: Harness) -> None:
    texts = await bot.say("wat loopt er rond mobiliteit?")
    assert len(texts) == 1
    assert "<b>Acties</b>" in texts[0]
    assert "2.3.2" in texts[0]
    assert not bot.errors()


async def test_a_logged_meeting_is_found_by_search_at_once(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 doelgroepanalyse kwetsbare jongeren")
    texts = await bot.say("/zoek doelgroepanalyse")
    assert "<b>Vergaderingen</b>" in texts[0]


async def test_details_pages_show_the_record_with_its_relations(bot: Harness) -> None:
    texts = await bot.say("/actie 2.3.2")
    assert "Mobiliteit" in texts[0]
    assert "Vervoersregio Kortrijk" in texts[0]
    texts = await bot.say("/orgaan ROA")
    assert "keer per jaar" in texts[0]
    texts = await bot.say("/partner VDAB")
    assert "VDAB" in texts[0]


async def test_a_stranger_gets_one_polite_refusal_and_nothing_is_stored(bot: Harness) -> None:
    texts = await bot.say("/signaal dit mag niet", user_id=STRANGER_ID)
    assert len(texts) == 1
    assert "enkel voor het team" in texts[0]
    assert str(STRANGER_ID) in texts[0]
    assert await _count(bot, Signal) == 0


async def test_in_a_group_only_messages_addressed_to_the_bot_are_taken(bot: Harness) -> None:
    texts = await bot.say("wat loopt er rond mobiliteit?", chat_type="supergroup")
    assert texts == []
    texts = await bot.say("/zoek mobiliteit@regiebot_test_bot", chat_type="supergroup")
    assert len(texts) == 1
    assert "Mobiliteit" in texts[0]


async def test_only_admins_manage_members(bot: Harness) -> None:
    texts = await bot.say("/lid 555 Jan")
    assert "Enkel beheerders" in texts[0]
    texts = await bot.say("/lid 555 Jan", user_id=ADMIN_ID)
    assert "toegevoegd" in texts[0]
    texts = await bot.say("/zoek taal", user_id=555)
    assert "Acties" in texts[0]
    await bot.say("/lid weg 555", user_id=ADMIN_ID)
    texts = await bot.say("/zoek taal", user_id=555)
    assert "enkel voor het team" in texts[0]


async def test_every_handled_update_is_marked_in_the_inbox(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 a")
    await bot.say("hallo")
    async with bot.regie.store.sessions() as session:
        rows = (await session.scalars(select(InboxUpdate))).all()
    assert len(rows) == 2
    assert all(r.handled_at is not None for r in rows)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=400))
async def test_arbitrary_text_never_crashes_and_every_reply_is_valid(
    bot: Harness, text: str
) -> None:
    for prefix in ("", "/vergadering ", "/signaal "):
        before = len(bot.api.calls)
        await bot.say(prefix + text)
        assert [c for c in bot.api.calls[before:] if c.error is not None] == []
    assert DEFAULT_USER_ID != DEFAULT_GROUP_ID


async def test_a_body_page_and_the_signal_list_show_entries_logged_after_start(
    bot: Harness,
) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    texts = await bot.say("/orgaan ROA")
    assert "Laatste vergaderingen" in texts[0]
    assert "15/03/2026: capacity building" in texts[0]
    await bot.say("/signaal te weinig openbaar vervoer")
    texts = await bot.say("/signalen mobiliteit")
    assert "te weinig openbaar vervoer" in texts[0]
    texts = await bot.say("/signalen open")
    assert "(1)" in texts[0]


async def test_the_daily_prune_forgets_old_handled_updates_only(bot: Harness) -> None:
    import datetime as _dt
    from types import SimpleNamespace

    from sqlalchemy import update

    from bot.interface.application import prune_inbox

    await bot.say("/signaal oud bericht")
    await bot.say("/signaal nieuw bericht")
    old = _dt.datetime.now(_dt.UTC) - _dt.timedelta(days=31)
    async with bot.regie.store.sessions() as session:
        first = min((await session.scalars(select(InboxUpdate.update_id))).all())
        await session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == first).values(handled_at=old)
        )
        await session.commit()
    assert await prune_inbox(SimpleNamespace(bot_data={"regie": bot.regie})) == 1
    assert await _count(bot, InboxUpdate) == 1
    assert await _count(bot, Signal) == 2  # what the update stored stays


async def test_after_settle_memory_a_reload_lets_the_old_index_go(bot: Harness) -> None:
    # settle_memory freezes start-up objects out of the collector; the index holds reference
    # cycles, so a reload (also run by an erasure) must thaw them or the old index, with any
    # erased name in it, would stay in memory for good.
    import gc
    import weakref

    from bot.interface.application import settle_memory

    threshold = gc.get_threshold()
    try:
        settle_memory()
        index = bot.regie.index
        old = [
            weakref.ref(part)
            for part in (index.relations, index.vocab, index.thesaurus, index.reader)
        ] + [weakref.ref(kind) for kind in index.kinds.values()]
        await bot.regie.reload_knowledge_base()
        gc.collect()
        assert [ref() for ref in old] == [None] * len(old)
        assert gc.get_freeze_count() > 0  # what is alive now is frozen again
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
