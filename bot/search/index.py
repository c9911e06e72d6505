"""SearchIndex: built once from a snapshot, updated per meeting or signal, asked questions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from bot.search.answer import Hit, SearchAnswer, make_snippet
from bot.search.fields import (
    BODY_LINK,
    PARTNER_LINK,
    Context,
    Record,
    date_of,
    fields_of,
    ids_of,
    links_of,
    plan_of,
    records,
    snippet_source,
    text_of,
    title_of,
)
from bot.search.lexicon import KINDS
from bot.search.postings import KindIndex
from bot.search.priors import plan_priors, recency_priors
from bot.search.query import Analysis, Group, QueryReader
from bot.search.ranking import Scored, explain, rank
from bot.search.relations import LINK_SOURCES, Relations, link_groups
from bot.search.shortlist import FetchedPostings, ShortlistIndex
from bot.search.suggest import suggest_themes
from bot.search.text import WORD_RE, fold, split_word
from bot.search.themes import Thesaurus
from bot.search.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

CURATED: Final = ("actions", "partners", "bodies", "documents")
LOGGED: Final = ("meetings", "signals")
MAX_LIMIT: Final = 100
EXACT_WORDS: Final = 1.1
# Postings read from the database per question and kind (the newest of each term): rows read
# from the database cost far more than postings sliced from memory (ranking.BUDGET).
DB_BUDGET: Final = 300
DB_MIN_PER_ALT: Final = 30
# Field lengths of logged entries for BM25's normalisation when they are indexed one at a time
# in the database (an in-memory index estimates them from its records).
LOGGED_AVGLEN: Final = {
    "meetings": {"topics": 5.0, "text": 20.0},
    "signals": {"topics": 12.0, "themes": 2.0, "related": 3.0},
}

# (kinds, terms, cap) -> per kind its postings; {kind: ids} -> per kind the records by id
Fetch = Callable[[Sequence[str], Sequence[str], int], Awaitable[Mapping[str, FetchedPostings]]]
Load = Callable[
    [Mapping[str, Sequence[int]]], Awaitable[Mapping[str, Mapping[int, Mapping[str, Any]]]]
]
NAME_BONUS: Final = {"partners": (1.8, 1.3), "bodies": (1.8, 1.3), "actions": (1.25, 1.1)}


class SearchIndex:
    """In-memory search over a knowledge-base snapshot plus the logged meetings and signals."""

    def __init__(self, today: dt.date | None = None) -> None:
        self.today = today
        self.vocab = Vocabulary()
        self.context = Context()
        self.thesaurus = Thesaurus([])
        self.kinds: dict[str, KindIndex] = {}
        self.relations = Relations()
        self.current_plan = ""
        self.reader = QueryReader(self.vocab, self.thesaurus, self.has_term)
        self.vocab.popularity = self.df
        self._default_suggestions: list[str] = []
        # Logged entries searched in the database: their terms and counts (for the question
        # reader's typo tolerance), kept current by the caller.
        self.logged_terms: dict[str, int] = {}

    # ---- building and updating -------------------------------------------------------------

    @classmethod
    def build(cls, snapshot: Mapping[str, Any], *, today: dt.date | None = None) -> SearchIndex:
        """Index a snapshot shaped like `regiebot export --json` (any key may be missing)."""
        index = cls(today)
        index.rebuild(snapshot)
        return index

    def rebuild(self, snapshot: Mapping[str, Any]) -> None:
        """Re-index everything, e.g. after `data/` was re-seeded."""
        if not isinstance(snapshot, Mapping):
            snapshot = {}
        self.vocab = Vocabulary()
        self.vocab.popularity = self.df
        self.context = Context.from_snapshot(snapshot)
        self.thesaurus = Thesaurus.from_snapshot(snapshot)
        self._learn_known_words(snapshot)
        self.kinds = {}
        for kind in KINDS:
            self._index_kind(kind, records(snapshot, kind))
        self.relations = Relations.from_snapshot(snapshot)
        self.current_plan = _current_plan(snapshot, self.today or self._latest_date())
        self.reader = QueryReader(self.vocab, self.thesaurus, self.has_term)
        self._default_suggestions = self.relations.busiest_themes(self.thesaurus, 6)
        reference = self.today or self._latest_date()
        for kind in LOGGED:
            recency_priors(self.kinds[kind], reference)  # warm the cache for the first question
        logger.debug("search index built: %s", {k: v.alive for k, v in self.kinds.items()})

    def _learn_known_words(self, snapshot: Mapping[str, Any]) -> None:
        """Mark the curated vocabulary before indexing, so compounds split into known words."""
        texts: list[str] = []
        for theme in records(snapshot, "themes"):
            texts += [text_of(theme.get("name")), text_of(theme.get("synonyms"))]
        for kind in CURATED:
            for rec in records(snapshot, kind):
                texts += [text for _, text in fields_of(kind, rec, self.context)]
        for text in texts:
            for match in WORD_RE.finditer(fold(text)):
                parts, joined = split_word(match.group())
                for word in (*parts, joined) if joined else parts:
                    self.vocab.learn(word)

    def _index_kind(self, kind: str, recs: list[Record]) -> None:
        target = KindIndex(kind, self.vocab)
        prepared = [
            (_date_ordinal(kind, rec), rec, fields_of(kind, rec, self.context))
            for rec in recs
            if _has_id(rec)
        ]
        if kind in LOGGED:
            # Ordinals in date order: a term's newest postings are then its most recent ones.
            prepared.sort(key=lambda item: item[0])
        target.set_lengths(fields for _, _, fields in prepared[:: max(1, len(prepared) // 2000)])
        for day, rec, fields in prepared:
            target.add(rec, fields, links_of(kind, rec), date=day, names=_names(kind, rec))
        self.kinds[kind] = target

    def upsert(self, kind: str, record: Mapping[str, Any]) -> None:
        """Add or replace one record (a meeting or signal logged or edited), at once."""
        target = self.kinds.get(kind)
        if target is None or not isinstance(record, Mapping) or not _has_id(record):
            return
        rec = dict(record)  # the caller may reuse its dict; the index keeps its own
        target.add(
            rec,
            fields_of(kind, rec, self.context),
            links_of(kind, rec),
            date=_date_ordinal(kind, rec),
            names=_names(kind, rec),
        )
        self._compact_if_needed(kind)

    def remove(self, kind: str, record_id: object) -> None:
        """Forget one record (a meeting or signal deleted); unknown ids are ignored."""
        target = self.kinds.get(kind)
        if target is not None and target.remove(record_id):
            self._compact_if_needed(kind)

    def _compact_if_needed(self, kind: str) -> None:
        target = self.kinds[kind]
        if target.dead > max(1000, target.alive):
            live = [r for r in target.records if r is not None]
            self._index_kind(kind, live)

    def df(self, term: str) -> int:
        """How many records (of all kinds) hold a term."""
        held = sum(len(entry[0]) for kind in self.kinds.values() if (entry := kind.get(term)))
        return held + self.logged_terms.get(term, 0)

    def has_term(self, term: str) -> bool:
        """Whether any kind holds the term (a stem or a #theme tag)."""
        return term in self.logged_terms or any(
            term in kind.postings for kind in self.kinds.values()
        )

    # ---- logged entries in the database --------------------------------------------------------

    def logged_impacts(self, kind: str, record: Mapping[str, Any]) -> dict[str, float]:
        """The terms of a meeting or signal with their impacts, to store in the database."""
        writer = KindIndex(kind, self.vocab)
        writer.avglen.update(LOGGED_AVGLEN.get(kind, {}))
        rec = dict(record)
        return writer.impacts(fields_of(kind, rec, self.context), links_of(kind, rec))

    def learn_logged(self, impacts: Mapping[str, float], *, gone: bool = False) -> None:
        """Count an entry's terms in (or out of) the known logged terms."""
        for term in impacts:
            count = self.logged_terms.get(term, 0) + (-1 if gone else 1)
            if count > 0:
                self.logged_terms[term] = count
            else:
                self.logged_terms.pop(term, None)

    async def search_db(
        self,
        question: str,
        fetch: Fetch,
        load: Load,
        *,
        limit: int = 10,
        today: dt.date | None = None,
    ) -> SearchAnswer:
        """`search` with the meetings and signals read from the database's index: for each
        kind, the question's terms' newest postings (`fetch`), then the hits' records (`load`)."""
        limit = max(1, min(limit if isinstance(limit, int) else 10, MAX_LIMIT))
        analysis = self.reader.read(question if isinstance(question, str) else "")
        answer = SearchAnswer(query=question if isinstance(question, str) else "")
        answer.order = analysis.order
        answer.groups = {kind: [] for kind in KINDS}
        if analysis.groups:
            reference = today or self.today
            explained: dict[str, dict[int, Scored]] = {kind: {} for kind in KINDS}
            groups = dict.fromkeys(CURATED, analysis.groups)
            scores = {
                kind: self._rank_kind(kind, analysis, groups[kind], limit, reference, explained)
                for kind in CURATED
            }
            reasons = self.relations.apply(scores, self.kinds)
            targets: dict[str, ShortlistIndex] = {}
            terms, alts = self._logged_query_terms(analysis.groups, scores)
            cap = max(DB_MIN_PER_ALT, DB_BUDGET // max(1, alts))
            fetched = await fetch(LOGGED, terms, cap)  # both kinds in one read
            shown: dict[str, list[int]] = {}
            for kind in LOGGED:
                target = ShortlistIndex(kind, self.vocab, fetched[kind])
                targets[kind] = target
                groups[kind] = link_groups(analysis.groups, self.kinds, scores, target)
                scores[kind] = self._rank_kind(
                    kind, analysis, groups[kind], limit, reference, explained, target
                )
                shown[kind] = [ordinal for ordinal, _ in scores[kind][:limit]]
            wanted = {kind: [targets[kind].ids[o] for o in shown[kind]] for kind in LOGGED}
            records = await load(wanted) if any(wanted.values()) else {}
            for kind in LOGGED:
                targets[kind].fill(records.get(kind, {}), shown[kind])
            for kind in KINDS:
                ranked = scores[kind][:limit]
                answer.groups[kind] = self._hits(
                    kind, groups[kind], ranked, reasons, explained[kind], targets.get(kind)
                )
        if answer.empty:
            answer.suggestions = suggest_themes(
                self.thesaurus, analysis.words, self._default_suggestions
            )
        return answer

    def _logged_query_terms(
        self, groups: Sequence[Group], scores: Mapping[str, list[tuple[int, float]]]
    ) -> tuple[list[str], int]:
        """Every term the logs could be ranked on: the question's alternatives, and the links
        to the bodies and partners it names (see link_groups); and how many alternatives."""
        terms: list[str] = []
        alts = 0
        for group in groups:
            for alt in group.alts:
                alts += 1
                terms.extend(alt.terms)
        for kind, prefix in (("bodies", BODY_LINK), ("partners", PARTNER_LINK)):
            target = self.kinds.get(kind)
            if target is None:
                continue
            for ordinal, _ in scores.get(kind, [])[:LINK_SOURCES]:
                rec = target.records[ordinal]
                if rec is not None:
                    terms.append(prefix + text_of(rec.get("id")))
        return list(dict.fromkeys(terms)), alts

    def __len__(self) -> int:
        return sum(kind.alive for kind in self.kinds.values())

    def _latest_date(self) -> dt.date | None:
        latest = 0
        for kind in LOGGED:
            target = self.kinds.get(kind)
            if target is not None and len(target.dates):
                latest = max(latest, max(target.dates))
        return dt.date.fromordinal(latest) if latest > 0 else None

    # ---- asking -------------------------------------------------------------------------

    def search(
        self, question: str, *, limit: int = 10, today: dt.date | None = None
    ) -> SearchAnswer:
        """Answer a free-text question with ranked hits per kind; never raises on odd input."""
        limit = max(1, min(limit if isinstance(limit, int) else 10, MAX_LIMIT))
        analysis = self.reader.read(question if isinstance(question, str) else "")
        answer = SearchAnswer(query=question if isinstance(question, str) else "")
        answer.order = analysis.order
        answer.groups = {kind: [] for kind in KINDS}
        if analysis.groups:
            reference = today or self.today or self._latest_date()
            explained: dict[str, dict[int, Scored]] = {kind: {} for kind in KINDS}
            groups = dict.fromkeys(CURATED, analysis.groups)
            scores = {
                kind: self._rank_kind(kind, analysis, groups[kind], limit, reference, explained)
                for kind in CURATED
            }
            reasons = self.relations.apply(scores, self.kinds)
            for kind in LOGGED:
                # Logs match a body or partner the question names through their links.
                groups[kind] = link_groups(analysis.groups, self.kinds, scores, self.kinds[kind])
                scores[kind] = self._rank_kind(
                    kind, analysis, groups[kind], limit, reference, explained
                )
            for kind in KINDS:
                ranked = scores[kind][:limit]
                answer.groups[kind] = self._hits(
                    kind, groups[kind], ranked, reasons, explained[kind]
                )
        if answer.empty:
            answer.suggestions = suggest_themes(
                self.thesaurus, analysis.words, self._default_suggestions
            )
        return answer

    def _rank_kind(
        self,
        kind: str,
        analysis: Analysis,
        groups: list[Group],
        limit: int,
        reference: dt.date | None,
        explained: dict[str, dict[int, Scored]],
        target: KindIndex | None = None,
    ) -> list[tuple[int, float]]:
        target = target if target is not None else self.kinds.get(kind)
        if target is None or not target.alive:
            return []
        if kind in LOGGED:
            priors = recency_priors(target, reference)
            shortlist = 2 * limit + 10
            return rank(
                target, groups, shortlist=shortlist, prior=priors, explained=explained[kind]
            )
        bonus = _name_bonus(target, analysis)
        prior = plan_priors(target, self.current_plan) if kind == "actions" else None
        return rank(target, groups, shortlist=max(200, 3 * limit), prior=prior, bonus=bonus)

    def _hits(
        self,
        kind: str,
        groups: list[Group],
        ranked: list[tuple[int, float]],
        reasons: dict[tuple[str, int], list[str]],
        explained: dict[int, Scored],
        target: KindIndex | None = None,
    ) -> list[Hit]:
        target = target if target is not None else self.kinds[kind]
        hits: list[Hit] = []
        for ordinal, score in ranked:
            rec = target.records[ordinal]
            if rec is None:
                continue
            hits.append(
                Hit(
                    kind=kind,
                    id=_id_of(rec),
                    title=title_of(kind, rec, self.context),
                    score=score,
                    aliases=ids_of(rec.get("aliases")) if kind in ("partners", "bodies") else None,
                    extra=_extra(kind, rec),
                    detail=self._detail(kind, groups, ordinal, rec, reasons, explained, target),
                )
            )
        return hits

    def _detail(
        self,
        kind: str,
        groups: list[Group],
        ordinal: int,
        rec: Mapping[str, Any],
        reasons: dict[tuple[str, int], list[str]],
        explained: dict[int, Scored],
        target: KindIndex,
    ) -> Callable[[], tuple[str, list[str]]]:
        """The snippet and matched labels of one hit, worked out when first asked for."""

        def work_out() -> tuple[str, list[str]]:
            why = explained.get(ordinal) or explain(target, groups, ordinal)
            matched = why.labels or reasons.get((kind, ordinal), [])
            snippet = make_snippet(snippet_source(kind, rec), self.vocab.surface_forms(why.terms))
            return snippet, list(matched)

        return work_out


def _has_id(rec: Mapping[str, Any]) -> bool:
    value = rec.get("id")
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != ""


def _id_of(rec: Record) -> str | int:
    value = rec.get("id")
    return value if isinstance(value, int) else str(value)


def _date_ordinal(kind: str, rec: Record) -> int:
    day = date_of(kind, rec)
    return day.toordinal() if day is not None else 0


def _names(kind: str, rec: Record) -> list[str]:
    if kind in ("partners", "bodies"):
        return [text_of(rec.get("name")), *ids_of(rec.get("aliases"))]
    if kind == "actions":
        return [text_of(rec.get("title"))]
    return []


def _extra(kind: str, rec: Record) -> dict[str, Any]:
    """Fields a caller needs to show a hit beyond id and title."""
    get = rec.get
    if kind == "actions":
        return {"plan": plan_of(rec), "code": text_of(get("code"))}
    if kind == "partners":
        return {"kind": text_of(get("kind"))}
    if kind == "bodies":
        return {"role": text_of(get("role"))}
    if kind == "meetings":
        return {
            "date": text_of(get("date"))[:10],
            "body": text_of(get("body")),
            "status": text_of(get("status")),
        }
    if kind == "signals":
        return {"date": text_of(get("date"))[:10], "status": text_of(get("status"))}
    if kind == "documents":
        return {"source": text_of(get("source")), "heading": text_of(get("heading"))}
    return {}


def _name_bonus(target: KindIndex, analysis: Analysis) -> Callable[[int], float] | None:
    """A record whose name or alias is what was typed ranks first (Kortrijk, STAM, ROA)."""
    groups = [g.stems for g in analysis.groups if g.stems and not g.optional]
    if not groups:
        return None
    typed = set().union(*(g.stems for g in analysis.groups))
    surfaces = [g.surfaces for g in analysis.groups if g.stems and not g.optional]
    names = target.names
    # Partners and bodies are looked up by name; action titles are descriptive, so the same
    # words in a title say less.
    whole, partial = NAME_BONUS.get(target.kind, (1.0, 1.0))

    def bonus(ordinal: int) -> float:
        best = 1.0
        for name, surface in names[ordinal]:
            if not name or not all(g & name for g in groups):
                continue
            value = whole if name <= typed else partial
            # The very words typed (duurzaamheid) beat the same stem (duurzaam).
            if all(s & surface for s in surfaces):
                value *= EXACT_WORDS
            best = max(best, value)
        return best

    return bonus


def _current_plan(snapshot: Mapping[str, Any], today: dt.date | None) -> str:
    """The plan whose period holds today (else the one that ends last)."""
    best: tuple[int, int, int, str] | None = None
    for plan in records(snapshot, "plans"):
        period = plan.get("period")
        if not isinstance(period, (list, tuple)) or len(period) != 2:
            continue
        try:
            first, last = int(period[0]), int(period[1])
        except (TypeError, ValueError):
            continue
        running = today is not None and first <= today.year <= last
        # Running plans: the latest started; otherwise the one that ends last.
        key = (int(running), 0 if running else last, first, str(plan.get("id")))
        if best is None or key > best:
            best = key
    return best[3] if best is not None else ""
