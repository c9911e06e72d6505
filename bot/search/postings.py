"""The inverted index of one kind of record: BM25F impacts per term, cheap to update."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Final

from bot.search.fields import FIELDS, Record
from bot.search.lexicon import STOPWORDS
from bot.search.text import WORD_RE, fold, split_word, stem
from bot.search.vocabulary import Vocabulary

K1: Final = 1.2
# Fields whose text repeats across records (an action's pillar, theme names): analysed once
# per distinct text.
REPEATED: Final = frozenset({"themes", "section"})
REPEATED_CACHE: Final = 4096

Postings = tuple["array[int]", "array[float]"]


def add_terms(text: str, norm: float, vocab: Vocabulary, weights: dict[str, float]) -> None:
    """Add the weighted terms of one field's text to `weights`; new words go to `vocab`."""
    analysed, listed = vocab.analysed, vocab.listed
    for raw in WORD_RE.findall(fold(text)):
        entry = analysed.get(raw) or vocab.analyse(raw)
        if not entry[0]:
            continue  # a stopword: a third of Dutch text, and nothing to index
        for term, weight in entry[1]:
            weights[term] = weights.get(term, 0.0) + weight * norm
        if raw not in listed:
            vocab.sighted(raw, entry[2])


class KindIndex:
    """Postings of one kind: term -> (ordinals ascending, impacts); deletes are tombstones.

    Ordinals only grow, so postings stay sorted and membership is a bisect. Records are kept
    by reference (the caller's dicts), so the index adds little beyond the postings.
    """

    def __init__(self, kind: str, vocab: Vocabulary) -> None:
        self.kind = kind
        self.vocab = vocab
        self.records: list[Record | None] = []
        self.ordinal: dict[str, int] = {}
        self.dates = array("i")
        self.postings: dict[str, Postings] = {}
        # Per record, each name or alias as (stems, folded words), for the exact-name bonus.
        self.names: list[tuple[tuple[frozenset[str], frozenset[str]], ...]] = []
        self.avglen: dict[str, float] = dict.fromkeys(FIELDS, 1.0)
        self.alive = 0
        self._idf: dict[int, float] = {}  # by df; cleared whenever the live count changes
        self.prior_cache: dict[str, array[float]] = {}  # see priors.py
        self._repeated: dict[str, tuple[tuple[str, float], ...]] = {}

    def set_lengths(self, samples: Iterable[Sequence[tuple[str, str]]]) -> None:
        """Average field lengths for BM25 normalisation, estimated by whitespace split."""
        totals: dict[str, float] = {}
        counts: dict[str, int] = {}
        for fields in samples:
            for name, text in fields:
                totals[name] = totals.get(name, 0.0) + len(text.split())
                counts[name] = counts.get(name, 0) + 1
        for name, total in totals.items():
            self.avglen[name] = max(1.0, total / counts[name])

    def add(
        self,
        record: Record,
        fields: Sequence[tuple[str, str]],
        links: Sequence[tuple[str, float]],
        *,
        date: int = 0,
        names: Sequence[str] = (),
    ) -> int:
        """Index one record and return its ordinal (a record with the same id is replaced)."""
        key = str(record.get("id"))
        if key in self.ordinal:
            self.remove(key)
        ordinal = len(self.records)
        postings = self.postings
        find = postings.get
        for term, impact in self.impacts(fields, links).items():
            entry = find(term)
            if entry is None:
                entry = postings[term] = (array("I"), array("f"))
            entry[0].append(ordinal)
            entry[1].append(impact)
        self.records.append(record)
        self.dates.append(date)
        self.names.append(tuple(name_key(n) for n in names if n))
        self.ordinal[key] = ordinal
        self.alive += 1
        self._idf.clear()
        return ordinal

    def impacts(
        self, fields: Sequence[tuple[str, str]], links: Sequence[tuple[str, float]]
    ) -> dict[str, float]:
        """Each term of a record with its BM25F impact (what its postings hold)."""
        weights: dict[str, float] = {}
        for name, text in fields:
            if not text:
                continue
            weight, b = FIELDS[name]
            # Length by whitespace, as avglen: close enough for BM25's normalisation.
            norm = weight / (1.0 - b + b * len(text.split()) / self.avglen[name])
            if name in REPEATED:
                self._add_repeated(text, norm, weights)
            else:
                add_terms(text, norm, self.vocab, weights)
        for term, weight in links:
            weights[term] = weights.get(term, 0.0) + weight
        # BM25 saturation; the constant (k1 + 1) factor is left out as it ranks nothing.
        return {term: wtf / (K1 + wtf) for term, wtf in weights.items()}

    def _add_repeated(self, text: str, norm: float, weights: dict[str, float]) -> None:
        """add_terms for a text many records share (a meeting's body), analysed once."""
        cached = self._repeated.get(text)
        if cached is None:
            counts: dict[str, float] = {}
            add_terms(text, 1.0, self.vocab, counts)
            cached = tuple(counts.items())
            if len(self._repeated) < REPEATED_CACHE:
                self._repeated[text] = cached
        for term, count in cached:
            weights[term] = weights.get(term, 0.0) + count * norm

    def remove(self, record_id: object) -> bool:
        """Tombstone a record; its postings are skipped until the kind is rebuilt."""
        ordinal = self.ordinal.pop(str(record_id), None)
        if ordinal is None:
            return False
        self.records[ordinal] = None
        self.alive -= 1
        self._idf.clear()
        return True

    @property
    def dead(self) -> int:
        return len(self.records) - self.alive

    def idf(self, df: int) -> float:
        """BM25 idf over the live records (df counts tombstones too; close enough)."""
        cached = self._idf.get(df)
        if cached is None:
            n = max(self.alive, 1)
            clipped = min(df, n)
            cached = math.log(1.0 + (n - clipped + 0.5) / (clipped + 0.5))
            self._idf[df] = cached
        return cached

    def get(self, term: str) -> Postings | None:
        return self.postings.get(term)

    def df_of(self, term: str) -> int:
        """How many records hold the term (tombstones included)."""
        entry = self.postings.get(term)
        return len(entry[0]) if entry is not None else 0

    def term_idf(self, term: str) -> float:
        return self.idf(self.df_of(term))


def name_key(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems and folded words of a name's content words, for the exact-name bonus."""
    folded: list[str] = []
    for match in WORD_RE.finditer(fold(name)):
        parts, joined = split_word(match.group())
        folded.extend(p for p in parts if p not in STOPWORDS)
        if joined is not None:
            folded.append(joined)
    return frozenset(stem(w) for w in folded), frozenset(folded)
