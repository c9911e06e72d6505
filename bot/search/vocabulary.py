"""The index's own vocabulary: known words, compound splitting and typo lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.search.lexicon import STOPWORDS
from bot.search.text import split_word, stem

# Dutch compounds glue their parts with these linking sounds (arbeid-s-markt, volwassen-en-).
_LINKERS = ("", "s", "en", "e", "n")
_MIN_HEAD = 4  # the right-hand part (the head) of a compound
_MIN_MODIFIER = 3  # the left-hand part
_MIN_COMPOUND = 7
_MAX_FUZZY = 8
_MIN_PREFIX = 6  # shortest shared beginning that makes two words variants
_PREFIX_KEY = 5
_PREFIX_SHARE = 0.65  # ... and the share of the typed word it must cover
COMPOUND_PART = 0.5  # "fiets" inside "deelfietsen" counts half a word

# How an indexed word counts: (length in words, (term, weight) pairs, words for the vocabulary)
WordEntry = tuple[int, tuple[tuple[str, float], ...], tuple[str, ...]]


def _shared_start(one: str, other: str) -> int:
    """How many leading letters two words have in common."""
    for i, (a, b) in enumerate(zip(one, other, strict=False)):
        if a != b:
            return i
    return min(len(one), len(other))


def allowed_edits(word: str) -> int:
    """Typo budget as Meilisearch/Typesense: none under 5 letters, 1 up to 8, 2 beyond."""
    if len(word) < 5 or word.isdigit():
        return 0
    return 1 if len(word) <= 8 else 2


class Vocabulary:
    """Every word the index has seen: what it stems to, splits into, or is a typo of.

    `known` is the curated part (knowledge base, theme synonyms): compounds are split only
    into known words, so a typo in one logged meeting never becomes a compound part.
    """

    def __init__(self) -> None:
        self.listed: set[str] = set()  # typo-reachable words
        self._once: set[str] = set()  # logged words seen once (a typo there is no target)
        # How many records hold a stem; the index sets it (ties among typo candidates).
        self.popularity: Callable[[str], int] = lambda term: 0
        self.forms: dict[str, set[str]] = {}  # stem -> the words filed under it, for snippets
        self.known: set[str] = set()
        self.known_stems: set[str] = set()
        self._by_length: dict[int, list[str]] = {}
        self._by_prefix: dict[str, list[str]] = {}
        self._splits: dict[str, tuple[str, ...]] = {}
        self.analysed: dict[str, WordEntry] = {}

    def list_for_typos(self, words: Iterable[str]) -> None:
        """Make words typo-reachable: known ones at once, logged ones from their second use."""
        for word in words:
            if word in self.listed:
                continue
            self.listed.add(word)
            if not word[0].isdigit():
                self._by_length.setdefault(len(word), []).append(word)
                if len(word) >= _MIN_PREFIX:
                    self._by_prefix.setdefault(word[:_PREFIX_KEY], []).append(word)

    def sighted(self, raw: str, words: tuple[str, ...]) -> None:
        """A logged word not typo-reachable yet was indexed again; list it at its second use."""
        if raw in self._once:
            self._once.discard(raw)
            self.list_for_typos((raw, *words))
        else:
            self._once.add(raw)

    def learn(self, word: str) -> None:
        """Mark a word of the curated knowledge base as known (counted when indexed)."""
        if word and word not in self.known:
            self.known.add(word)
            self.known_stems.add(stem(word))
            self.forms.setdefault(stem(word), set()).add(word)
            self._forget_splits()
            self.list_for_typos((word,))

    def _forget_splits(self) -> None:
        # Splits (and so word analyses) depend on the known words.
        if self._splits or self.analysed:
            self._splits.clear()
            self.analysed.clear()

    def analyse(self, raw: str) -> WordEntry:
        """How one folded word of a record is indexed: stems, compound parts, joined form."""
        entry = self.analysed.get(raw)
        if entry is not None:
            return entry
        parts, joined = split_word(raw)
        terms: dict[str, float] = {}
        surfaces: list[str] = []
        length = 0
        for part in parts:
            if part in STOPWORDS:
                continue
            length += 1
            surfaces.append(part)
            term = stem(part)
            terms[term] = terms.get(term, 0.0) + 1.0
            for piece in self.split(part):
                piece_term = stem(piece)
                if piece_term != term:
                    terms[piece_term] = terms.get(piece_term, 0.0) + COMPOUND_PART
        if joined is not None:
            surfaces.append(joined)
            term = stem(joined)
            terms[term] = terms.get(term, 0.0) + 1.0
        entry = (length, tuple(terms.items()), tuple(surfaces))
        self.analysed[raw] = entry
        for surface in surfaces:
            self.forms.setdefault(stem(surface), set()).add(surface)
        return entry

    def surface_forms(self, terms: set[str]) -> list[str]:
        """Words the index filed under these stems (taal, talen for tal), longest first."""
        found = {w for t in terms for w in self.forms.get(t, ())} | terms
        return sorted(found, key=len, reverse=True)

    def __contains__(self, word: object) -> bool:
        return word in self.listed or word in self._once

    def split(self, word: str) -> tuple[str, ...]:
        """Known parts of a compound (deelfietsen -> deel, fietsen), or () when it is none."""
        cached = self._splits.get(word)
        if cached is not None:
            return cached
        result = self._split(word)
        self._splits[word] = result
        return result

    def _split(self, word: str) -> tuple[str, ...]:
        # One level only: "samenwerkingsovereenkomst" -> samenwerking + overeenkomst; going
        # deeper would file it under "samen" too, which only adds noise.
        if len(word) < _MIN_COMPOUND:
            return ()
        known = self.known
        # Longest head first: Dutch compounds are head-final and the head carries the meaning.
        for cut in range(_MIN_MODIFIER, len(word) - _MIN_HEAD + 1):
            head = word[cut:]
            # The head may be another form of a known word (fietsen for fiets).
            if head in STOPWORDS or (head not in known and stem(head) not in self.known_stems):
                continue
            modifier = word[:cut]
            for linker in _LINKERS:
                if linker and not modifier.endswith(linker):
                    continue
                base = modifier[: len(modifier) - len(linker)] if linker else modifier
                if len(base) < _MIN_MODIFIER or base in STOPWORDS:
                    continue
                if base in known:
                    return (base, head)
        return ()

    def rejoin(self, parts: tuple[str, ...]) -> list[str]:
        """Known words made of these parts with another linker (volwassenen+onderwijs)."""
        if len(parts) != 2:
            return []
        left, right = parts
        bases = {left}
        for linker in _LINKERS[1:]:
            if left.endswith(linker) and len(left) - len(linker) >= _MIN_MODIFIER:
                bases.add(left[: -len(linker)])
        found = []
        for base in bases:
            for linker in _LINKERS:
                candidate = base + linker + right
                if candidate in self.known:
                    found.append(candidate)
        return found

    def fuzzy(self, word: str) -> list[tuple[str, int]]:
        """Words within the typo budget of `word`, closest first: (word, edits)."""
        budget = allowed_edits(word)
        if budget == 0:
            return []
        choices: list[str] = []
        for length in range(len(word) - budget, len(word) + budget + 1):
            choices.extend(self._by_length.get(length, ()))
        if not choices:
            return []
        found = process.extract(
            word, choices, scorer=OSA.distance, score_cutoff=budget, limit=_MAX_FUZZY * 4
        )
        # Same distance: prefer the word more records use (the likelier intended one).
        ranked = sorted(
            ((choice, int(dist)) for choice, dist, _ in found if choice != word),
            key=lambda item: (item[1], -self.popularity(stem(item[0]))),
        )
        return ranked[:_MAX_FUZZY]

    def sharing_prefix(self, word: str) -> list[str]:
        """Words that begin as `word` does for most of its length (digitalisatie ->
        digitalisering, organisatie -> organiseren): the last resort for an unknown word."""
        if len(word) < _MIN_PREFIX + 1:
            return []
        need = max(_MIN_PREFIX, int(_PREFIX_SHARE * len(word)))
        found = []
        for candidate in self._by_prefix.get(word[:_PREFIX_KEY], ()):
            shared = _shared_start(word, candidate)
            if shared >= need and candidate != word:
                found.append((shared, self.popularity(stem(candidate)), candidate))
        found.sort(reverse=True)
        return [candidate for _, _, candidate in found[:_MAX_FUZZY]]
