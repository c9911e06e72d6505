"""Scoring one kind's records for a question's groups (BM25F, coverage, priors)."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.search.postings import KindIndex
from bot.search.query import Alt, Group

# Postings read per query and kind; beyond it only the newest postings of a term are read
# as candidates, and the shortlist is then scored exactly. Keeps p99 flat as logs grow.
BUDGET: Final = 3_000
MIN_PER_ALT: Final = 60
COVERAGE_FLOOR: Final = 0.35  # share of the score left to a record matching few of the words
# A record matching a concept several ways (tagged with the theme, a synonym in its title and
# the word in its text) is more central to it than one that only mentions the word.
OTHER_ALTS: Final = 0.25


@dataclass(slots=True)
class Scored:
    """A record's ordinal, its score and, per group, what it matched on (for `matched`)."""

    ordinal: int
    score: float
    labels: list[str]
    terms: set[str]


def coverage(share: float) -> float:
    """Records matching more of the question rank above partial matches; `share` is the
    idf-weighted part of the question they match, so missing a common word costs little."""
    return COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * share * share


def group_weights(index: KindIndex, groups: Sequence[Group]) -> list[float]:
    """How much each group counts for coverage in this kind: its best alternative's idf."""
    weights = []
    for group in groups:
        best = 0.0
        if not group.optional:
            for alt in group.alts:
                if index.get(alt.terms[0]) is not None:
                    best = max(best, alt.weight * index.term_idf(alt.terms[0]))
        weights.append(best)
    return weights


def _alt_candidates(index: KindIndex, alt: Alt, cap: int) -> tuple[dict[int, float], bool]:
    """Scores of the records matching an alternative, from at most `cap` newest postings."""
    truncated = False
    result: dict[int, float] | None = None
    for term in alt.terms:
        entry = index.get(term)
        if entry is None:
            return {}, False
        docs, impacts = entry
        weight = alt.weight * index.term_idf(term) / len(alt.terms)
        if index.df_of(term) > cap:
            truncated = True
            docs, impacts = docs[-cap:], impacts[-cap:]
        if result is None:
            result = {d: weight * imp for d, imp in zip(docs, impacts, strict=True)}
        else:
            previous = result
            result = {}
            for d, imp in zip(docs, impacts, strict=True):
                base = previous.get(d)
                if base is not None:
                    result[d] = base + weight * imp
    return result or {}, truncated


def alt_score(index: KindIndex, alt: Alt, ordinal: int) -> float:
    """Exact score of one alternative for one record (bisect in each term's postings)."""
    total = 0.0
    for term in alt.terms:
        entry = index.get(term)
        if entry is None:
            return 0.0
        docs, impacts = entry
        i = bisect_left(docs, ordinal)
        if i == len(docs) or docs[i] != ordinal:
            return 0.0
        total += alt.weight * index.term_idf(term) * impacts[i] / len(alt.terms)
    return total


def explain(
    index: KindIndex,
    groups: Sequence[Group],
    ordinal: int,
    weights: Sequence[float] | None = None,
) -> Scored:
    """Exact per-group scores of one record, and the label and terms of what matched."""
    weights = group_weights(index, groups) if weights is None else weights
    score = 0.0
    matched = 0.0
    labels: list[str] = []
    terms: set[str] = set()
    for group, weight in zip(groups, weights, strict=True):
        best, best_alt, summed = 0.0, None, 0.0
        for alt in group.alts:
            value = alt_score(index, alt, ordinal)
            summed += value
            if value > best:
                best, best_alt = value, alt
        if best_alt is not None:
            score += (1.0 - OTHER_ALTS) * best + OTHER_ALTS * summed
            matched += weight
            if best_alt.label not in labels:
                labels.append(best_alt.label)
            terms.update(t for t in best_alt.terms if t[0] not in "#@")
    total = sum(weights)
    return Scored(ordinal, score * coverage(matched / total if total else 1.0), labels, terms)


def _group_scores(index: KindIndex, group: Group, cap: int) -> tuple[dict[int, float], bool]:
    """Per record: its best alternative plus a share of the others (see OTHER_ALTS)."""
    if len(group.alts) == 1:
        return _alt_candidates(index, group.alts[0], cap)
    best: dict[int, float] = {}
    summed: dict[int, float] = {}
    any_truncated = False
    for alt in group.alts:
        scores, truncated = _alt_candidates(index, alt, cap)
        any_truncated |= truncated
        for d, s in scores.items():
            summed[d] = summed.get(d, 0.0) + s
            if s > best.get(d, 0.0):
                best[d] = s
    keep = 1.0 - OTHER_ALTS
    return {d: keep * s + OTHER_ALTS * summed[d] for d, s in best.items()}, any_truncated


def rank(
    index: KindIndex,
    groups: Sequence[Group],
    *,
    shortlist: int,
    prior: Sequence[float] | None = None,
    bonus: Callable[[int], float] | None = None,
    explained: dict[int, Scored] | None = None,
) -> list[tuple[int, float]]:
    """Records matching the groups, best first: [(ordinal, score)], at most `shortlist`.

    `prior` holds a factor per ordinal (recency, plan); `bonus` is asked per candidate;
    records scored exactly on the way are left in `explained` for the hits to reuse.
    """
    n_alts = sum(len(g.alts) for g in groups) or 1
    cap = max(MIN_PER_ALT, BUDGET // n_alts)
    weights = group_weights(index, groups)
    total_weight = sum(weights) or 1.0
    totals: dict[int, float] = {}
    matched: dict[int, float] = {}
    any_truncated = False
    for group, weight in zip(groups, weights, strict=True):
        scores, truncated = _group_scores(index, group, cap)
        any_truncated |= truncated
        if not scores:
            continue
        if not totals:
            totals = dict(scores)
            matched = dict.fromkeys(scores, weight)
            continue
        for d, s in scores.items():
            totals[d] = totals.get(d, 0.0) + s
            matched[d] = matched.get(d, 0.0) + weight
    records = index.records
    floor, rest = COVERAGE_FLOOR, (1.0 - COVERAGE_FLOOR) / (total_weight * total_weight)
    if prior is None:
        scored = [
            (t * (floor + rest * matched[d] * matched[d]), d)
            for d, t in totals.items()
            if records[d] is not None
        ]
    else:
        scored = [
            (t * (floor + rest * matched[d] * matched[d]) * prior[d], d)
            for d, t in totals.items()
            if records[d] is not None
        ]
    if bonus is not None:
        scored = [(value * bonus(d), d) for value, d in scored]
    top = heapq.nlargest(shortlist, scored)
    if any_truncated:
        # Candidates came from the newest postings only: score the shortlist exactly.
        rescored = []
        for _, d in top:
            why = explain(index, groups, d, weights)
            if explained is not None:
                explained[d] = why
            value = why.score
            value *= prior[d] if prior is not None else 1.0
            value *= bonus(d) if bonus is not None else 1.0
            rescored.append((value, d))
        top = sorted(rescored, reverse=True)
    return [(d, value) for value, d in top]
