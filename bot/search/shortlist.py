"""A kind's index holding one question's postings only, read from the database.

Logged meetings and signals are indexed in the database (storage/entry_index.py), not in each
process. For a question the search reads its terms' counts and newest postings there and
builds this small index of the candidates; the ranking then runs on it exactly as on an
in-memory index: the same impacts, idf from the database's counts, the same priors.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.search.fields import Record
from bot.search.postings import KindIndex
from bot.search.vocabulary import Vocabulary


class FetchedPostings(Protocol):
    """What storage.entry_index.fetch returns (kept as a protocol: search imports no storage)."""

    kind: str
    entries: int
    df: dict[str, int]
    postings: dict[str, list[tuple[int, int, float, str | None]]]


class ShortlistIndex(KindIndex):
    """The candidates of one question in one kind; records are filled in for the hits."""

    def __init__(self, kind: str, vocab: Vocabulary, fetched: FetchedPostings) -> None:
        super().__init__(kind, vocab)
        seen: dict[int, tuple[int, str | None]] = {}
        for rows in fetched.postings.values():
            for entry_id, day, _, status in rows:
                seen[entry_id] = (day, status)
        # Ordinals in date order, as in an in-memory index: a term's newest postings are last.
        order = sorted(seen, key=lambda entry_id: (seen[entry_id][0], entry_id))
        position = {entry_id: ordinal for ordinal, entry_id in enumerate(order)}
        self.ids: list[int] = order
        self.records = [{"id": e, "status": seen[e][1]} for e in order]
        self.ordinal = {str(e): ordinal for e, ordinal in position.items()}
        self.dates = array("i", [seen[e][0] for e in order])
        self.names = [() for _ in order]
        for term, rows in fetched.postings.items():
            pairs = sorted((position[entry_id], impact) for entry_id, _, impact, _ in rows)
            self.postings[term] = (
                array("I", [p for p, _ in pairs]),
                array("f", [i for _, i in pairs]),
            )
        self.counts = dict(fetched.df)
        self.alive = fetched.entries

    def df_of(self, term: str) -> int:
        return self.counts.get(term, 0)

    def fill(self, records: Mapping[int, Record], ordinals: Sequence[int]) -> None:
        """Put the whole records of these candidates in (those gone meanwhile become None)."""
        for ordinal in ordinals:
            found: Any = records.get(self.ids[ordinal])
            self.records[ordinal] = dict(found) if found is not None else None
