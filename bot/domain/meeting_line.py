"""One /vergadering line read into a meeting draft: which body, which date and time, which agenda.

The order people type carries meaning: in "/vergadering BODY DATE AGENDA" the words before the
date name the body and everything after it is agenda, so an agenda that names another body
("actiegroep 12/11 stuurgroep langdurig zieken terugkoppeling") never changes the body. With the
date first, the body is the first name-like run after it, before the agenda starts ("gisteren
ROA over ..."). A body is chosen only when it is certain; otherwise the draft carries the
candidates to ask about. A partner, theme or action named where the body should be is not a
body: its bodies become the candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain.dutch_dates import correct_date_typos, parse_dutch_date, parse_time_of_day

MIN_SCORE: Final = 50.0
"""A window of words scoring this much for some body is taken as a reference to a body."""
ACCEPT_SCORE: Final = 70.0
"""The best body must score this much ..."""
MARGIN: Final = 15.0
"""... and this much more than the runner-up to be chosen without asking."""
FULL_ALIAS_SCORE: Final = 95.0
"""After the first topic marker only a (nearly) whole name counts: topics mention bodies' words."""
MAX_CANDIDATES: Final = 6
MIN_FUZZY_LENGTH: Final = 5
"""Shorter words (ROA, LDE, AZ, ROSE) must match exactly: one letter off is another acronym."""
BODY_SEARCH_WORDS: Final = 60
"""The body is named near the start; looking further only costs time on 4096-character input."""
PRECISION_SHARE: Final = 0.6
"""How a window scores for a body: this share precision, the rest coverage (see _score)."""
LONGER_NAME_BONUS: Final = 8.0
"""Per extra word when choosing among overlapping windows: "actiegreop rose" beats "rose"."""
REF_COVERAGE: Final = 1.0
"""A partner's or theme's name alone picks a body only when it is that body's whole name or
alias ("vervoersregio"); when it is a part of it ("STAM" in "overleg met STAM", "VDAB" in the
stuurgroep's name) the bot asks, with the bodies it belongs to as choices."""

MeetingStatus = Literal["held", "planned"]


@dataclass(frozen=True, slots=True)
class BodyName:
    """What a body is called: its id, display name and the other names the team uses."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    first_year: int | None = None
    last_year: int | None = None  # the last year it met; None while it runs
    organised: bool = False  # W13 organises it (trekker or facilitator)
    kin: tuple[str, ...] = ()  # bodies that carry on its work, offered once it has stopped

    def active_in(self, year: int) -> bool:
        return (self.first_year or year) <= year <= (self.last_year or year)


@dataclass(frozen=True, slots=True)
class RelatedName:
    """A partner, theme or action: not a body, but it points to the bodies it belongs to."""

    kind: Literal["partner", "theme", "action"]
    id: str
    names: tuple[str, ...]
    bodies: tuple[str, ...]


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
    time: time | None = None  # the time of day, when the line gave one
    time_error: str | None = None


_COMMAND = re.compile(r"^\s*/vergadering(?:@\w+)?(?![^\W_])", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
# Small words inside names ("AV van ROSE", "overleg met STAM"): they may sit inside a matched
# name but never start or end one, and say nothing about which body is meant.
_GLUE: Final = frozenset({"van", "de", "het", "op", "en", "met", "over", "rond", "vanuit", "der"})
_GLUE_WEIGHT: Final = 0.1
# Words that say "a meeting" rather than which one: they may be part of a name ("algemene
# vergadering") but weigh as little as glue, and a run of only these names no body.
_GENERIC: Final = frozenset(
    {"vergadering", "vergaderingen", "overleg", "overleggen", "meeting", "bijeenkomst",
     "samenkomst", "overlegmoment", "overlegorgaan"}
)  # fmt: skip
# Where the agenda starts. "overleg over arbeidszorg" and "Overleg rond AZ" are names, not agenda.
_TOPIC_MARKER = re.compile(
    r"[,;:\n]|(?<!overleg\s)(?<![^\W_])(?:over|rond|agenda|betreffende)(?![^\W_])", re.IGNORECASE
)
# Agenda topics are split on punctuation only: " en " joins words of one topic as often as it
# joins two ("ziek en niet ziek", "overleg met UNIZO en VOKA"), and no typed word may be lost.
_TOPIC_SPLIT = re.compile(r"[,;\n]+")
_NAME_SPLIT = re.compile(r"[,;\n]+|\s+(?:en|&|\+)\s+", re.IGNORECASE)
_TOPIC_LEAD = re.compile(
    r"^(?:(?:(?:met\s+)?als\s+agenda|agenda|over|rond|betreffende)(?![^\W_])"
    r"|i\.?v\.?m\.?|[:\-–—.])\s*",
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
    # "ldefabriek", "roseactiegroep": two-word names typed as one word
    for spelling in (body.name, *body.aliases):
        words = _words(spelling)
        if len(words) == 2:
            yield "".join(words)


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
        weight = (_GLUE_WEIGHT if word in _GENERIC else 1 / len(bodies)) if bodies else 0.0
        tokens.append(_Token(word, m.start(), m.end(), glue, similar, bodies, weight))
    return tokens


def _score(window: Sequence[_Token], body_id: str, index: _Index) -> float:
    return _score_parts(window, body_id, index)[0]


def _score_parts(window: Sequence[_Token], body_id: str, index: _Index) -> tuple[float, float]:
    """0-100: how surely these typed words name this body.

    Precision: the share of the words' evidence that points to this body, each word weighted
    by how few bodies use it, so "ROA" counts fully and "stuurgroep" (five bodies) a fifth.
    Coverage: how much of the body's best-covered name was typed. Both are needed: "rose"
    alone covers the whole alias ROSE of the algemene vergadering but only half of
    "ROSE-actiegroep"; "actiegroep rose" is precise for the actiegroep only.
    """
    named = [t for t in window if not t.glue]
    total = sum(t.weight for t in named) or 1.0
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
    return 100 * (PRECISION_SHARE * precision + (1 - PRECISION_SHARE) * coverage), coverage


def _ranked(window: Sequence[_Token], index: _Index) -> list[tuple[str, float]]:
    return [(body_id, score) for body_id, score, _ in _ranked_parts(window, index)]


def _ranked_parts(window: Sequence[_Token], index: _Index) -> list[tuple[str, float, float]]:
    """(body id, score, coverage) for every body the window's words point to, best first."""
    ids = {body_id for t in window for body_id in t.bodies}
    scored = []
    for body_id in ids:
        score, coverage = _score_parts(window, body_id, index)
        scored.append((body_id, round(score, 1), coverage))
    scored.sort(key=lambda item: (-item[1], index.names[item[0]]))
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
class _Run:
    """The best window of one run of name-like words: where it is and what it names."""

    start: int  # character offsets of the name in the text
    end: int
    ranked: list[tuple[str, float]]
    words: tuple[str, ...]  # its folded words, glue left out
    coverage: float  # how much of the best body's name was typed (0..1)


def _runs(
    text: str,
    index: _Index,
    start: int = 0,
    end: int | None = None,
    tokens: list[_Token] | None = None,
) -> list[_Run]:
    """Every run of name-like words in text[start:end] that names some body, in order.

    `tokens` are the text's tokens when the caller has them already (they cost a fuzzy
    look-up per word)."""
    stop = len(text) if end is None else end
    every = _tokens(text, index) if tokens is None else tokens
    mine = [t for t in every if start <= t.start and t.end <= stop][:BODY_SEARCH_WORDS]
    runs: list[_Run] = []
    best: tuple[float, int, int, int, list[tuple[str, float, float]]] | None = None
    run_end = -1

    def close() -> None:
        if best is None:
            return
        _, _, i, j, parts = best
        window = mine[i : j + 1]
        first, last = window[0].start, window[-1].end
        if text[first:last].count("(") > text[first:last].count(")") and (
            text[last : last + 1] == ")"
        ):
            last += 1  # "Regionaal Overleg Activering (ROA)" typed in full
        words = tuple(t.word for t in window if not t.glue)
        kept = [(b, score) for b, score, _ in parts if score >= MIN_SCORE][:MAX_CANDIDATES]
        if not all(word in _GENERIC for word in words):
            runs.append(_Run(first, last, kept, words, parts[0][2]))

    for i, j in _windows(mine, text, index.longest):
        if i > run_end:
            close()
            best = None
        run_end = max(run_end, j)
        parts = _ranked_parts(mine[i : j + 1], index)
        top = parts[0][1]
        if top < MIN_SCORE:
            continue
        named = sum(not t.glue for t in mine[i : j + 1])
        key = (top + LONGER_NAME_BONUS * (named - 1), -i)
        if best is None or key > best[:2]:
            best = (*key, i, j, parts)
    close()
    return runs


def _head_end(text: str) -> int:
    marker = _TOPIC_MARKER.search(text)
    return marker.start() if marker else len(text)


def match_body(text: str, bodies: Sequence[BodyName]) -> list[tuple[str, float]]:
    """Bodies the text names, best first with scores 0-100; empty when it names none.

    With several names in the text the first clear one counts, as when a body's name is typed
    in answer to "which body?".
    """
    runs = _runs(unicodedata.normalize("NFC", text), _index(tuple(bodies)))
    for run in runs:
        if pick_body(run.ranked) is not None:
            return run.ranked
    return runs[0].ranked if runs else []


_Prepared = tuple[_Index, dict[str, BodyName], "_RefIndex"]
_PREPARED: dict[tuple[int, int], tuple[object, object, _Prepared]] = {}


def _prepared(bodies: Sequence[BodyName], related: Sequence[RelatedName]) -> _Prepared:
    """The indexes of these names, built once per list: the core passes the same lists for
    every line until the knowledge base is reloaded (hashing them per line costs as much as
    reading the line)."""
    key = (id(bodies), id(related))
    hit = _PREPARED.get(key)
    if hit is not None and hit[0] is bodies and hit[1] is related:
        return hit[2]
    made = (_index(tuple(bodies)), {b.id: b for b in bodies}, _ref_index(tuple(related)))
    if len(_PREPARED) >= 16:
        _PREPARED.clear()
    _PREPARED[key] = (bodies, related, made)
    return made


@dataclass(frozen=True, slots=True)
class BodyAnswer:
    """A body's name typed in answer to "which body?": the body, or what to ask next."""

    body_id: str | None
    candidates: list[tuple[str, float]]
    question: str | None  # Dutch, when body_id is None


def read_body_answer(
    text: str,
    *,
    bodies: Sequence[BodyName],
    related: Sequence[RelatedName] = (),
    year: int,
) -> BodyAnswer:
    """The body a typed answer names, by the rules of a meeting line: certain, or candidates
    (a partner or theme offers its bodies; a body that did not meet that year is not taken)."""
    index, known, ref_index = _prepared(bodies, related)
    line = _TAG.sub(" ", unicodedata.normalize("NFC", text))
    runs = _runs(line, index)
    if runs:
        choice = _choose(
            runs, _refs_in(line, ref_index), year=year, bodies=known, ref_index=ref_index
        )
    else:
        choice = _fallback(
            line, index, [(0, len(line))], year=year, bodies=known, ref_index=ref_index
        )
    if choice.body_id is not None:
        return BodyAnswer(choice.body_id, choice.candidates, None)
    question = _body_question(
        choice, known, index.names, year, unknown=_UNKNOWN_BODY, after_stopped=_UNKNOWN_BODY
    )
    return BodyAnswer(None, choice.candidates, question)


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
        while True:
            stripped = _TOPIC_LEAD.sub("", topic, count=1).strip()
            stripped = stripped.strip(" .!?:-–—()[]\"'").strip()
            stripped = _trim_filler(stripped)
            if stripped == topic:
                break
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
    for piece in _NAME_SPLIT.split(text):
        name = " ".join(piece.split()).strip(" .!?:()[]\"'")
        if _WORD.search(name) and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def _names(ids: Sequence[str], names: dict[str, str]) -> str:
    shown = [names[body_id] for body_id in ids]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} of {shown[-1]}"


_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
# Words left at the edge of an agenda piece once the body and date are taken out: "ROA gehad
# over X", "capacity building met [ROA]". They are not agenda; words inside a piece stay.
_LEADING_FILLER: Final = frozenset(
    {"gehad", "gehouden", "vergaderd", "samengekomen", "samen", "gekomen", "we", "wij",
     "hadden", "hebben", "had", "heeft", "er", "was", "is", "gepland", "gaat", "door", "komt",
     "en"}
)  # fmt: skip
_TRAILING_FILLER: Final = frozenset(
    {"met", "bij", "van", "de", "het", "op", "en", "over", "rond", "om", "gehad", "gehouden",
     "vergaderd", "samengekomen", "gepland", "was", "is", "er", "met de", "van de", "bij de"}
)  # fmt: skip


def _trim_filler(topic: str) -> str:
    words = topic.split()
    while words and _fold(words[0]) in _LEADING_FILLER and len(words) > 1:
        words.pop(0)
    while words and _fold(words[-1]) in _TRAILING_FILLER:
        words.pop()
    if len(words) == 1 and _fold(words[0]) in _LEADING_FILLER:
        return ""
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class _RefIndex:
    by_words: dict[tuple[str, ...], tuple[RelatedName, ...]]
    longest: int


@lru_cache(maxsize=8)
def _ref_index(related: tuple[RelatedName, ...]) -> _RefIndex:
    by_words: dict[tuple[str, ...], list[RelatedName]] = {}
    for ref in related:
        for name in ref.names:
            words = tuple(_words(name))
            if words and not (len(words) == 1 and words[0] in _GLUE):
                by_words.setdefault(words, []).append(ref)
    return _RefIndex(
        by_words={k: tuple(v) for k, v in by_words.items()},
        longest=max((len(k) for k in by_words), default=1),
    )


def _refs_in(text: str, refs: _RefIndex) -> list[RelatedName]:
    """Partners, themes and actions named in the text (whole names, folded), in order."""
    words = _words(text)[:BODY_SEARCH_WORDS]  # an action code "2.3.2" is the words 2 3 2
    found: list[RelatedName] = []
    for i in range(len(words)):
        for n in range(min(refs.longest, len(words) - i), 0, -1):
            for ref in refs.by_words.get(tuple(words[i : i + n]), ()):
                if ref not in found:
                    found.append(ref)
    return found


@dataclass(frozen=True, slots=True)
class _Choice:
    body_id: str | None
    candidates: list[tuple[str, float]]
    run: _Run | None  # the run taken as the body's name (also when asking)
    inactive: str | None = None  # the body named, when it did not meet in that year


def _known(ids: Sequence[str], bodies: dict[str, BodyName]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i in bodies))


def _choose(
    runs: list[_Run],
    refs: list[RelatedName],
    *,
    year: int,
    bodies: dict[str, BodyName],
    ref_index: _RefIndex,
) -> _Choice:
    """The body the runs name, or the candidates to ask about. Certain or nothing."""

    def active(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        return [(b, score) for b, score in ranked if bodies[b].active_in(year)]

    certain: list[tuple[str, _Run]] = []
    unsure: list[tuple[_Run, list[tuple[str, float]]]] = []
    for run in runs:
        as_ref = ref_index.by_words.get(run.words, ())
        if as_ref and run.coverage < REF_COVERAGE:
            # "VDAB" where a body is expected: a partner, offered as the bodies it is part of
            pointed = [b for ref in as_ref for b in ref.bodies]
            named = [b for b, _ in run.ranked]
            ids = _known([*named, *pointed], bodies)
            unsure.append((run, [(b, 0.0) for b in ids]))
            continue
        live = active(run.ranked)
        chosen = pick_body(live)
        if chosen is not None and chosen == (run.ranked[0][0] if run.ranked else None):
            certain.append((chosen, run))
        else:
            unsure.append((run, live or run.ranked))
    distinct = list(dict.fromkeys(body for body, _ in certain))
    if len(distinct) == 1:
        body_id, run = certain[0]
        return _Choice(body_id, active(run.ranked), run)
    candidates: list[tuple[str, float]] = []
    for _, certain_run in certain:
        candidates.extend(certain_run.ranked[:1])
    for _, ranked in unsure:
        candidates.extend(ranked)
    for ref in refs:
        candidates.extend((b, 0.0) for b in _known(ref.bodies, bodies))
    taken = certain[0][1] if certain else (unsure[0][0] if unsure else None)
    top = taken.ranked[0][0] if taken is not None and taken.ranked else None
    inactive = top if top is not None and not bodies[top].active_in(year) else None
    return _Choice(None, _offered(candidates, bodies, year), taken, inactive)


def _offered(
    candidates: list[tuple[str, float]], bodies: dict[str, BodyName], year: int
) -> list[tuple[str, float]]:
    """Candidates once each, best first. A body that did not meet that year is never offered:
    the bodies that carry on its work are, in its place."""
    seen: dict[str, float] = {}
    for body_id, score in sorted(candidates, key=lambda pair: -pair[1]):
        if body_id not in bodies:
            continue
        for offered in (body_id,) if bodies[body_id].active_in(year) else bodies[body_id].kin:
            if offered in bodies and bodies[offered].active_in(year) and offered not in seen:
                seen[offered] = score
    return list(seen.items())[:MAX_CANDIDATES]


def parse_meeting_line(
    text: str,
    *,
    today: date,
    bodies: Sequence[BodyName],
    related: Sequence[RelatedName] = (),
) -> MeetingDraft:
    """Read "/vergadering ROA 15/03/2026 14u capacity building, doelgroepanalyse"; never raises.

    The time of day and the date are found first. The body is named before the date; with the
    date first, right after it, before the agenda starts (a comma, ":" or "over"/"rond");
    failing both, by "met/bij/van" and a whole name anywhere. Everything else is the agenda.
    A date after `today` makes the meeting planned.
    """
    index, known, ref_index = _prepared(bodies, related)
    line = _COMMAND.sub("", unicodedata.normalize("NFC", text), count=1)
    line = correct_date_typos(_TAG.sub(" ", line))
    clock = parse_time_of_day(line)
    blank = list(line)
    for start, end in clock.spans:
        blank[start:end] = " " * (end - start)
    line = "".join(blank)
    when = parse_dutch_date(line, today=today)
    for start, end in when.spans:
        # a comma where the date was: what came before it and what follows are separate topics
        blank[start:end] = "," + " " * (end - start - 1)
    rest = "".join(blank)  # the line with the time and date blanked out, offsets kept
    year = when.date.year if when.date else today.year

    # Where the body is named: before the date, else at the start of what follows it.
    if when.spans:
        first, last = when.spans[0][0], when.spans[-1][1]
        after = last + len(rest[last:]) - len(rest[last:].lstrip(" ,;:-–—."))
        places = [(0, first), (after, after + _head_end(rest[after:]))]
    else:
        places = [(0, _head_end(rest))]
    choice = _Choice(None, [], None)
    tokens = _tokens(rest, index)
    for number, (start, end) in enumerate(places):
        runs = _runs(rest, index, start, end, tokens)
        refs = _refs_in(rest[start:end], ref_index)
        if runs:
            choice = _choose(runs, refs, year=year, bodies=known, ref_index=ref_index)
            break
        if refs:
            # "POM 24/11 proeftuinen re-integratie": a partner where the body belongs; a
            # body's word in the agenda after it does not make that body the one meant
            choice = _fallback(
                rest,
                index,
                places[: number + 1],
                year=year,
                bodies=known,
                ref_index=ref_index,
                named_by=False,
                tokens=tokens,
            )
            break
    else:
        choice = _fallback(
            rest, index, places, year=year, bodies=known, ref_index=ref_index, tokens=tokens
        )

    problems: list[str] = []
    body_text = ""
    agenda = rest
    if choice.run is not None:
        run = choice.run
        body_text = rest[run.start : run.end]
        agenda = f"{rest[: run.start]} , {rest[run.end :]}"
    if choice.body_id is None:
        problems.append(
            _body_question(
                choice,
                known,
                index.names,
                year,
                unknown="Welk overlegorgaan? Ik herkende er geen in je bericht; noem het, "
                "bv. ROA of actiegroep ROSE.",
                after_stopped="Welk overlegorgaan bedoel je?",
            )
        )
    if when.error is not None:
        problems.append(when.error)
    elif when.date is None:
        problems.append(
            "Wanneer was de vergadering? Ik vond geen datum; bv. gisteren, "
            "vorige dinsdag of 15/03/2026."
        )
    if clock.error is not None:
        problems.append(clock.error)
    planned = when.date is not None and when.date > today
    return MeetingDraft(
        body_id=choice.body_id,
        body_candidates=choice.candidates,
        date=when.date,
        date_error=when.error,
        topics=split_topics(agenda),
        status="planned" if planned else "held",
        problems=problems,
        body_text=body_text,
        time=clock.time,
        time_error=clock.error,
    )


_UNKNOWN_BODY: Final = "Dat overlegorgaan ken ik niet. Kies er een of typ de naam opnieuw."


def _body_question(
    choice: _Choice,
    known: dict[str, BodyName],
    names: dict[str, str],
    year: int,
    *,
    unknown: str,
    after_stopped: str,
) -> str:
    """The Dutch question when no body is certain: the candidates by name, preceded by why a
    named body is not taken (it stopped); `unknown` when nothing named a body at all,
    `after_stopped` when the body named stopped and nothing carries on its work."""
    close = [c for c, _ in choice.candidates][:3]
    if close:
        which = f"Welk overlegorgaan bedoel je: {_names(close, names)}?"
    elif choice.inactive is not None:
        which = after_stopped
    else:
        return unknown
    if choice.inactive is not None:
        return f"{_inactive_text(known[choice.inactive], year)} {which}"
    return which


def _inactive_text(body: BodyName, year: int) -> str:
    if body.first_year is not None and year < body.first_year:
        return f"{body.name} bestaat pas sinds {body.first_year}."
    return f"{body.name} kwam voor het laatst samen in {body.last_year}."


_NAMED_BY = re.compile(r"(?<![^\W_])(?:met|bij|van)\s+(?:de\s+|het\s+)?$", re.IGNORECASE)


def _fallback(
    rest: str,
    index: _Index,
    places: list[tuple[int, int]],
    *,
    year: int,
    bodies: dict[str, BodyName],
    ref_index: _RefIndex,
    named_by: bool = True,
    tokens: list[_Token] | None = None,
) -> _Choice:
    """No name where the body belongs: "... met de regioraad" anywhere names it (unless a
    partner or theme stands where the body belongs); another whole name anywhere is only a
    candidate, and a partner, theme or action offers its bodies."""
    runs = [run for run in _runs(rest, index, tokens=tokens) if run.ranked]
    for run in runs:
        if not named_by:
            break
        if run.ranked[0][1] >= FULL_ALIAS_SCORE and _NAMED_BY.search(rest[: run.start]):
            chosen = _choose([run], [], year=year, bodies=bodies, ref_index=ref_index)
            if chosen.body_id is not None:
                return chosen
    whole = [run for run in runs if run.ranked[0][1] >= FULL_ALIAS_SCORE]
    refs = [ref for start, end in places for ref in _refs_in(rest[start:end], ref_index)]
    if not whole and not refs:
        return _Choice(None, [], None)
    candidates: list[tuple[str, float]] = [run.ranked[0] for run in whole]
    for ref in refs:
        candidates.extend((b, 0.0) for b in _known(ref.bodies, bodies))
    return _Choice(None, _offered(candidates, bodies, year), None)
