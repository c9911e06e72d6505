"""Relations that enrich an answer: partners and bodies rank through the actions they serve."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from bot.search.fields import BODY_LINK, PARTNER_LINK, ids_of, records, text_of
from bot.search.postings import KindIndex
from bot.search.query import Alt, Group
from bot.search.ranking import OTHER_ALTS
from bot.search.themes import Thesaurus

Ranked = list[tuple[int, float]]

FROM_ACTIONS: Final = 0.6
FROM_BODIES: Final = 1.0  # "wie zit er in X": the members of a named body
FROM_PARTNERS: Final = 0.25
ORGANISER: Final = 1.5  # who organises a body answers "wie" about it before its members
EXTRA_LINKS: Final = 0.15  # every further linked action adds a little
SOURCES: Final = 30  # only the best actions, bodies and partners pass their score on
LINK_SOURCES: Final = 3  # bodies or partners a question can name at once
LINK_SHARE: Final = 0.3  # ... each scoring at least this share of the best one
LINK_OVER_MENTION: Final = 1.2  # a meeting *of* a body ranks above one that mentions it


class Relations:
    """How often each partner occurs in actions, to damp the ever-present ones (W13)."""

    def __init__(self) -> None:
        self.partner_actions: dict[str, int] = {}
        self.theme_actions: dict[str, int] = {}
        self.bodies_of_partner: dict[str, list[str]] = {}
        self._links: _Links | None = None

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Relations:
        relations = cls()
        for action in records(snapshot, "actions"):
            for partner in ids_of(action.get("partners")):
                relations.partner_actions[partner] = relations.partner_actions.get(partner, 0) + 1
            for theme in ids_of(action.get("themes")):
                relations.theme_actions[theme] = relations.theme_actions.get(theme, 0) + 1
        for body in records(snapshot, "bodies"):
            for partner in ids_of(body.get("partners")):
                relations.bodies_of_partner.setdefault(partner, []).append(str(body.get("id")))
        return relations

    def busiest_themes(self, thesaurus: Thesaurus, count: int) -> list[str]:
        """Names of the themes with the most actions: the default suggestions."""
        ranked = sorted(self.theme_actions.items(), key=lambda item: (-item[1], item[0]))
        names = [thesaurus.themes[t].name for t, _ in ranked if t in thesaurus.themes]
        if len(names) < count:
            names += [n for n in thesaurus.phrases() if n not in names]
        return [n.lower() for n in names[:count]]

    def _damp(self, partner_id: str) -> float:
        return _damp(self.partner_actions, partner_id)

    def apply(
        self, scores: dict[str, Ranked], kinds: Mapping[str, KindIndex]
    ) -> dict[tuple[str, int], list[str]]:
        """Add relation scores to partners and bodies in place; return why each was added."""
        actions, partners, bodies = (kinds.get(k) for k in ("actions", "partners", "bodies"))
        if actions is None or partners is None or bodies is None:
            return {}
        links = self._links_for(actions, partners, bodies)
        reasons: dict[tuple[str, int], list[str]] = {}
        to_partner: dict[int, list[float]] = {}
        to_body: dict[int, list[float]] = {}
        for ordinal, score in scores.get("actions", [])[:SOURCES]:
            found = links.of_action(ordinal)
            if found is None:
                continue
            label, action_partners, action_bodies = found
            for target, damp in action_partners:
                to_partner.setdefault(target, []).append(score * damp)
                reasons.setdefault(("partners", target), []).append(label)
            for target in action_bodies:
                to_body.setdefault(target, []).append(score)
                reasons.setdefault(("bodies", target), []).append(label)
        from_bodies: dict[int, float] = {}
        for ordinal, score in scores.get("bodies", [])[:SOURCES]:
            found_body = links.of_body(ordinal)
            if found_body is None:
                continue
            label, members = found_body
            for target, weight in members:
                from_bodies[target] = max(from_bodies.get(target, 0.0), score * weight)
                reasons.setdefault(("partners", target), []).append(label)
        from_partners: dict[int, float] = {}
        for ordinal, score in scores.get("partners", [])[:SOURCES]:
            for target in links.of_partner(ordinal):
                from_partners[target] = max(from_partners.get(target, 0.0), score)
        scores["partners"] = _merge(
            scores.get("partners", []),
            {p: FROM_ACTIONS * _spread(v) for p, v in to_partner.items()},
            {p: FROM_BODIES * v for p, v in from_bodies.items()},
        )
        scores["bodies"] = _merge(
            scores.get("bodies", []),
            {b: FROM_ACTIONS * _spread(v) for b, v in to_body.items()},
            {b: FROM_PARTNERS * v for b, v in from_partners.items()},
        )
        return {key: _unique(value)[:3] for key, value in reasons.items()}

    def _links_for(self, actions: KindIndex, partners: KindIndex, bodies: KindIndex) -> _Links:
        # The curated kinds only change by a rebuild, which makes new KindIndex objects.
        cached = self._links
        if cached is None or not cached.serves(actions, partners, bodies):
            cached = self._links = _Links(
                self.partner_actions, self.bodies_of_partner, actions, partners, bodies
            )
        return cached


class _Links:
    """Per record of the curated kinds, its links as ordinals and weights, worked out once.

    Every question would otherwise walk the same partner and body lists of the same actions.
    It holds no reference back to its Relations: no cycle, so an old index is freed by
    reference counting after a rebuild (even when start-up objects were frozen out of the
    garbage collector).
    """

    def __init__(
        self,
        partner_actions: dict[str, int],
        bodies_of_partner: dict[str, list[str]],
        actions: KindIndex,
        partners: KindIndex,
        bodies: KindIndex,
    ) -> None:
        self.partner_actions = partner_actions
        self.bodies_of_partner = bodies_of_partner
        self.actions, self.partners, self.bodies = actions, partners, bodies
        self.action_links: dict[int, tuple[str, list[tuple[int, float]], list[int]] | None] = {}
        self.body_links: dict[int, tuple[str, list[tuple[int, float]]] | None] = {}
        self.partner_links: dict[int, list[int]] = {}

    def serves(self, actions: KindIndex, partners: KindIndex, bodies: KindIndex) -> bool:
        return actions is self.actions and partners is self.partners and bodies is self.bodies

    def of_action(self, ordinal: int) -> tuple[str, list[tuple[int, float]], list[int]] | None:
        if ordinal not in self.action_links:
            rec = self.actions.records[ordinal]
            found = None
            if rec is not None:
                to_partners = [
                    (target, _damp(self.partner_actions, pid))
                    for pid in ids_of(rec.get("partners"))
                    if (target := self.partners.ordinal.get(pid)) is not None
                ]
                to_bodies = [
                    target
                    for bid in ids_of(rec.get("bodies"))
                    if (target := self.bodies.ordinal.get(bid)) is not None
                ]
                found = (f"via actie {text_of(rec.get('id'))}", to_partners, to_bodies)
            self.action_links[ordinal] = found
        return self.action_links[ordinal]

    def of_body(self, ordinal: int) -> tuple[str, list[tuple[int, float]]] | None:
        if ordinal not in self.body_links:
            rec = self.bodies.records[ordinal]
            found = None
            if rec is not None:
                organiser = text_of(rec.get("organiser"))
                members = [
                    (
                        target,
                        _damp(self.partner_actions, pid)
                        * (ORGANISER if pid == organiser else 1.0),
                    )
                    for pid in dict.fromkeys([organiser, *ids_of(rec.get("partners"))])
                    if (target := self.partners.ordinal.get(pid)) is not None
                ]
                found = (f"via overleg {text_of(rec.get('name'))}", members)
            self.body_links[ordinal] = found
        return self.body_links[ordinal]

    def of_partner(self, ordinal: int) -> list[int]:
        if ordinal not in self.partner_links:
            rec = self.partners.records[ordinal]
            known = self.bodies_of_partner
            bodies = known.get(text_of(rec.get("id")), ()) if rec is not None else ()
            self.partner_links[ordinal] = [
                target for bid in bodies if (target := self.bodies.ordinal.get(bid)) is not None
            ]
        return self.partner_links[ordinal]


def _damp(partner_actions: dict[str, int], partner_id: str) -> float:
    # A partner in every action (W13, the local governments) says little about a theme.
    return 1.0 / (1.0 + 0.5 * math.log1p(partner_actions.get(partner_id, 0)))


def _spread(values: list[float]) -> float:
    """The best linked score, plus a little for every further link."""
    best = max(values)
    return best + EXTRA_LINKS * (sum(values) - best)


def _merge(direct: Ranked, *extras: dict[int, float]) -> Ranked:
    totals = dict(direct)
    for extra in extras:
        for ordinal, value in extra.items():
            totals[ordinal] = totals.get(ordinal, 0.0) + value
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def link_groups(
    groups: list[Group],
    kinds: Mapping[str, KindIndex],
    scores: Mapping[str, Ranked],
    logs: KindIndex,
) -> list[Group]:
    """The question's groups for meetings or signals (`logs`): a group that names one of the
    best bodies or partners also matches the logs linked to it (@b:id, @p:id), at least as
    strongly as a log that merely mentions the name."""
    extra: list[list[Alt]] = [[] for _ in groups]
    strongest = [_strongest(logs, group) for group in groups]
    for kind, prefix in (("bodies", BODY_LINK), ("partners", PARTNER_LINK)):
        target, ranked = kinds.get(kind), scores.get(kind, [])
        if target is None or not ranked or ranked[0][1] <= 0:
            continue
        top = ranked[0][1]
        for ordinal, score in ranked[:LINK_SOURCES]:
            rec = target.records[ordinal]
            if score < LINK_SHARE * top or rec is None:
                continue
            names = [stems for stems, _ in target.names[ordinal]]
            label = text_of(rec.get("name")) or text_of(rec.get("id"))
            term = prefix + text_of(rec.get("id"))
            entry = logs.get(term)
            if entry is None:
                continue
            idf = logs.term_idf(term)
            for i, group in enumerate(groups):
                if any(group.stems & stems for stems in names):
                    weight = max(1.0, LINK_OVER_MENTION * strongest[i] / idf) * score / top
                    extra[i].append(Alt((term,), weight, label))
    return [
        replace(group, alts=[*group.alts, *more]) if more else group
        for group, more in zip(groups, extra, strict=True)
    ]


def _strongest(logs: KindIndex, group: Group) -> float:
    """What a log could score on a group by mentioning it: its alternatives' weighted idf,
    combined as ranking combines them (the best one plus a share of the others)."""
    values = []
    for alt in group.alts:
        if logs.get(alt.terms[0]) is not None:
            values.append(alt.weight * logs.term_idf(alt.terms[0]))
    if not values:
        return 0.0
    return (1.0 - OTHER_ALTS) * max(values) + OTHER_ALTS * sum(values)
