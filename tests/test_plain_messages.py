"""Plain messages that report a meeting or a signal: proposed first, stored only on a tap."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from storage.entries import add_member
from storage.models import Meeting, Proposal, Signal
from tests.bot_harness import ADMIN_ID, Harness, close_harness, make_harness
from tests.fakes import DEFAULT_USER_ID
from tests.fakes.updates import make_callback_query

# The harness's today is Wednesday 18/03/2026: "gisteren" is 17/03/2026.


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    try:
        yield h
    finally:
        await close_harness(h)


async def _count(h: Harness, model: type) -> int:
    async with h.regie.store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _meetings(h: Harness) -> list[Meeting]:
    async with h.regie.store.sessions() as session:
        return list((await session.scalars(select(Meeting).order_by(Meeting.id))).all())


def _last_buttons(h: Harness) -> list[str]:
    sent = [c for c in h.api.sent if c.params.get("reply_markup")]
    markup = sent[-1].params["reply_markup"]
    rows = markup["inline_keyboard"] if isinstance(markup, dict) else markup.inline_keyboard
    return [(b["text"] if isinstance(b, dict) else b.text) for row in rows for b in row]


async def test_a_plain_meeting_report_is_proposed_and_stored_only_on_opslaan(
    bot: Harness,
) -> None:
    texts = await bot.say("gisteren ROA gehad over capacity building")
    assert "Zal ik deze vergadering opslaan?" in texts[0]
    assert "Regionaal Overleg Activering" in texts[0]
    assert "17 maart 2026" in texts[0]
    assert "capacity building" in texts[0]
    assert await _count(bot, Meeting) == 0
    texts = await bot.press("Opslaan")
    meetings = await _meetings(bot)
    assert [(m.body_id, m.date.isoformat(), m.topics) for m in meetings] == [
        ("roa", "2026-03-17", ["capacity building"])
    ]
    assert any("Vergadering opgeslagen" in t for t in texts)
    assert bot.errors() == []


async def test_opslaan_pressed_twice_stores_one_meeting(bot: Harness) -> None:
    await bot.say("gisteren ROA gehad over capacity building")
    raw = bot.api.press("Opslaan")
    bot.api.updates.clear()
    await bot.deliver(raw)
    again = dict(raw, update_id=raw["update_id"] + 1000)
    await bot.deliver(again)
    assert await _count(bot, Meeting) == 1


async def test_nee_zoeken_stores_nothing_and_answers_the_message_as_a_question(
    bot: Harness,
) -> None:
    await bot.say("gisteren ROA gehad over capacity building")
    texts = await bot.press("Nee, zoeken")
    assert await _count(bot, Meeting) == 0
    assert any("Niet opgeslagen" in t for t in texts)
    assert len(texts) >= 2  # the settled proposal and the search answer


async def test_a_question_is_answered_and_never_proposed(bot: Harness) -> None:
    for question in ("wanneer vergadert de ROA?", "wat loopt er rond mobiliteit", "ROA"):
        texts = await bot.say(question)
        assert "Zal ik" not in texts[0], question
    assert await _count(bot, Proposal) == 0


async def test_a_plain_signal_is_proposed_with_its_themes_and_stored_on_opslaan(
    bot: Harness,
) -> None:
    texts = await bot.say("signaal: geen kinderopvang voor ploegenwerk in Menen")
    assert "Zal ik dit signaal opslaan?" in texts[0]
    assert await _count(bot, Signal) == 0
    await bot.press("Opslaan")
    async with bot.regie.store.sessions() as session:
        signal = (await session.scalars(select(Signal))).one()
    assert signal.text == "geen kinderopvang voor ploegenwerk in Menen"


async def test_an_unsure_body_in_a_plain_message_offers_the_candidates_as_buttons(
    bot: Harness,
) -> None:
    texts = await bot.say("gisteren lerend netwerk gehad over digibanken")
    assert "Welk overlegorgaan was het?" in texts[0]
    labels = _last_buttons(bot)
    assert any("trajectbegeleiders" in label for label in labels)
    assert "Opslaan" not in labels
    await bot.press(next(label for label in labels if "trajectbegeleiders" in label))
    meetings = await _meetings(bot)
    assert [(m.body_id, m.topics) for m in meetings] == [
        ("lerend-netwerk-trajectbegeleiders", ["digibanken"])
    ]


async def test_only_who_sent_the_message_or_an_admin_may_store_its_proposal(
    bot: Harness,
) -> None:
    await bot.say("gisteren ROA gehad over capacity building")
    async with bot.regie.store.sessions() as session:
        proposal_id = (await session.scalars(select(Proposal.id))).one()
    # Another member presses the button of this chat (a forged press: same chat, other user).
    async with bot.regie.store.sessions() as session:
        await add_member(session, telegram_id=4242, name="Collega", role="member", actor=None)
        await session.commit()
    raw = bot.api.press(f"pp:{proposal_id}:s", user_id=4242)
    bot.api.updates.clear()
    await bot.deliver(raw)
    assert await _count(bot, Meeting) == 0
    raw = bot.api.press(f"pp:{proposal_id}:s", user_id=ADMIN_ID)
    bot.api.updates.clear()
    await bot.deliver(raw)
    assert await _count(bot, Meeting) == 1


async def test_a_saved_then_undone_proposal_does_not_come_back_on_a_second_tap(
    bot: Harness,
) -> None:
    await bot.say("gisteren ROA gehad over capacity building")
    async with bot.regie.store.sessions() as session:
        proposal_id = (await session.scalars(select(Proposal.id))).one()
    await bot.press("Opslaan")
    await bot.say("/ongedaan")
    assert await _count(bot, Meeting) == 0
    # A replayed press of the old button (its message was since edited): nothing comes back.
    await bot.deliver(make_callback_query(99_000, f"pp:{proposal_id}:s", chat_id=DEFAULT_USER_ID))
    assert await _count(bot, Meeting) == 0


async def test_aanpassen_gives_the_command_to_copy_and_sending_it_stores_the_same(
    bot: Harness,
) -> None:
    await bot.say("vergadering actiegroep morgen 14u over planning")
    texts = await bot.press("Aanpassen")
    command = texts[-1].split("<code>")[1].split("</code>")[0]
    assert command.startswith("/vergadering ROSE-actiegroep 19/03/2026 14u00")
    await bot.say(command.replace("&amp;", "&"))
    meetings = await _meetings(bot)
    assert [(m.body_id, m.status, m.start_time, m.topics) for m in meetings] == [
        ("rose-actiegroep", "planned", "14:00", ["planning"])
    ]


async def test_a_proposal_survives_a_restart_of_the_bot(database_url: str) -> None:
    first = await make_harness(database_url)
    try:
        await first.say("gisteren ROA gehad over capacity building")
        messages = dict(first.api.messages)
    finally:
        await close_harness(first)
    second = await make_harness(database_url)
    try:
        second.api.messages.update(messages)
        await second.press("Opslaan")
        assert await _count(second, Meeting) == 1
    finally:
        await close_harness(second)
