"""Shortened text keeps whole words and says it was cut; cut HTML still parses."""

from __future__ import annotations

import pytest

from bot.domain.shorten import shorten
from handlers.format import button, fit
from tests.fakes.tghtml import parse_html


def test_a_text_that_fits_is_returned_as_it_is() -> None:
    name = "Regionaal Overleg Activering (ROA)"
    assert shorten(name, 40) == name


def test_a_long_name_is_cut_after_its_last_whole_word_with_an_ellipsis() -> None:
    name = "Stuurgroep samenwerkingsovereenkomst VDAB - lokale besturen"
    assert shorten(name, 40) == "Stuurgroep samenwerkingsovereenkomst…"


def test_a_cut_right_after_a_word_keeps_that_word() -> None:
    assert shorten("Werkgroep aanvullende dienstverlening regio", 38) == (
        "Werkgroep aanvullende dienstverlening…"
    )


def test_dangling_punctuation_before_the_ellipsis_is_dropped() -> None:
    assert shorten("Overleg W13 - STAM rond arbeidszorg", 14) == "Overleg W13…"
    assert shorten("taal, mobiliteit, jongeren", 12) == "taal…"


def test_one_word_longer_than_the_limit_is_cut_inside_it_rather_than_dropped() -> None:
    cut = shorten("https://www.werk.be/sociale-economie/maatwerk", 20)
    assert cut == "https://www.werk.be…"
    assert len(cut) == 20


@pytest.mark.parametrize("limit", [1, 2, 5, 13, 40, 64])
def test_the_result_never_exceeds_the_limit(limit: int) -> None:
    text = "Vlaams minister van Werk en Sociale Economie, departement WSE en VDAB"
    cut = shorten(text, limit)
    assert len(cut) <= limit
    assert cut.endswith("…")


def test_a_button_label_is_shortened_at_a_word_boundary() -> None:
    long = "Provinciale werkgroep sociale partners en lokale besturen West-Vlaanderen"
    assert button(long, "d:b:x").text == (
        "Provinciale werkgroep sociale partners en lokale besturen…"
    )
    assert button(long, "d:b:x", limit=40).text == "Provinciale werkgroep sociale partners…"


def test_fit_cuts_a_long_message_at_a_line_and_marks_it() -> None:
    lines = [f"• regel {i} over mobiliteit en vervoer naar het werk" for i in range(200)]
    text = fit("\n".join(lines), 500)
    assert len(text) <= 500
    assert text.endswith("\n…")
    assert text.splitlines()[-2] in lines  # the last line kept is whole


def test_fit_without_line_breaks_cuts_between_words() -> None:
    text = fit("woord " * 1000, 100)
    assert len(text) <= 100
    assert text.endswith("woord\n…")


def test_fit_closes_the_tags_open_at_the_cut_and_never_halves_a_tag_or_entity() -> None:
    body = "<b>Signaal</b>\n<i>" + "instroom &amp; doorstroom " * 400 + "</i>"
    for limit in range(300, 340):
        text = fit(body, limit)
        assert len(text) <= limit
        assert text.endswith("</i>\n…")
        parse_html(text)  # raises like Telegram's "can't parse entities"
