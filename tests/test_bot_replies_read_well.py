"""Rough edges a user hits: /annuleer with nothing going on, labels and texts cut mid-word,
one thing listed twice in an answer or among the [Bron …] choices."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.bot_harness import Harness, close_harness, make_harness

pytestmark = pytest.mark.asyncio

WORD_END = re.compile(r"[\w)]$")


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    try:
        yield h
    finally:
        await close_harness(h)


def _labels(call: Any) -> list[str]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def _last(h: Harness, *methods: str) -> Any:
    return [c for c in h.api.calls if c.method in (methods or ("sendMessage",))][-1]


def _assert_whole_words(shown: str, full: str) -> None:
    """`shown` is `full`, or its first whole words followed by "…"."""
    if shown == full:
        return
    assert shown.endswith("…"), shown
    kept = shown.removesuffix("…")
    assert full.startswith(kept), (shown, full)
    assert full[len(kept)] in " ,;:-", f"cut mid-word: {shown!r} of {full!r}"


# --- /annuleer --------------------------------------------------------------------------------


async def test_annuleer_with_no_conversation_going_on_says_there_is_nothing_to_cancel(
    bot: Harness,
) -> None:
    assert await bot.say("/annuleer") == ["Er is niets om te annuleren."]
    assert not bot.errors()


async def test_annuleer_during_the_meeting_conversation_still_cancels_it(bot: Harness) -> None:
    [question] = await bot.say("/vergadering")
    assert "Welk overlegorgaan" in question
    assert await bot.say("/annuleer") == ["Geannuleerd; er is niets opgeslagen."]
    assert await bot.say("/annuleer") == ["Er is niets om te annuleren."]


# --- button labels ----------------------------------------------------------------------------


async def test_a_long_body_name_on_a_details_button_ends_in_a_whole_word_and_an_ellipsis(
    bot: Harness,
) -> None:
    await bot.say("stuurgroep samenwerkingsovereenkomst")
    labels = _labels(_last(bot))
    [label] = [t for t in labels if "Stuurgroep samenwerkingsovereenkomst" in t]
    assert label.endswith("Stuurgroep samenwerkingsovereenkomst…")
    assert len(label) <= 40
    assert not bot.errors()


async def test_source_and_addressee_buttons_are_cut_between_words(bot: Harness) -> None:
    await bot.say(
        "/signaal de stuurgroep samenwerkingsovereenkomst VDAB - lokale besturen vraagt "
        "cijfers over de instroom van doelgroepmedewerkers"
    )
    await bot.press("Bron …")
    sources = _labels(_last(bot, "editMessageText"))
    full = "Stuurgroep samenwerkingsovereenkomst VDAB - lokale besturen"
    assert "Stuurgroep samenwerkingsovereenkomst…" in sources
    for label in sources:
        assert not label.endswith("VDA"), label
    [text] = await bot.press("Stuurgroep samenwerkingsovereenkomst…")
    assert f"Bron: {full}" in text
    await bot.press("Bestemmeling …")
    addressees = _labels(_last(bot, "editMessageText"))
    minister = next(t for t in addressees if t.startswith("Vlaams minister"))
    _assert_whole_words(minister, "Vlaams minister van Werk en Sociale Economie")
    assert all(len(t) <= 40 for t in sources + addressees)
    assert not bot.errors()


# --- one thing listed once --------------------------------------------------------------------


async def test_paragraphs_under_one_document_heading_are_one_entry_in_the_answer(
    bot: Harness,
) -> None:
    [answer] = await bot.say("LDE-fabriek")
    documents = answer.split("<b>Documenten</b>", 1)[1].split("\n\n<b>", 1)[0]
    entries = [line for line in documents.splitlines() if line.startswith("• ")]
    assert len(entries) == len(set(entries)), entries
    assert sum("LDE-fabriek" in line for line in entries) == 1
    assert not bot.errors()


async def test_two_meetings_of_one_body_in_an_answer_are_told_apart_by_their_date(
    bot: Harness,
) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    await bot.say("/vergadering ROA 02/03/2026 capacity building en doelgroepanalyse")
    [answer] = await bot.say("capacity building")
    meetings = answer.split("<b>Vergaderingen</b>", 1)[1].split("\n\n<b>", 1)[0]
    entries = [line for line in meetings.splitlines() if line.startswith("• ")]
    assert len(entries) == 2
    assert any("15/03/2026" in line for line in entries)
    assert any("02/03/2026" in line for line in entries)
    buttons = [t for t in _labels(_last(bot)) if t.startswith("📅")]
    assert len(buttons) == len(set(buttons)) == 2, buttons
    assert not bot.errors()


async def test_a_body_and_a_partner_of_one_name_are_one_source_choice(bot: Harness) -> None:
    await bot.say("/signaal Vervoersregio Kortrijk vraagt betere busverbindingen naar de zoning")
    await bot.press("Bron …")
    sources = _labels(_last(bot, "editMessageText"))
    assert sources.count("Vervoersregio Kortrijk") == 1, sources
    assert not bot.errors()


# --- texts cut between words ------------------------------------------------------------------


async def test_signalen_shows_a_long_signal_up_to_a_whole_word_and_an_ellipsis(
    bot: Harness,
) -> None:
    text = (
        "Werkgevers uit de regio Kortrijk melden dat de instroom van doelgroepmedewerkers in "
        "het maatwerkbedrijf achterblijft omdat het openbaar vervoer naar de industriezones "
        "ontoereikend is"
    )
    await bot.say(f"/signaal {text}")
    [listing] = await bot.say("/signalen")
    line = next(row for row in listing.splitlines() if "Werkgevers" in row)
    shown = line.split("] ", 1)[1].split(" <i>nr.", 1)[0]
    assert shown != text
    _assert_whole_words(shown, text)
    assert not bot.errors()


async def test_orgaan_lists_long_action_titles_up_to_a_whole_word_and_an_ellipsis(
    bot: Harness,
) -> None:
    [page] = await bot.say("/orgaan ROA")
    listed = [a for a in bot.regie.snapshot["actions"] if "roa" in a.get("bodies", [])][:8]
    assert any(len(a["title"]) > 60 for a in listed)
    line = next(row for row in page.splitlines() if row.startswith("Acties: "))
    starts, at = [], len("Acties: ")
    for action in listed:  # in the order they are listed
        at = line.index(f"{action['code']} ", at)
        starts.append(at)
    for action, start, end in zip(listed, starts, [*starts[1:], len(line) + 2], strict=True):
        shown = line[start + len(action["code"]) + 1 : end - 2]
        _assert_whole_words(shown.replace("&amp;", "&"), action["title"])
    assert not bot.errors()
