"""The search result: hits grouped by kind, their snippets, and the JSON contract."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bot.domain.shorten import ELLIPSIS
from bot.search.lexicon import KINDS
from bot.search.text import fold

SNIPPET_CHARS: Final = 160
MIN_INNER: Final = 5  # shorter words are only looked for at the start of a word
MAX_FORMS: Final = 40
_NAMED_KINDS: Final = frozenset({"partners", "bodies"})


@dataclass(slots=True)
class Hit:
    """One record in the answer: what it is, why it matched and how well.

    The snippet and the matched labels cost more than the ranking itself; they are worked out
    on first use (`detail`), since a reply shows a few hits of the ten kept per group.
    """

    kind: str
    id: str | int
    title: str
    score: float
    aliases: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    detail: Callable[[], tuple[str, list[str]]] | None = field(
        default=None, repr=False, compare=False
    )
    _worked_out: tuple[str, list[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _details(self) -> tuple[str, list[str]]:
        if self._worked_out is None:
            self._worked_out = self.detail() if self.detail is not None else ("", [])
        return self._worked_out

    @property
    def snippet(self) -> str:
        return self._details()[0]

    @property
    def matched(self) -> list[str]:
        return self._details()[1]

    def to_dict(self) -> dict[str, Any]:
        """The item as in `regiebot ask --json`: id, name or title, aliases, score, ..."""
        item: dict[str, Any] = {"id": self.id}
        item["name" if self.kind in _NAMED_KINDS else "title"] = self.title
        if self.aliases is not None:
            item["aliases"] = list(self.aliases)
        item["score"] = round(self.score, 4)
        item["snippet"] = self.snippet
        item["matched"] = list(self.matched)
        item.update(self.extra)
        return item


@dataclass(slots=True)
class SearchAnswer:
    """Hits per kind (each list best first), the order to show kinds in, and suggestions."""

    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    order: tuple[str, ...] = KINDS
    suggestions: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing found in any kind."""
        return not any(self.groups.get(kind) for kind in KINDS)

    def hits(self, kind: str) -> list[Hit]:
        return self.groups.get(kind, [])

    def to_dict(self) -> dict[str, Any]:
        """{"query", "actions", "partners", "bodies", "meetings", "signals", "documents"}."""
        out: dict[str, Any] = {"query": self.query}
        for kind in KINDS:
            out[kind] = [hit.to_dict() for hit in self.groups.get(kind, [])]
        out["suggestions"] = list(self.suggestions)
        return out


def _first_match(folded: str, forms: list[str]) -> int:
    """Offset of the earliest of these words; short ones only at a word start (az != plaza)."""
    short = [re.escape(f) for f in forms if len(f) < MIN_INNER]
    long = [re.escape(f) for f in forms if len(f) >= MIN_INNER]
    patterns = []
    if short:
        patterns.append(r"(?<![^\W_])(?:" + "|".join(short) + ")")
    if long:
        patterns.append("(?:" + "|".join(long) + ")")
    if not patterns:
        return 0
    match = re.search("|".join(patterns), folded)
    return match.start() if match else 0


def make_snippet(text: str, forms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A short piece of `text` around the first matched word, cut at word boundaries.

    `forms` are the folded words to look for (the index's own words for the matched stems);
    compound parts match inside words, so "fiets" finds deelfietsen.
    """
    flat = " ".join(text.split())
    if not flat:
        return ""
    if len(flat) <= width:
        return flat
    folded = fold(flat)
    # Folding keeps offsets unless a letter expands (ß -> ss); then start at the beginning.
    start = _first_match(folded, forms[:MAX_FORMS]) if len(folded) == len(flat) else 0
    begin = max(0, start - width // 3)
    if begin > 0:
        space = flat.find(" ", begin)
        begin = space + 1 if 0 <= space < start else begin
    end = min(len(flat), begin + width)
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > start else end
    piece = flat[begin:end].strip(" ;,")
    return (ELLIPSIS if begin > 0 else "") + piece + (ELLIPSIS if end < len(flat) else "")
