"""Dutch date expressions: a table against a fixed Wednesday, impossible and conflicting dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dutch_dates import (
    DUTCH_MONTHS,
    DUTCH_WEEKDAYS,
    MAX_YEAR,
    MIN_YEAR,
    format_date,
    format_date_long,
    parse_dutch_date,
)

TODAY = date(2026, 3, 18)  # a Wednesday


def test_the_fixed_today_is_a_wednesday() -> None:
    assert DUTCH_WEEKDAYS[TODAY.weekday()] == "woensdag"


EXPRESSIONS = [
    # relative days
    ("vandaag", date(2026, 3, 18)),
    ("gisteren", date(2026, 3, 17)),
    ("Gisteren", date(2026, 3, 17)),
    ("gister", date(2026, 3, 17)),
    ("eergisteren", date(2026, 3, 16)),
    ("morgen", date(2026, 3, 19)),
    ("overmorgen", date(2026, 3, 20)),
    ("vanmorgen", date(2026, 3, 18)),
    ("vanavond", date(2026, 3, 18)),
    ("gisteravond", date(2026, 3, 17)),
    ("gisternamiddag", date(2026, 3, 17)),
    ("morgenvroeg", date(2026, 3, 19)),
    # weekdays: past ones are strictly before today, a bare weekday may be today
    ("vorige dinsdag", date(2026, 3, 17)),
    ("afgelopen dinsdag", date(2026, 3, 17)),
    ("voorbije maandag", date(2026, 3, 16)),
    ("vorige woensdag", date(2026, 3, 11)),
    ("afgelopen donderdag", date(2026, 3, 12)),
    ("dinsdag", date(2026, 3, 17)),
    ("woensdag", date(2026, 3, 18)),
    ("donderdag", date(2026, 3, 12)),
    ("zondag", date(2026, 3, 15)),
    ("DINSDAG", date(2026, 3, 17)),
    ("dinsdagnamiddag", date(2026, 3, 17)),
    ("volgende dinsdag", date(2026, 3, 24)),
    ("volgende woensdag", date(2026, 3, 25)),
    ("komende vrijdag", date(2026, 3, 20)),
    ("aanstaande maandag", date(2026, 3, 23)),
    ("deze vrijdag", date(2026, 3, 20)),
    ("deze maandag", date(2026, 3, 16)),
    # calendar weeks run Monday to Sunday: last week's Tuesday is eight days back
    ("vorige week dinsdag", date(2026, 3, 10)),
    ("vorige week woensdag", date(2026, 3, 11)),
    ("dinsdag vorige week", date(2026, 3, 10)),
    ("dinsdag van vorige week", date(2026, 3, 10)),
    ("volgende week dinsdag", date(2026, 3, 24)),
    ("vrijdag volgende week", date(2026, 3, 27)),
    # numeric, day first
    ("15/3", date(2026, 3, 15)),
    ("15/03", date(2026, 3, 15)),
    ("1/1", date(2026, 1, 1)),
    ("15/03/2026", date(2026, 3, 15)),
    ("15/3/26", date(2026, 3, 15)),
    ("15-3-2026", date(2026, 3, 15)),
    ("15-03-26", date(2026, 3, 15)),
    ("15.03.26", date(2026, 3, 15)),
    ("15.03.2026", date(2026, 3, 15)),
    ("5/12/1995", date(1995, 12, 5)),
    ("29/02/2028", date(2028, 2, 29)),
    ("1/1/1990", date(1990, 1, 1)),
    ("31/12/2100", date(2100, 12, 31)),
    # ISO
    ("2026-03-15", date(2026, 3, 15)),
    ("2026-3-5", date(2026, 3, 5)),
    # month names and abbreviations
    ("15 maart 2026", date(2026, 3, 15)),
    ("15 Maart", date(2026, 3, 15)),
    ("15 mrt", date(2026, 3, 15)),
    ("15 mrt.", date(2026, 3, 15)),
    ("1ste april", date(2026, 4, 1)),
    ("2de februari", date(2026, 2, 2)),
    ("3 sept 2025", date(2025, 9, 3)),
    ("7 okt", date(2026, 10, 7)),
    ("24 december 2025", date(2025, 12, 24)),
    ("1 mei", date(2026, 5, 1)),
    # a weekday before an explicit date is a check, not a second date
    ("dinsdag 17 maart", date(2026, 3, 17)),
    ("dinsdag, 17/3", date(2026, 3, 17)),
    ("di 17/3", date(2026, 3, 17)),
    ("woensdag 18 maart 2026", date(2026, 3, 18)),
    # counted back or ahead
    ("1 week geleden", date(2026, 3, 11)),
    ("3 dagen geleden", date(2026, 3, 15)),
    ("een dag geleden", date(2026, 3, 17)),
    ("twee weken geleden", date(2026, 3, 4)),
    ("een maand geleden", date(2026, 2, 18)),
    ("1 jaar geleden", date(2025, 3, 18)),
    ("over 2 weken", date(2026, 4, 1)),
    ("binnen 3 dagen", date(2026, 3, 21)),
    # in a sentence, with the usual little words around it
    ("op 15 maart", date(2026, 3, 15)),
    ("de vergadering van gisteren", date(2026, 3, 17)),
    ("ROA 15/03/2026 capacity building, doelgroepanalyse", date(2026, 3, 15)),
    ("actiegroep rose gisteren over individueel maatwerk", date(2026, 3, 17)),
    ("gisteren (17/3) met de ROA", date(2026, 3, 17)),
]


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_a_dutch_date_expression_resolves_to_the_expected_day(text: str, expected: date) -> None:
    parsed = parse_dutch_date(text, today=TODAY)
    assert parsed.error is None
    assert parsed.date == expected


def test_a_month_end_counted_back_lands_on_the_last_day_of_the_shorter_month() -> None:
    assert parse_dutch_date("1 maand geleden", today=date(2026, 3, 31)).date == date(2026, 2, 28)
    assert parse_dutch_date("1 maand geleden", today=date(2028, 3, 31)).date == date(2028, 2, 29)


def test_a_yearless_date_takes_the_current_year_even_when_that_is_in_the_future() -> None:
    assert parse_dutch_date("15/12", today=date(2027, 1, 2)).date == date(2027, 12, 15)


ERRORS = [
    ("31/02/2026", "31/02/2026 bestaat niet."),
    ("29/02/2027", "29/02/2027 bestaat niet."),
    ("31/4", "31/04/2026 bestaat niet."),
    ("15/13/2026", "15/13/2026 bestaat niet."),
    ("30 februari", "30/02/2026 bestaat niet."),
    ("32 maart 2026", "32/03/2026 bestaat niet."),
    ("2026-02-30", "30/02/2026 bestaat niet."),
    ("31.02.26", "31/02/2026 bestaat niet."),
    ("15/3/1850", "15/03/1850 valt buiten de jaren 1990-2100 die de bot aanvaardt."),
    ("2101-01-01", "01/01/2101 valt buiten de jaren 1990-2100 die de bot aanvaardt."),
    ("999 jaar geleden", "18/03/1027 valt buiten de jaren 1990-2100 die de bot aanvaardt."),
    ("woensdag 17/3", "17/03/2026 is een dinsdag, geen woensdag."),
    ("12/03/2026 en 15/03/2026", "Twee verschillende datums gevonden: 12/03/2026 en 15/03/2026."),
    ("gisteren of eergisteren", "Twee verschillende datums gevonden: 17/03/2026 en 16/03/2026."),
    (
        "1/3, 2/3 en 3/3",
        "Verschillende datums gevonden: 01/03/2026, 02/03/2026 en 03/03/2026.",
    ),
    # an impossible date is named even when a good one stands beside it
    ("gisteren of 31/02", "31/02/2026 bestaat niet."),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_an_impossible_or_conflicting_date_gives_a_dutch_message_and_no_date(
    text: str, message: str
) -> None:
    parsed = parse_dutch_date(text, today=TODAY)
    assert parsed.date is None
    assert parsed.error == message


NOT_DATES = [
    "",
    "   ",
    "ROA capacity building",
    "actie 2.3.2",
    "actie 2.3",
    "10-12 deelnemers",
    "3 dagen",
    "deze morgen",
    "maart",
    "zondagswerk",
    "2026",
    "15",
    "mobiliteit en werk",
    "over 3 thema's",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_text_without_a_date_gives_no_date_and_no_error(text: str) -> None:
    parsed = parse_dutch_date(text, today=TODAY)
    assert parsed == parsed.__class__(date=None, matched="", rest=text.strip(), error=None)


def test_two_expressions_for_the_same_day_are_not_a_conflict() -> None:
    parsed = parse_dutch_date("gisteren, 17/3, over de planning", today=TODAY)
    assert parsed.date == date(2026, 3, 17)
    assert parsed.error is None
    assert parsed.matched == "gisteren"
    assert parsed.rest == "over de planning"


@pytest.mark.parametrize(
    ("text", "matched", "rest"),
    [
        (
            "ROA 15/03/2026 capacity building, doelgroepanalyse",
            "15/03/2026",
            "ROA capacity building, doelgroepanalyse",
        ),
        (
            "actiegroep rose gisteren over individueel maatwerk en mobiliteit",
            "gisteren",
            "actiegroep rose over individueel maatwerk en mobiliteit",
        ),
        ("ROA op 15 mrt. over de begroting", "15 mrt.", "ROA over de begroting"),
        ("de vergadering van vorige week dinsdag", "vorige week dinsdag", "de vergadering"),
        ("ROA, 15/3, capacity building", "15/3", "ROA, capacity building"),
    ],
)
def test_the_date_words_are_cut_out_of_the_rest(text: str, matched: str, rest: str) -> None:
    parsed = parse_dutch_date(text, today=TODAY)
    assert (parsed.matched, parsed.rest) == (matched, rest)


def test_dates_are_formatted_day_first_with_leading_zeros() -> None:
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert format_date_long(date(2026, 3, 17)) == "dinsdag 17 maart 2026"
    assert DUTCH_MONTHS[2] == "maart"
    assert len(DUTCH_WEEKDAYS) == 7
    assert len(DUTCH_MONTHS) == 12


# dateparser handles these standalone forms; where it does, both must agree.
AGREES_WITH_DATEPARSER = [
    "vandaag", "gisteren", "eergisteren", "morgen", "overmorgen", "15/3", "15/03/2026",
    "15 maart 2026", "15 maart", "15 mrt", "2026-03-15", "3 dagen geleden", "1 week geleden",
    "dinsdag",
]  # fmt: skip


@pytest.mark.parametrize("text", AGREES_WITH_DATEPARSER)
def test_the_hand_written_parser_agrees_with_dateparser_where_dateparser_works(text: str) -> None:
    dateparser = pytest.importorskip("dateparser")
    theirs = dateparser.parse(
        text,
        languages=["nl"],
        settings={"DATE_ORDER": "DMY", "RELATIVE_BASE": datetime(2026, 3, 18)},
    )
    assert theirs is not None
    assert parse_dutch_date(text, today=TODAY).date == theirs.date()


todays = st.dates(min_value=date(1991, 1, 1), max_value=date(2099, 12, 31))


@given(text=st.text(max_size=300), today=todays)
@settings(max_examples=400, deadline=None)
def test_arbitrary_text_never_raises_and_the_result_is_consistent(text: str, today: date) -> None:
    parsed = parse_dutch_date(text, today=today)
    assert parsed.date is None or parsed.error is None
    assert parsed.matched in text
    if parsed.date is not None:
        assert MIN_YEAR <= parsed.date.year <= MAX_YEAR


date_words = st.sampled_from(
    ["gisteren", "vorige", "week", "dinsdag", "15/3", "31/02", "maart", "2026", "op", "van",
     "geleden", "3", "dagen", "over", "een", "de", "-", ".", "/", ",", " ", "vandaag", "mrt"]
)  # fmt: skip


@given(words=st.lists(date_words, max_size=12), today=todays)
@settings(max_examples=400, deadline=None)
def test_date_like_word_salad_never_raises(words: list[str], today: date) -> None:
    parse_dutch_date(" ".join(words), today=today)


@given(day=st.integers(0, 40), month=st.integers(0, 14), year=st.integers(1900, 2200))
@settings(max_examples=300, deadline=None)
def test_a_numeric_date_is_accepted_exactly_when_it_is_a_real_day_in_range(
    day: int, month: int, year: int
) -> None:
    parsed = parse_dutch_date(f"{day}/{month}/{year}", today=TODAY)
    try:
        real: date | None = date(year, month, day)
    except ValueError:
        real = None
    if real is not None and MIN_YEAR <= year <= MAX_YEAR:
        assert parsed.date == real
    else:
        assert parsed.date is None
        assert parsed.error is not None


@given(today=todays, weekday=st.integers(0, 6))
@settings(max_examples=200, deadline=None)
def test_weekday_words_land_on_that_weekday_in_the_promised_week(
    today: date, weekday: int
) -> None:
    name = DUTCH_WEEKDAYS[weekday]
    bare = parse_dutch_date(name, today=today).date
    past = parse_dutch_date(f"vorige {name}", today=today).date
    coming = parse_dutch_date(f"volgende {name}", today=today).date
    last_week = parse_dutch_date(f"vorige week {name}", today=today).date
    assert bare is not None
    assert past is not None
    assert coming is not None
    assert last_week is not None
    assert {d.weekday() for d in (bare, past, coming, last_week)} == {weekday}
    assert 0 <= (today - bare).days <= 6
    assert 1 <= (today - past).days <= 7
    assert 1 <= (coming - today).days <= 7
    monday = today - timedelta(days=today.weekday())
    assert monday - timedelta(days=7) <= last_week < monday
