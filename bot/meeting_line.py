"""One /vergadering line read into a meeting draft: which body, which date, which agenda topics."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.dutch_dates import parse_dutch_date

MIN_SCORE: Final = 50.0
"""A window of words scoring this much for some body is taken as a reference to a body."""
ACCEPT_SCORE: Final = 70.0
"""The best body must score this much ..."""
MARGIN: Final = 15.0
"""... and this much more than the runner-up to be chosen without asking."""
FULL_ALIAS_SCORE: Final = 95.0
"""After the first topic marker only a (nearly) whole name counts: topics mention bodies' words."""
MAX_CANDIDATES: Final = 5
MIN_FUZZY_LENGTH: Final = 5
"""Shorter words (ROA, LDE, AZ, ROSE) must match exactly: one letter off is another acronym."""
BODY_SEARCH_WORDS: Final = 60
"""The body is named near the start; looking further only costs time on 4096-character input."""
PRECISION_SHARE: Final = 0.6
"""How a window scores for a body: this share precision, the rest coverage (see _score)."""
LONGER_NAME_BONUS: Final = 8.0
"""Per extra word when choosing among overlapping windows: "actiegreop rose" beats "rose"."""

MeetingStatus = Literal["held", "planned"]


@dataclass(frozen=True, slots=True)
class BodyName:
    """What a body is called: its id, display name and the other names the team uses."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class MeetingDraft:
    """What a /vergadering line said, and in Dutch what is still missing or unclear.

    `body_candidates` ranks the bodies the line may name (score >= MIN_SCORE, best first), also
    when one was chosen; it is empty when no words looked like a body's name. `status` is
    "planned" only for a date after today.
    """

    body_id: str | None
    body_candidates: list[tuple[str, float]]
    date: date | None
    date_error: str | None
    topics: list[str]
    status: MeetingStatus
    problems: list[str]
    body_text: str = ""  # the words taken as the body's name, as typed


_COMMAND = re.compile(r"^\s*/vergadering(?:@\w+)?(?![^\W_])", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
# Small words inside names ("AV van ROSE", "overleg met STAM"): they may sit inside a matched
# name but never start or end one, and say nothing about which body is meant.
_GLUE: Final = frozenset({"van", "de", "het", "op", "en", "met", "over", "rond", "vanuit", "der"})
_GLUE_WEIGHT: Final = 0.1
# Where the agenda starts. "overleg over arbeidszorg" and "Overleg rond AZ" are names, not agenda.
_TOPIC_MARKER = re.compile(
    r"[,;:\n]|(?<!overleg\s)(?<![^\W_])(?:over|rond|agenda|betreffende)(?![^\W_])", re.IGNORECASE
)
_TOPIC_SPLIT = re.compile(r"[,;\n]+|\s+(?:en|&|\+)\s+", re.IGNORECASE)
_TOPIC_LEAD = re.compile(
    r"^(?:(?:met\s+)?als\s+agenda|agenda|over|rond|betreffende|i\.?v\.?m\.?|[:\-–—.])\s*",
    re.IGNORECASE,
)
_FILLER: Final = frozenset(
    {"de", "het", "van", "met", "bij", "op", "en", "met de", "van de", "bij de", "samen met"}
)


@dataclass(frozen=True, slots=True)
class _Alias:
    body: str
    words: tuple[str, ...]
    weights: tuple[float, ...]
    total: float


@dataclass(frozen=True, slots=True)
class _Index:
    aliases: dict[str, tuple[_Alias, ...]]  # body id -> its names as words
    owners: dict[str, frozenset[str]]  # name word -> bodies that use it
    long_words: tuple[str, ...]  # name words that may be matched with typos
    glue: frozenset[str]  # glue words that occur inside some name
    names: dict[str, str]
    longest: int


def _fold(text: str) -> str:
    # Not bot.search.text.fold: that module loads the stemmer, which parsing does not need.
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    return [_fold(word) for word in _WORD.findall(text)]


def _spellings(body: BodyName) -> Iterator[str]:
    yield body.name
    yield from body.aliases
    # "Regionaal Overleg Activering (ROA)": both the long name and the acronym on its own.
    inner = re.search(r"\(([^)]*)\)", body.name)
    if inner:
        yield inner.group(1)
        yield body.name.replace(inner.group(0), " ")


@lru_cache(maxsize=8)
def _index(bodies: tuple[BodyName, ...]) -> _Index:
    spelled = {body.id: {tuple(_words(s)) for s in _spellings(body)} - {()} for body in bodies}
    owners: dict[str, set[str]] = {}
    for body_id, spellings in spelled.items():
        for words in spellings:
            for word in words:
                if word not in _GLUE:
                    owners.setdefault(word, set()).add(body_id)

    def weight(word: str) -> float:
        # A word few bodies share says more about which body is meant (ROA: 1, overleg: 1/5).
        return _GLUE_WEIGHT if word in _GLUE else 1 / len(owners[word])

    aliases: dict[str, tuple[_Alias, ...]] = {}
    for body_id, spellings in spelled.items():
        made = []
        for words in sorted(spellings):
            weights = tuple(weight(word) for word in words)
            made.append(_Alias(body_id, words, weights, sum(weights)))
        aliases[body_id] = tuple(made)
    all_words = {word for spellings in spelled.values() for words in spellings for word in words}
    return _Index(
        aliases=aliases,
        owners={word: frozenset(ids) for word, ids in owners.items()},
        long_words=tuple(sorted(w for w in owners if len(w) >= MIN_FUZZY_LENGTH)),
        glue=frozenset(all_words & _GLUE),
        names={body.id: body.name for body in bodies},
        longest=max((len(w) for s in spelled.values() for w in s), default=1),
    )


@dataclass(frozen=True, slots=True)
class _Token:
    word: str  # folded
    start: int
    end: int
    glue: bool
    similar: dict[str, float]  # name word -> similarity 0..1
    bodies: dict[str, float]  # body id -> best similarity of its name words
    weight: float


def _tokens(text: str, index: _Index) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _WORD.finditer(text):
        word = _fold(m.group())
        similar: dict[str, float] = {}
        if word in index.owners:
            similar[word] = 1.0
        elif len(word) >= MIN_FUZZY_LENGTH:
            edits = 1 if len(word) <= 7 else 2  # "actiegreop", "vervoersregio kortijk"
            for found, distance, _ in process.extract(
                word, index.long_words, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                similar[found] = 1 - distance / max(len(word), len(found))
        bodies: dict[str, float] = {}
        for found, sim in similar.items():
            for body_id in index.owners[found]:
                bodies[body_id] = max(bodies.get(body_id, 0.0), sim)
        glue = word in index.glue and not similar
        weight = 1 / len(bodies) if bodies else 0.0
        tokens.append(_Token(word, m.start(), m.end(), glue, similar, bodies, weight))
    return tokens


def _score(window: Sequence[_Token], body_id: str, index: _Index) -> float:
    """0-100: how surely these typed words name this body.

    Precision: the share of the words' evidence that points to this body, each word weighted
    by how few bodies use it, so "ROA" counts fully and "stuurgroep" (five bodies) a fifth.
    Coverage: how much of the body's best-covered name was typed. Both are needed: "rose"
    alone covers the whole alias ROSE of the algemene vergadering but only half of
    "ROSE-actiegroep"; "actiegroep rose" is precise for the actiegroep only.
    """
    named = [t for t in window if not t.glue]
    total = sum(t.weight for t in named)
    precision = sum(t.weight * t.bodies.get(body_id, 0.0) for t in named) / total
    coverage = 0.0
    for alias in index.aliases[body_id]:
        got = 0.0
        for word, word_weight in zip(alias.words, alias.weights, strict=True):
            best = max(
                (1.0 if t.glue and t.word == word else t.similar.get(word, 0.0) for t in window),
                default=0.0,
            )
            got += word_weight * best
        coverage = max(coverage, got / alias.total)
    return 100 * (PRECISION_SHARE * precision + (1 - PRECISION_SHARE) * coverage)


def _ranked(window: Sequence[_Token], index: _Index) -> list[tuple[str, float]]:
    ids = {body_id for t in window for body_id in t.bodies}
    scored = [(body_id, round(_score(window, body_id, index), 1)) for body_id in ids]
    scored.sort(key=lambda pair: (-pair[1], index.names[pair[0]]))
    return scored


def _windows(tokens: list[_Token], text: str, longest: int) -> Iterator[tuple[int, int]]:
    """Spans [i, j] of name-like words, not crossing punctuation, not ending on glue."""
    for i, first in enumerate(tokens):
        if not first.bodies:
            continue
        for j in range(i, min(i + longest, len(tokens))):
            if j > i and (
                not (tokens[j].bodies or tokens[j].glue)
                or re.search(r"[,;:!?\n]", text[tokens[j - 1].end : tokens[j].start])
            ):
                break
            if tokens[j].bodies:
                yield i, j


@dataclass(frozen=True, slots=True)
class _BodyMatch:
    start: int  # character offsets of the name in the text
    end: int
    ranked: list[tuple[str, float]]


def _find_body(text: str, index: _Index, head_end: int) -> _BodyMatch | None:
    tokens = _tokens(text, index)[:BODY_SEARCH_WORDS]
    best: tuple[float, int, int, int, list[tuple[str, float]]] | None = None
    fallback: tuple[int, int, list[tuple[str, float]]] | None = None
    run_end = -1
    for i, j in _windows(tokens, text, index.longest):
        in_head = tokens[j].end <= head_end
        if best is not None and i > run_end:
            break  # the first run of name-like words in the head that names a body wins
        ranked = _ranked(tokens[i : j + 1], index)
        top = ranked[0][1]
        if in_head and top >= MIN_SCORE:
            named = sum(not t.glue for t in tokens[i : j + 1])
            key = (top + LONGER_NAME_BONUS * (named - 1), -i)
            if best is None or key > best[:2]:
                best = (*key, i, j, ranked)
            run_end = max(run_end, j)
        elif not in_head and top >= FULL_ALIAS_SCORE and fallback is None:
            fallback = (i, j, ranked)
    if best is not None:
        _, _, i, j, ranked = best
    elif fallback is not None:
        i, j, ranked = fallback
    else:
        return None
    kept = [pair for pair in ranked if pair[1] >= MIN_SCORE][:MAX_CANDIDATES]
    start, end = tokens[i].start, tokens[j].end
    if text[start:end].count("(") > text[start:end].count(")") and text[end : end + 1] == ")":
        end += 1  # "Regionaal Overleg Activering (ROA)" typed in full
    return _BodyMatch(start, end, kept)


def _head_end(text: str) -> int:
    marker = _TOPIC_MARKER.search(text)
    return marker.start() if marker else len(text)


def match_body(text: str, bodies: Sequence[BodyName]) -> list[tuple[str, float]]:
    """Bodies the text names, best first with scores 0-100; empty when it names none."""
    found = _find_body(unicodedata.normalize("NFC", text), _index(tuple(bodies)), len(text) + 1)
    return found.ranked if found else []


def pick_body(candidates: Sequence[tuple[str, float]]) -> str | None:
    """The one body the candidates clearly point to, or None when the user should choose."""
    if not candidates or candidates[0][1] < ACCEPT_SCORE:
        return None
    if len(candidates) > 1 and candidates[0][1] - candidates[1][1] < MARGIN:
        return None
    return candidates[0][0]


def split_topics(text: str) -> list[str]:
    """Agenda topics: split on commas, semicolons and " en ", without a leading "over"."""
    topics: list[str] = []
    seen: set[str] = set()
    for piece in _TOPIC_SPLIT.split(text):
        topic = " ".join(piece.split())  # also folds control whitespace such as \x1f
        while (stripped := _TOPIC_LEAD.sub("", topic, count=1).strip()) != topic:
            topic = stripped
        while (stripped := topic.strip(" .!?:-–—()[]\"'").strip()) != topic:
            topic = stripped
        key = _fold(topic)
        if not _WORD.search(topic) or key in _FILLER or key in seen:
            continue
        seen.add(key)
        topics.append(topic)
    return topics


def split_names(text: str) -> list[str]:
    """Names in a list such as "VDAB, STAM en Leiedal" (commas, semicolons, " en ")."""
    names: list[str] = []
    for piece in _TOPIC_SPLIT.split(text):
        name = " ".join(piece.split()).strip(" .!?:()[]\"'")
        if _WORD.search(name) and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def _names(ids: Sequence[str], names: dict[str, str]) -> str:
    shown = [names[body_id] for body_id in ids]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} of {shown[-1]}"


def parse_meeting_line(text: str, *, today: date, bodies: Sequence[BodyName]) -> MeetingDraft:
    """Read "/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse"; never raises.

    The date is taken out first, then the body: the first run of name-like words before the
    agenda starts (a comma, ":" or "over"/"rond"), or a whole name anywhere. What is left are
    the topics. A date after `today` makes the meeting planned.
    """
    index = _index(tuple(bodies))
    line = _COMMAND.sub("", unicodedata.normalize("NFC", text), count=1)
    when = parse_dutch_date(line, today=today)
    rest = when.rest
    found = _find_body(rest, index, _head_end(rest))
    problems: list[str] = []
    body_id: str | None = None
    candidates: list[tuple[str, float]] = []
    body_text = ""
    if found is None:
        problems.append(
            "Welk overlegorgaan? Ik herkende er geen in je bericht; noem het, "
            "bv. ROA of actiegroep ROSE."
        )
    else:
        candidates = found.ranked
        body_id = pick_body(candidates)
        body_text = rest[found.start : found.end]
        before = rest[: found.start].strip(" ,;:")
        after = rest[found.end :]
        rest = after if _fold(before) in _FILLER | {""} else f"{before}, {after}"
        if body_id is None:
            close = [c for c, score in candidates if score >= candidates[0][1] - MARGIN]
            problems.append(f"Welk overlegorgaan bedoel je: {_names(close[:3], index.names)}?")
    if when.error is not None:
        problems.append(when.error)
    elif when.date is None:
        problems.append(
            "Wanneer was de vergadering? Ik vond geen datum; bv. gisteren, "
            "vorige dinsdag of 15/03/2026."
        )
    planned = when.date is not None and when.date > today
    return MeetingDraft(
        body_id=body_id,
        body_candidates=candidates,
        date=when.date,
        date_error=when.error,
        topics=split_topics(rest),
        status="planned" if planned else "held",
        problems=problems,
        body_text=body_text,
    )
