"""Dutch (Flemish, day-first) date expressions in a line of free text, for an injected today."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import OSA

# dateparser is not used: in 1.5 it misses "vorige dinsdag" and "volgende dinsdag", its
# search_dates finds only "dinsdag" inside "vorige dinsdag", it turns 31/02 into None without
# saying why, and its first call takes about 200 ms. These few forms are cheaper to own.

DUTCH_WEEKDAYS: Final = (
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
)  # fmt: skip
"""Indexed like `date.weekday()`: 0 is Monday."""
DUTCH_MONTHS: Final = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
"""Indexed by month - 1."""

MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2100


@dataclass(frozen=True, slots=True)
class DateParse:
    """The date found in a text, the words that said it, and the text without them."""

    date: date | None
    matched: str
    rest: str
    error: str | None = None
    spans: tuple[tuple[int, int], ...] = ()
    """Where in the text the date expressions were (start, end), in order."""


def format_date(day: date) -> str:
    """15/03/2026: the form the team writes and the bot answers in."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def format_date_long(day: date) -> str:
    """Dinsdag 17 maart 2026, for confirmations where the weekday helps catch a mistake."""
    return f"{DUTCH_WEEKDAYS[day.weekday()]} {day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


_MONTH_WORDS: Final[dict[str, int]] = {
    **{name: number for number, name in enumerate(DUTCH_MONTHS, start=1)},
    "jan": 1, "feb": 2, "febr": 2, "mrt": 3, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "sept": 9, "okt": 10, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAY_WORDS: Final[dict[str, int]] = {name: i for i, name in enumerate(DUTCH_WEEKDAYS)}
# Abbreviations only count right before an explicit date ("di 17/3"): alone, "zo" and "ma"
# are ordinary words.
_WEEKDAY_SHORT: Final[dict[str, int]] = {
    "ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6,
}  # fmt: skip
_NUMBER_WORDS: Final[dict[str, int]] = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
    "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}  # fmt: skip
_DAY_PARTS: Final = "voormiddag|namiddag|ochtend|morgen|middag|avond"
_RELATIVE_DAYS: Final[dict[str, int]] = {
    "vandaag": 0, "eergisteren": -2, "gisteren": -1, "gister": -1, "overmorgen": 2, "morgen": 1,
    **{f"van{part}": 0 for part in [*_DAY_PARTS.split("|"), "nacht"]},
    **{f"gister{part}": -1 for part in _DAY_PARTS.split("|")},
    **{f"gisteren{part}": -1 for part in _DAY_PARTS.split("|")},
    **{f"morgen{part}": 1 for part in [*_DAY_PARTS.split("|"), "vroeg"] if part != "morgen"},
}  # fmt: skip
_PAST_WORDS: Final = frozenset({"vorige", "vorig", "afgelopen", "voorbije", "laatste"})
_NEXT_WORDS: Final = frozenset({"volgende", "komende", "aanstaande"})


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "eergisteren" is tried before "gisteren" and "sept" before "sep".
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_WD = _alternation(_WEEKDAY_WORDS)
_WD_ANY = _alternation([*_WEEKDAY_WORDS, *_WEEKDAY_SHORT])
_MONTHS = _alternation(_MONTH_WORDS)
_NUM = _alternation(_NUMBER_WORDS)
_UNIT = "dagen|dag|weken|week|maanden|maand|jaren|jaar"
# Letters and digits on either side would make the match part of another word or number.
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"
_LEAD = r"(?:(?:op|van)\s+)?"  # "op 15 maart", "de vergadering van gisteren": drop them too

_EXPLICIT = re.compile(
    rf"{_START}(?P<lead>{_LEAD})(?P<expr>(?:(?P<wd>{_WD_ANY})\.?,?\s+(?:de\s+)?)?"
    r"(?:(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2})(?![\w/\-]|\.[0-9])"
    r"|(?<![/.\-])(?P<nd>[0-9]{1,2})(?P<sep>[/.\-])(?P<nm>[0-9]{1,2})"
    r"(?:(?P=sep)(?P<ny>[0-9]{4}|[0-9]{2}))?(?![\w/\-]|\.[0-9])"
    rf"|(?P<td>[0-9]{{1,2}})(?:ste|de|e)?\s+(?P<tm>{_MONTHS})\.?{_END}"
    r"(?:\s+(?P<ty>[0-9]{4})(?![\w/\-]|\.[0-9]))?))",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    rf"{_START}(?P<lead>{_LEAD})(?P<expr>"
    rf"(?:(?P<pre>{_alternation(_PAST_WORDS | _NEXT_WORDS)}|deze)\s+(?:(?P<week>week)\s+)?)?"
    rf"(?P<wd>{_WD})(?:{_DAY_PARTS})?{_END}"
    rf"(?:\s+(?:van\s+)?(?P<post>vorige|volgende|komende|deze)\s+week{_END})?)",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    rf"{_START}(?P<lead>{_LEAD})(?<!deze\s)(?P<expr>{_alternation(_RELATIVE_DAYS)}){_END}",
    re.IGNORECASE,
)
_OFFSET = re.compile(
    rf"{_START}(?P<lead>)(?P<expr>(?:(?P<ahead>over|binnen)\s+)?"
    rf"(?P<n>[0-9]{{1,3}}|{_NUM})\s+(?P<unit>{_UNIT}){_END}(?P<ago>\s+geleden{_END})?)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Found:
    start: int  # of the whole span to remove, including a leading "op"/"van"
    end: int
    matched: str
    day: date | None
    error: str | None


def _out_of_range(shown: str) -> str:
    return f"{shown} valt buiten de jaren {MIN_YEAR}-{MAX_YEAR} die de bot aanvaardt."


def _build(year: int, month: int, day: int) -> tuple[date | None, str | None]:
    shown = f"{day:02d}/{month:02d}/{year}"
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None, _out_of_range(shown)
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"{shown} bestaat niet."


def _checked(day: date) -> tuple[date | None, str | None]:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return None, _out_of_range(format_date(day))
    return day, None


def _full_year(digits: str | None, today: date) -> int:
    if digits is None:
        # A year-less date is in the current year, even when that puts it in the future:
        # guessing last year would silently log a planned meeting as held.
        return today.year
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _explicit(m: re.Match[str], today: date) -> tuple[date | None, str | None]:
    if m["iy"]:
        day, error = _build(int(m["iy"]), int(m["im"]), int(m["id"]))
    elif m["nd"]:
        if m["sep"] != "/" and m["ny"] is None:
            # Without a year, "2.3" is an action code and "10-12" a range far more often
            # than a date; only 15/3 is taken as one.
            return None, None
        day, error = _build(_full_year(m["ny"], today), int(m["nm"]), int(m["nd"]))
    else:
        month = _MONTH_WORDS[m["tm"].lower()]
        day, error = _build(_full_year(m["ty"], today), month, int(m["td"]))
    said = m["wd"]
    if day is not None and said:
        weekday = _WEEKDAY_WORDS.get(said.lower(), _WEEKDAY_SHORT.get(said.lower()))
        if weekday is not None and weekday != day.weekday():
            real = DUTCH_WEEKDAYS[day.weekday()]
            wrong = DUTCH_WEEKDAYS[weekday]
            return None, f"{format_date(day)} is een {real}, geen {wrong}."
    return day, error


def _weekday(m: re.Match[str], today: date) -> tuple[date | None, str | None]:
    target = _WEEKDAY_WORDS[m["wd"].lower()]
    pre = (m["pre"] or "").lower()
    week_word = (m["post"] or (pre if m["week"] else "")).lower()
    if week_word:
        # "vorige week dinsdag" is the Tuesday of last calendar week (Monday to Sunday),
        # not merely the last Tuesday: said on a Wednesday it is eight days back, not one.
        shift = -7 if week_word in _PAST_WORDS else 7 if week_word in _NEXT_WORDS else 0
        monday = today - timedelta(days=today.weekday())
        return _checked(monday + timedelta(days=shift + target))
    back = (today.weekday() - target) % 7
    if pre in _PAST_WORDS:
        return _checked(today - timedelta(days=back or 7))
    if pre in _NEXT_WORDS:
        return _checked(today + timedelta(days=(target - today.weekday()) % 7 or 7))
    if pre == "deze":
        return _checked(today + timedelta(days=target - today.weekday()))
    # A bare weekday means the last one, today included: meetings are mostly logged after.
    return _checked(today - timedelta(days=back))


def _relative(m: re.Match[str], today: date) -> tuple[date | None, str | None]:
    return _checked(today + timedelta(days=_RELATIVE_DAYS[m["expr"].lower()]))


def _add_months(day: date, months: int) -> date:
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    # 31 januari + 1 maand is the last day of February, as people count.
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _offset(m: re.Match[str], today: date) -> tuple[date | None, str | None]:
    ahead = bool(m["ahead"])
    if ahead == bool(m["ago"]):
        return None, None  # "3 dagen" alone is a duration, not a date
    raw = m["n"].lower()
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    count = count if ahead else -count
    unit = m["unit"].lower()
    if unit.startswith("dag"):
        return _checked(today + timedelta(days=count))
    if unit.startswith("we"):
        return _checked(today + timedelta(weeks=count))
    months = count * (12 if unit.startswith("ja") else 1)
    return _checked(_add_months(today, months))


_Resolver = Callable[[re.Match[str], date], tuple[date | None, str | None]]
_RULES: Final[tuple[tuple[re.Pattern[str], _Resolver], ...]] = (
    (_EXPLICIT, _explicit),
    (_WEEKDAY, _weekday),
    (_RELATIVE, _relative),
    (_OFFSET, _offset),
)


def _find_all(text: str, today: date) -> list[_Found]:
    found: list[_Found] = []
    for pattern, resolve in _RULES:
        for m in pattern.finditer(text):
            try:
                day, error = resolve(m, today)
            except (OverflowError, ValueError):
                day, error = None, f"{m['expr']} is geen geldige datum."
            if day is None and error is None:
                continue
            found.append(_Found(m.start(), m.end(), m["expr"], day, error))
    # Leftmost, then longest: "dinsdag 17/3" beats "dinsdag" alone.
    found.sort(key=lambda f: (f.start, f.start - f.end))
    kept: list[_Found] = []
    for item in found:
        if not kept or item.start >= kept[-1].end:
            kept.append(item)
    return kept


def _without(text: str, spans: list[_Found]) -> str:
    pieces: list[str] = []
    position = 0
    for item in spans:
        pieces.append(text[position : item.start])
        position = item.end
    pieces.append(text[position:])
    rest = re.sub(r"\s+", " ", " ".join(pieces))
    rest = re.sub(r"\s+([,;.:!?])", r"\1", rest)
    rest = re.sub(r"([,;])(?:\s*[,;])+", r"\1", rest)
    return rest.strip(" ,;")


def _listing(days: list[date]) -> str:
    shown = [format_date(day) for day in days]
    if len(shown) == 2:
        return f"Twee verschillende datums gevonden: {shown[0]} en {shown[1]}."
    return f"Verschillende datums gevonden: {', '.join(shown[:-1])} en {shown[-1]}."


def parse_dutch_date(text: str, *, today: date) -> DateParse:
    """Find the one date a line of Dutch text speaks of; never raises.

    Several expressions that name the same day ("gisteren, 17/3") are fine; different days or
    an impossible date give `error` and no `date`. `rest` is the text with every date
    expression (and a leading "op"/"van") removed, for the caller to parse further.
    """
    text = correct_date_typos(text)
    found = _find_all(text, today)
    if not found:
        return DateParse(date=None, matched="", rest=text.strip())
    rest = _without(text, found)
    spans = tuple((item.start, item.end) for item in found)
    for item in found:
        if item.error is not None:
            return DateParse(
                date=None, matched=item.matched, rest=rest, error=item.error, spans=spans
            )
    days: list[date] = []
    for item in found:
        if item.day is not None and item.day not in days:
            days.append(item.day)
    if len(days) > 1:
        return DateParse(
            date=None, matched=found[0].matched, rest=rest, error=_listing(days), spans=spans
        )
    return DateParse(date=days[0], matched=found[0].matched, rest=rest, spans=spans)


# --- typos of date words ---------------------------------------------------------------------

# Words people mistype on a phone ("gistren", "donderadg"). Only long words are corrected: a
# short word one letter off is usually another word ("morgen"/"zorgen", "zondag"/"zonder").
_TYPO_MIN_LENGTH: Final = 7
_TYPO_TARGETS: Final = tuple(
    word
    for word in (*_RELATIVE_DAYS, *DUTCH_WEEKDAYS, *DUTCH_MONTHS, "afgelopen", "volgende")
    if len(word) >= _TYPO_MIN_LENGTH
)
# Real Dutch words one letter away from a date word: never "corrected".
_REAL_WORDS: Final = frozenset(
    {
        "vandaar", "maandag", "maandags", "dinsdags", "woensdags", "donderdags", "vrijdags",
        "zaterdags", "zondags", "maandelijks", "volgend", "volgens", "afgelopen", "januaris",
        "augusti", "morgens", "avonden", "middagen", "ochtenden", "gisteren",
    }
)  # fmt: skip
_TYPO_WORD = re.compile(r"(?<![^\W_])[^\W\d_]{6,}(?![^\W_])")
_TARGET_SET: Final = frozenset(_TYPO_TARGETS)


def _correction(word: str) -> str | None:
    return _folded_correction(word.casefold())


@lru_cache(maxsize=4096)  # agenda words repeat: each is looked at once
def _folded_correction(folded: str) -> str | None:
    if folded in _TARGET_SET or folded in _REAL_WORDS or len(folded) < _TYPO_MIN_LENGTH - 1:
        return None
    close = process.extract(folded, _TYPO_TARGETS, scorer=OSA.distance, score_cutoff=1, limit=2)
    if len(close) != 1:
        return None  # none, or two date words equally close: no guess
    return str(close[0][0])


def correct_date_typos(text: str) -> str:
    """The text with one-letter typos of long date words fixed ("gistren" -> "gisteren")."""
    return _TYPO_WORD.sub(lambda m: _correction(m.group()) or m.group(), text)


# --- time of day -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeParse:
    """The time of day a text names ("om 14u", "14u30", "14:00"), and where it was."""

    time: time | None
    spans: tuple[tuple[int, int], ...] = ()
    error: str | None = None


_TIME_FORMS = (
    # 14u, 14u30, 14 uur, 14h, 14h30, 14.30u, 14:30u
    r"(?P<h1>[0-9]{1,2})(?:[:.](?P<m1>[0-9]{2}))?\s?(?:uur|u|h)(?P<m2>[0-9]{2})?",
    # 14:30 (a colon is never a date)
    r"(?P<h2>[0-9]{1,2}):(?P<m3>[0-9]{2})",
    # om 14.30, om 14
    r"(?<=om\s)(?P<h3>[0-9]{1,2})(?:\.(?P<m4>[0-9]{2}))?",
)
_ONE_TIME = "|".join(f"(?:{form})" for form in _TIME_FORMS)
_TIME_END = r"(?![^\W_]|[/.:][0-9])"
_TIME = re.compile(
    rf"{_START}(?:(?:om|vanaf|van|rond|tegen)\s+)?(?:{_ONE_TIME}){_TIME_END}"
    # "14u-16u", "van 14u tot 16u30": the end is read and dropped; the start is what is kept
    r"(?:\s*(?:-|–|tot)\s*[0-9]{1,2}(?:[:.][0-9]{2})?\s?(?:uur|u|h)?(?:[0-9]{2})?"
    rf"{_TIME_END})?",
    re.IGNORECASE,
)


def _first(m: re.Match[str], *groups: str) -> str | None:
    return next((m.group(g) for g in groups if m.group(g) is not None), None)


def parse_time_of_day(text: str) -> TimeParse:
    """Find the time of day a line names; never raises. An hour past 23 is an error."""
    spans: list[tuple[int, int]] = []
    found: time | None = None
    for m in _TIME.finditer(text):
        hour = int(_first(m, "h1", "h2", "h3") or 0)
        minute = int(_first(m, "m1", "m2", "m3", "m4") or 0)
        spans.append((m.start(), m.end()))
        if hour > 23 or minute > 59:
            shown = f"{hour}u{minute:02d}" if minute else f"{hour}u"
            return TimeParse(None, tuple(spans), f"{shown} is geen geldig uur.")
        if found is None:
            found = time(hour, minute)
        elif found != time(hour, minute):
            other = format_time(time(hour, minute))
            return TimeParse(
                None,
                tuple(spans),
                f"Twee verschillende uren gevonden: {format_time(found)} en {other}.",
            )
    return TimeParse(found, tuple(spans))


def format_time(moment: time) -> str:
    """14:00, as the bot shows a time of day."""
    return f"{moment.hour:02d}:{moment.minute:02d}"
