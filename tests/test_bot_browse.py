"""Search paging and details buttons, meeting follow-ups, signal buttons and /signalen paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Meeting, Signal
from tests.bot_harness import ADMIN_ID, Harness, close_harness, make_harness
from tests.fakes import DEFAULT_GROUP_ID, DEFAULT_USER_ID

pytestmark = pytest.mark.asyncio

OTHER_MEMBER = 4242


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    h.regie.settings.allowed_users.append(OTHER_MEMBER)
    try:
        yield h
    finally:
        await close_harness(h)


def _buttons(call: Any) -> list[tuple[str, str]]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def _last(h: Harness, *methods: str) -> Any:
    return [c for c in h.api.calls if c.method in (methods or ("sendMessage",))][-1]


async def _signal(h: Harness, signal_id: int) -> Signal:
    async with h.regie.store.sessions() as session:
        found = await session.get(Signal, signal_id)
        assert found is not None
        return found


# --- search -----------------------------------------------------------------------------------


async def test_search_answer_has_details_buttons_and_pages_with_meer(bot: Harness) -> None:
    [first] = await bot.say("wat loopt er rond mobiliteit?")
    assert "Acties" in first
    call = _last(bot)
    buttons = _buttons(call)
    details = [d for _, d in buttons if d.startswith("d:")]
    assert details
    assert all(len(d.encode()) <= 64 for (d,) in [(d,) for d, _ in buttons])
    assert any(d.startswith("d:a:") for d in details)
    assert ("Meer ▸", "z:1:wat loopt er rond mobiliteit?") in buttons
    [page2] = await bot.press("Meer ▸")
    assert "pagina 2" in page2
    assert page2 != first
    edit = _last(bot, "editMessageText")
    assert edit.params["message_id"] == call.result["message_id"]
    assert any(t == "◂ Vorige" for t, _ in _buttons(edit))
    [back] = await bot.press("◂ Vorige")
    assert back == first
    assert not bot.errors()


async def test_a_details_button_sends_the_whole_record(bot: Harness) -> None:
    await bot.say("/zoek mobiliteit")
    action = next(d for _, d in _buttons(_last(bot)) if d.startswith("d:a:"))
    [page] = await bot.press(action)
    assert page.startswith("<b>Actie ")
    assert "Partners:" in page
    assert not bot.errors()


async def test_a_long_question_pages_through_a_remembered_number(bot: Harness) -> None:
    question = "wat loopt er allemaal rond mobiliteit en vervoer naar het werk in de regio?"
    await bot.say(question)
    more = [d for t, d in _buttons(_last(bot)) if t == "Meer ▸"]
    assert more
    assert more[0].startswith("zt:1:")
    [page2] = await bot.press(more[0])
    assert "pagina 2" in page2
    # after a restart the number is gone: a clear message, no crash
    bot.app.bot_data["queries"].clear()
    raw = bot.api.press("◂ Vorige")
    bot.api.updates.clear()
    await bot.deliver(raw)
    answer = _last(bot, "answerCallbackQuery")
    assert "verlopen" in answer.params["text"]
    assert not bot.errors()


async def test_meeting_details_from_a_search_hit(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse")
    await bot.say("capacity building")
    meeting = next(d for _, d in _buttons(_last(bot)) if d.startswith("d:m:"))
    [page] = await bot.press(meeting)
    assert "capacity building; doelgroepanalyse" in page
    assert "15/03/2026" in page


async def test_a_details_button_of_a_removed_meeting_says_so(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    await bot.say("capacity building")
    meeting = next(d for _, d in _buttons(_last(bot)) if d.startswith("d:m:"))
    await bot.say("/ongedaan")
    assert await bot.press(meeting) == []
    assert "niet (meer)" in _last(bot, "answerCallbackQuery").params["text"]


# --- meeting follow-ups -----------------------------------------------------------------------


async def test_attendees_follow_up_matches_partners_and_reports_unknown_names(
    bot: Harness,
) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    [question] = list(await bot.press("Aanwezigen"))
    assert "Welke partners" in question
    [done] = await bot.say("VDAB, Leiedal en Xyzzy bvba")
    assert "Aanwezig:" in done
    assert "VDAB" in done
    assert "Niet herkend" in done
    assert "Xyzzy bvba" in done
    async with bot.regie.store.sessions() as session:
        meeting = (await session.scalars(select(Meeting))).one()
        await session.refresh(meeting, ["attendees"])
        assert {p.id for p in meeting.attendees} >= {"vdab", "leiedal"}
        audit = (await session.scalars(select(AuditEntry.action))).all()
    assert list(audit) == ["create", "update"]
    assert not bot.errors()


async def test_notes_follow_up_and_cancel(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    await bot.press("Notities")
    [done] = await bot.say("Afspraak: <b>volgende keer</b> & meer")
    assert "Notities: Afspraak: &lt;b&gt;volgende keer&lt;/b&gt; &amp; meer" in done
    await bot.press("Notities")
    assert await bot.say("/annuleer") == ["Geannuleerd; er is niets opgeslagen."]
    # back to normal: plain text is a question again
    [answer] = await bot.say("mobiliteit")
    assert "mobiliteit" in answer.casefold()
    assert not bot.errors()


async def test_another_member_cannot_add_notes_to_my_meeting(bot: Harness) -> None:
    await bot.say(
        "/vergadering ROA 15/03/2026 capacity building",
        chat_id=DEFAULT_GROUP_ID,
        chat_type="group",
    )
    raw = bot.api.press("Notities", chat_id=DEFAULT_GROUP_ID, user_id=OTHER_MEMBER)
    bot.api.updates.clear()
    await bot.deliver(raw)
    assert "eigen invoer" in _last(bot, "answerCallbackQuery").params["text"]


# --- signals ----------------------------------------------------------------------------------


async def test_signal_source_addressee_and_status_buttons(bot: Harness) -> None:
    await bot.say("/signaal ROSE-actiegroep: instroom doelgroepmedewerkers ligt lager")
    labels = [t for t, _ in _buttons(_last(bot))]
    assert labels[:2] == ["Bron …", "Bestemmeling …"]
    await bot.press("Bron …")
    sources = [t for t, d in _buttons(_last(bot, "editMessageText")) if d.startswith("sb:")]
    assert sources
    assert "ROSE-actiegroep" in " ".join(sources)
    choice = next(t for t in sources if "ROSE" in t)
    [text] = await bot.press(choice)
    assert "Bron: " in text
    assert "ROSE" in text
    await bot.press("Bestemmeling …")
    [text] = await bot.press("VDAB")
    assert "Bestemmeling: VDAB" in text
    [text] = await bot.press("Doorgegeven")
    assert "Status: doorgegeven" in text
    remaining = [t for t, _ in _buttons(_last(bot, "editMessageText"))]
    assert "Doorgegeven" not in remaining
    assert "Beantwoord" in remaining
    signal = await _signal(bot, 1)
    assert signal.source_body_id == "rose-actiegroep"
    assert signal.addressee == "VDAB"
    assert signal.status == "doorgegeven"
    assert not bot.errors()


async def test_status_button_pressed_twice_changes_once(bot: Harness) -> None:
    await bot.say("/signaal wachtlijst maatwerk wordt langer")
    raw = bot.api.press("Doorgegeven")
    bot.api.updates.clear()
    await bot.deliver(raw)
    await bot.deliver(raw)  # the same update again: handled once
    async with bot.regie.store.sessions() as session:
        updates = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "update"))
        ).all()
    assert len(updates) == 1


async def test_signalen_pages_and_filters(bot: Harness) -> None:
    for i in range(23):
        await bot.say(f"/signaal signaal nummer {i} over mobiliteit")
    await bot.say("/signaal iets over taal")
    [first] = await bot.say("/signalen mobiliteit")
    assert "(23)" in first
    assert "pagina 1/3" in first
    assert "signaal nummer 22" in first
    assert "signaal nummer 12" not in first
    [second] = await bot.press("Meer ▸")
    assert "pagina 2/3" in second
    assert "signaal nummer 12" in second
    [third] = await bot.press("Meer ▸")
    assert "pagina 3/3" in third
    assert "Meer ▸" not in [t for t, _ in _buttons(_last(bot, "editMessageText"))]
    [unknown] = await bot.say("/signalen blablabla")
    assert "ken ik niet" in unknown
    [everything] = await bot.say("/signalen")
    assert "(24)" in everything
    assert not bot.errors()


async def test_signal_details_button_from_the_list(bot: Harness) -> None:
    await bot.say("/signaal instroom doelgroepmedewerkers ligt lager")
    await bot.say("/signalen open")
    [page] = await bot.press("📣 nr. 1")
    assert "Signaal nr. 1" in page
    assert "instroom doelgroepmedewerkers" in page


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        "🙂" * 1000,
        "مرحبا بالعالم هذا نص من اليمين إلى اليسار",
        "<script>alert(1)</script>'; DROP TABLE meetings; --",
        "/signaal " + "ש" * 4000,
        "/vergadering ROA 31/02/2026 over iets",
        "/vergadering ROA 15/03/2026 gisteren over iets",
        "/vergadering Xyzzy-overleg 15/03/2026",
    ],
)
async def test_bad_input_gets_one_valid_reply(bot: Harness, text: str) -> None:
    texts = await bot.say(text)
    assert len(texts) == 1
    assert texts[0].strip()
    assert all(len(t) <= 4096 for t in texts)
    assert not bot.errors()


async def test_a_command_with_the_bots_username_in_a_group(bot: Harness) -> None:
    username = bot.app.bot.username
    [text] = await bot.say(
        f"/signalen@{username} open", chat_id=DEFAULT_GROUP_ID, chat_type="group"
    )
    assert "Geen signalen" in text
    [text] = await bot.say(
        f"/zoek@{username} mobiliteit", chat_id=DEFAULT_GROUP_ID, chat_type="group"
    )
    assert "Acties" in text


async def test_admin_may_change_anyones_signal(bot: Harness) -> None:
    await bot.say(
        "/signaal wachtlijst maatwerk wordt langer", chat_id=DEFAULT_GROUP_ID, chat_type="group"
    )
    raw = bot.api.press("Afgesloten", chat_id=DEFAULT_GROUP_ID, user_id=ADMIN_ID)
    bot.api.updates.clear()
    await bot.deliver(raw)
    assert (await _signal(bot, 1)).status == "afgesloten"
    assert DEFAULT_USER_ID != ADMIN_ID
