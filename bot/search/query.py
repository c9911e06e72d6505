"""Reading a question: drop question phrases, find intent, expand words into alternatives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bot.search.lexicon import INTENT_ONLY, KIND_WORDS, KINDS, QUESTION_VERBS, STOPWORDS
from bot.search.text import Word, stem, stem_variants, words
from bot.search.themes import MAX_PHRASE, Thesaurus
from bot.search.vocabulary import Vocabulary

MAX_QUESTION_CHARS: Final = 500
MAX_UNITS: Final = 8

# Weights of the ways a record can match a typed word: the word itself always wins.
EXACT: Final = 1.0
REJOINED: Final = 0.95  # volwassenenonderwijs typed, volwassenonderwijs indexed
PARTS: Final = 0.85  # all parts of a hyphenated word or a compound
HEAD: Final = 0.45  # only the head of a compound (fiets for deelfietsen)
FUZZY: Final = {1: 0.6, 2: 0.45}
PREFIX: Final = 0.4  # another ending of the same word (digitalisatie ~ digitalisering)
THEME_TAG: Final = {True: 0.8, False: 0.6}  # tagged with the theme named / hinted at
THEME_NAME: Final = 0.5  # the theme's name, for a synonym typed
THEME_SYNONYM: Final = 0.3  # another synonym of the theme typed
MAX_SYNONYMS: Final = 12
PART_OF_PHRASE: Final = 0.5  # one word of a phrase typed, matched alone


@dataclass(frozen=True, slots=True)
class Alt:
    """One way to match a group: all `terms` in a record, worth `weight`, shown as `label`."""

    terms: tuple[str, ...]
    weight: float
    label: str


@dataclass(slots=True)
class Group:
    """One concept of the question (a word or a phrase) and its alternative matches."""

    label: str
    alts: list[Alt] = field(default_factory=list)
    stems: set[str] = field(default_factory=set)  # what a name must contain to match it
    surfaces: set[str] = field(default_factory=set)  # the words typed (or meant, for typos)
    # A kind word after the topic ("sociale partners", "taal signalen"): it adds to records
    # that match it, but records without it are not counted as partial matches.
    optional: bool = False

    def add(self, terms: tuple[str, ...], weight: float, label: str) -> None:
        """Add an alternative, keeping only the best weight per term set."""
        if not terms:
            return
        for i, alt in enumerate(self.alts):
            if alt.terms == terms:
                if weight > alt.weight:
                    self.alts[i] = Alt(terms, weight, alt.label)
                return
        self.alts.append(Alt(terms, weight, label))


@dataclass(slots=True)
class Analysis:
    """A question made ready for the index: groups to match and the order to show kinds in."""

    text: str
    groups: list[Group]
    order: tuple[str, ...]
    words: list[str]


@dataclass(slots=True)
class _Unit:
    text: str  # a content word, hyphenated words joined
    parts: tuple[str, ...]
    acronym: bool
    optional: bool = False

    @property
    def shown(self) -> str:
        """The word as typed (folded), hyphens kept: what `matched` reports."""
        return "-".join(self.parts) if len(self.parts) > 1 else self.text


class QueryReader:
    """Turns a question into groups of alternatives using the index's own vocabulary."""

    def __init__(
        self, vocab: Vocabulary, thesaurus: Thesaurus, has_term: Callable[[str], bool]
    ) -> None:
        self.vocab = vocab
        self.thesaurus = thesaurus
        self.has_term = has_term

    def read(self, question: str) -> Analysis:
        """Analyse a question; any text is accepted, the worst case gives no groups."""
        text = question[:MAX_QUESTION_CHARS] if isinstance(question, str) else ""
        typed = words(text)
        order = _intent(typed)
        units = _content_units(typed)[:MAX_UNITS]
        groups = self._groups(units)
        groups = [g for g in groups if g.alts]
        return Analysis(text.strip(), groups, order, [u.text for u in units])

    def _groups(self, units: list[_Unit]) -> list[Group]:
        groups: list[Group] = []
        i = 0
        while i < len(units):
            merged = self._merged(units, i)
            if merged is not None:
                group, used = merged
                groups.append(group)
                i += used
                continue
            group = self._single(units[i])
            group.optional = units[i].optional
            groups.append(group)
            i += 1
        return groups

    def _merged(self, units: list[_Unit], start: int) -> tuple[Group, int] | None:
        """A phrase group for a theme phrase or for words typed apart (wijk werken)."""
        for size in range(min(MAX_PHRASE, len(units) - start), 1, -1):
            span = units[start : start + size]
            label = " ".join(u.shown for u in span)
            key = tuple(stem(u.text) for u in span)
            joined = "".join(u.text for u in span)
            themes = self.thesaurus.find(key)
            has_joined = size <= 3 and self.has_term(stem(joined))
            if not themes and not has_joined:
                continue
            group = Group(label)
            if has_joined:
                group.add((stem(joined),), EXACT, label)
            terms = tuple(t for t in key if self.has_term(t))
            if len(terms) == len(key):
                group.add(terms, EXACT if themes else PARTS, label)
            for theme_id in sorted(themes):
                self._add_theme(group, theme_id, key, 1.0)
            for unit in span:
                # Each word alone still counts, at half weight; its themes would only add noise.
                for alt in self._single(unit, themes=False).alts:
                    group.add(alt.terms, alt.weight * PART_OF_PHRASE, alt.label)
            group.stems.update(key)
            group.surfaces.update(u.text for u in span)
            if has_joined:
                group.stems.add(stem(joined))
                group.surfaces.add(joined)
            return group, size
        return None

    def _single(self, unit: _Unit, *, themes: bool = True) -> Group:
        """Alternatives for one typed word: forms, parts, compounds, typos and themes."""
        group = Group(unit.shown)
        word = unit.text
        exact = [s for s in stem_variants(word) if self.has_term(s)]
        for s in exact:
            group.add((s,), EXACT, unit.shown)
        group.stems.update(exact or [stem(word)])
        group.surfaces.add(word)
        # Theme synonyms count even when no record uses the word (werkdruk -> werkbaar werk).
        theme_hits: list[tuple[str, float]] = [(s, 1.0) for s in stem_variants(word)]
        if len(unit.parts) > 1:
            parts = tuple(stem(p) for p in unit.parts if p not in STOPWORDS)
            if parts and all(self.has_term(p) for p in parts):
                group.add(parts, PARTS, unit.shown)
            # Each part alone still says something (OCMW-cliënten: records on the OCMW).
            for part, typed in zip(parts, unit.parts, strict=False):
                if self.has_term(part):
                    group.add((part,), PART_OF_PHRASE, typed)
            group.stems.update(parts)
        elif not exact:
            # Only an unknown word is split (deelfietsen); a known one (netwerk) is itself.
            self._compound(group, word)
        if not unit.acronym and (word not in self.vocab.known or not exact):
            closest = 0
            for candidate, edits in self.vocab.fuzzy(word):
                s = stem(candidate)
                if self.has_term(s) or self.thesaurus.find((s,)):
                    group.add((s,), FUZZY[edits], candidate)
                    theme_hits.append((s, FUZZY[edits]))
                    if not exact and edits <= (closest or edits):
                        # The likeliest intended words stand in for the typo in name matching.
                        closest = edits
                        group.stems.add(s)
                        group.surfaces.add(candidate)
        if not group.alts and not unit.acronym:
            for candidate in self.vocab.sharing_prefix(word):
                s = stem(candidate)
                if self.has_term(s) or self.thesaurus.find((s,)):
                    group.add((s,), PREFIX, candidate)
                    theme_hits.append((s, PREFIX))
        for s, weight in theme_hits if themes else ():
            for theme_id in sorted(self.thesaurus.find((s,))):
                self._add_theme(group, theme_id, (s,), weight)
        return group

    def _compound(self, group: Group, word: str) -> None:
        parts = self.vocab.split(word)
        if not parts:
            return
        for joined in self.vocab.rejoin(parts):
            if joined != word and self.has_term(stem(joined)):
                group.add((stem(joined),), REJOINED, joined)
        terms = tuple(stem(p) for p in parts)
        if all(self.has_term(t) for t in terms):
            group.add(terms, PARTS, " ".join(parts))
        if self.has_term(terms[-1]):
            group.add((terms[-1],), HEAD, parts[-1])

    def _add_theme(
        self, group: Group, theme_id: str, key: tuple[str, ...], strength: float
    ) -> None:
        theme = self.thesaurus.themes[theme_id]
        named = self.thesaurus.is_name(key, theme_id)
        label = f"{theme.name} (thema)"
        group.add(("#" + theme_id,), THEME_TAG[named] * strength, label)
        if not named:
            # A synonym typed (fiets): the theme's own name too, but not its other synonyms.
            if all(self.has_term(t) for t in theme.name_key):
                group.add(theme.name_key, THEME_NAME * strength, label)
            return
        for synonym in theme.synonym_keys[:MAX_SYNONYMS]:
            if synonym != key and all(self.has_term(t) for t in synonym):
                group.add(synonym, THEME_SYNONYM * strength, label)


def _intent(typed: list[Word]) -> tuple[str, ...]:
    """Kinds the question asks for first ("wie" -> partners), then the rest in usual order."""
    wanted: list[str] = []
    for word in typed:
        for kind in KIND_WORDS.get(word.parts[0], ()) if len(word.parts) == 1 else ():
            if kind not in wanted:
                wanted.append(kind)
    return tuple(wanted) + tuple(k for k in KINDS if k not in wanted)


def _content_units(typed: list[Word]) -> list[_Unit]:
    """The topic words: no stopwords, no leading question verbs, kind words only if alone."""
    content: list[_Unit] = []
    kind_words: list[_Unit] = []
    started = False
    for word in typed:
        parts = tuple(p for p in word.parts if p)
        text = word.joined or parts[0]
        unit = _Unit(text, parts, word.upper or (len(text) <= 4 and text.isalpha()))
        if word.joined is None:
            # Single letters are markup or initials (<b>, "rijbewijs B"), never a topic.
            if text in STOPWORDS or text in INTENT_ONLY or (len(text) < 2 and text.isalpha()):
                continue
            if text in KIND_WORDS:
                if started:
                    unit.optional = True
                    content.append(unit)
                else:
                    kind_words.append(unit)
                continue
            if not started and text in QUESTION_VERBS:
                continue
        started = True
        content.append(unit)
    return content or kind_words
