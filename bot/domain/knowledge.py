"""The knowledge base as typed, frozen records: plans, actions, bodies, partners, themes, ...

Loaded once per process (and again when it changes) from the database; every service and
handler reads it through these records and the named queries on `KnowledgeBase`, never through
the export's dictionaries. Nothing here touches the database or Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class W13Role(StrEnum):
    """What W13 does in a body, as the plans say it."""

    TREKKER = "trekker"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    EXTERN = "extern"

    @property
    def organises(self) -> bool:
        """W13 organises the body: its cadence is W13's to keep (reminders, /stand)."""
        return self in (W13Role.TREKKER, W13Role.FACILITATOR)

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    W13Role.TREKKER: "trekker",
    W13Role.FACILITATOR: "faciliterend",
    W13Role.PARTICIPANT: "deelnemer",
    W13Role.EXTERN: "extern",
}


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    synonyms: tuple[str, ...] = ()
    description: str | None = None
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    description: str | None = None
    themes: tuple[str, ...] = ()
    note: str | None = None
    retired: bool = False


@dataclass(frozen=True, slots=True)
class CadenceStep:
    """From `from_year` on, the body meets `per_year` times a year (0: it stopped)."""

    from_year: int
    per_year: int
    source: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Body:
    id: str
    name: str
    role: W13Role
    aliases: tuple[str, ...] = ()
    role_text: str | None = None
    description: str | None = None
    organiser: str | None = None  # partner id, when someone else than W13 organises it
    partners: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    first_year: int | None = None
    last_year: int | None = None  # the last year it met; None while it runs
    grace_days: int | None = None
    cadence: tuple[CadenceStep, ...] = ()  # oldest first
    sources: tuple[str, ...] = ()
    retired: bool = False

    @property
    def organised_by_w13(self) -> bool:
        return self.role.organises

    def active_in(self, year: int) -> bool:
        """Whether the body met (or meets) in that year."""
        return (self.first_year or year) <= year <= (self.last_year or year)

    def cadence_in(self, year: int) -> CadenceStep | None:
        """The cadence step in force in that year, if any."""
        found = None
        for step in self.cadence:
            if step.from_year <= year:
                found = step
        return found


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    title: str
    first_year: int
    last_year: int
    seed: str | None = None
    sections: tuple[Section, ...] = ()

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    plan: str
    code: str
    title: str
    section: str | None = None
    description: str | None = None
    trekker: str | None = None
    partners: tuple[str, ...] = ()
    partners_text: str | None = None
    themes: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    timing: str | None = None
    werkjaren: tuple[int, ...] = ()
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """One paragraph of a source document (a jaarverslag, a plan)."""

    id: str
    source: str
    year: int | None
    heading: str | None
    text: str
    position: int = 0


def _role(value: Any) -> W13Role:
    """A role as stored, or the export's coarse "organiser"/"participant"."""
    if value in {role.value for role in W13Role}:
        return W13Role(value)
    return W13Role.TREKKER if value == "organiser" else W13Role.PARTICIPANT


def _by_id(records: Iterable[Any]) -> dict[str, Any]:
    return {record.id: record for record in records}


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the team's documents say, with lookups by id and named queries."""

    plans: tuple[Plan, ...] = ()
    actions: tuple[Action, ...] = ()
    bodies: tuple[Body, ...] = ()
    partners: tuple[Partner, ...] = ()
    themes: tuple[Theme, ...] = ()
    documents: tuple[Document, ...] = ()
    _plans: dict[str, Plan] = field(default_factory=dict, repr=False, compare=False)
    _actions: dict[str, Action] = field(default_factory=dict, repr=False, compare=False)
    _bodies: dict[str, Body] = field(default_factory=dict, repr=False, compare=False)
    _partners: dict[str, Partner] = field(default_factory=dict, repr=False, compare=False)
    _themes: dict[str, Theme] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_plans", _by_id(self.plans))
        object.__setattr__(self, "_actions", _by_id(self.actions))
        object.__setattr__(self, "_bodies", _by_id(self.bodies))
        object.__setattr__(self, "_partners", _by_id(self.partners))
        object.__setattr__(self, "_themes", _by_id(self.themes))

    # --- by id -------------------------------------------------------------------------------

    def plan(self, plan_id: str) -> Plan | None:
        return self._plans.get(plan_id)

    def action(self, action_id: str) -> Action | None:
        return self._actions.get(action_id)

    def body(self, body_id: str) -> Body | None:
        return self._bodies.get(body_id)

    def partner(self, partner_id: str) -> Partner | None:
        return self._partners.get(partner_id)

    def theme(self, theme_id: str) -> Theme | None:
        return self._themes.get(theme_id)

    def theme_names(self, ids: Iterable[str]) -> list[str]:
        """The names of these themes, in the knowledge base's order."""
        wanted = set(ids)
        return [theme.name for theme in self.themes if theme.id in wanted]

    # --- named queries ---------------------------------------------------------------------

    def live_bodies(self) -> list[Body]:
        """Bodies not retired from the knowledge base (stopped ones included)."""
        return [body for body in self.bodies if not body.retired]

    def bodies_organised_by_w13(self, year: int | None = None) -> list[Body]:
        """The bodies W13 organises (trekker or facilitator), those meeting in `year` if given."""
        return [
            body
            for body in self.live_bodies()
            if body.organised_by_w13 and (year is None or body.active_in(year))
        ]

    def active_bodies(self, year: int) -> list[Body]:
        return [body for body in self.live_bodies() if body.active_in(year)]

    def bodies_with_partner(self, partner_id: str) -> list[Body]:
        return [body for body in self.live_bodies() if partner_id in body.partners]

    def actions_of_body(self, body_id: str) -> list[Action]:
        return [action for action in self.actions if body_id in action.bodies]

    def actions_with_partner(self, partner_id: str) -> list[Action]:
        return [action for action in self.actions if partner_id in action.partners]

    def plan_in_force(self, year: int) -> Plan | None:
        """The newest plan whose period covers `year` (None when no known plan does)."""
        covering = [plan for plan in self.plans if plan.covers(year)]
        return max(covering, key=lambda plan: (plan.first_year, plan.id), default=None)

    def latest_plan(self) -> Plan | None:
        return max(self.plans, key=lambda plan: (plan.last_year, plan.id), default=None)

    # --- at the edge: the export's shape, for the search index and the exports ---------------

    def as_records(self) -> dict[str, list[dict[str, Any]]]:
        """The knowledge base in the shape of `regiebot export --json` (its KB part)."""
        return {
            "plans": [
                {
                    "id": p.id,
                    "title": p.title,
                    "period": [p.first_year, p.last_year],
                    "seed": p.seed,
                    "sections": [{"id": s.id, "title": s.title} for s in p.sections],
                }
                for p in self.plans
            ],
            "actions": [
                {
                    "id": a.id,
                    "plan": a.plan,
                    "code": a.code,
                    "title": a.title,
                    "section": a.section,
                    "description": a.description,
                    "trekker": a.trekker,
                    "partners": list(a.partners),
                    "partners_text": a.partners_text,
                    "themes": list(a.themes),
                    "bodies": list(a.bodies),
                    "timing": a.timing,
                    "werkjaren": list(a.werkjaren),
                    "source": a.source,
                }
                for a in self.actions
            ],
            "partners": [
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "aliases": list(p.aliases),
                    "description": p.description,
                    "themes": list(p.themes),
                    "note": p.note,
                    "retired": p.retired,
                }
                for p in self.partners
            ],
            "bodies": [
                {
                    "id": b.id,
                    "name": b.name,
                    "aliases": list(b.aliases),
                    "role": "organiser" if b.organised_by_w13 else "participant",
                    "w13_role": str(b.role),
                    "role_text": b.role_text,
                    "description": b.description,
                    "organiser": b.organiser,
                    "partners": list(b.partners),
                    "themes": list(b.themes),
                    "active": {"from": b.first_year, "until": b.last_year},
                    "grace_days": b.grace_days,
                    "cadence": [
                        {
                            "from": c.from_year,
                            "per_year": c.per_year,
                            "source": c.source,
                            "text": c.text,
                        }
                        for c in b.cadence
                    ],
                    "sources": list(b.sources),
                    "retired": b.retired,
                }
                for b in self.bodies
            ],
            "themes": [
                {
                    "id": t.id,
                    "name": t.name,
                    "synonyms": list(t.synonyms),
                    "description": t.description,
                    "retired": t.retired,
                }
                for t in self.themes
            ],
            "documents": [
                {
                    "id": d.id,
                    "title": d.heading or f"{d.source} §{d.position}",
                    "source": d.source,
                    "year": d.year,
                    "heading": d.heading,
                    "text": d.text,
                    "position": d.position,
                }
                for d in self.documents
            ],
        }

    @classmethod
    def from_records(cls, data: Mapping[str, Any]) -> KnowledgeBase:
        """Build from the export's KB shape (what `as_records` gives, or an export file)."""

        def strs(value: Any) -> tuple[str, ...]:
            return tuple(str(v) for v in value or ())

        return cls(
            plans=tuple(
                Plan(
                    id=p["id"],
                    title=p["title"],
                    first_year=int(p["period"][0]),
                    last_year=int(p["period"][1]),
                    seed=p.get("seed"),
                    sections=tuple(
                        Section(id=s["id"], title=s.get("title", ""))
                        for s in p.get("sections") or ()
                    ),
                )
                for p in data.get("plans", [])
            ),
            actions=tuple(
                Action(
                    id=a["id"],
                    plan=a["plan"],
                    code=str(a["code"]),
                    title=a["title"],
                    section=a.get("section"),
                    description=a.get("description"),
                    trekker=a.get("trekker"),
                    partners=strs(a.get("partners")),
                    partners_text=a.get("partners_text"),
                    themes=strs(a.get("themes")),
                    bodies=strs(a.get("bodies")),
                    timing=a.get("timing"),
                    werkjaren=tuple(int(y) for y in a.get("werkjaren") or ()),
                    source=a.get("source"),
                )
                for a in data.get("actions", [])
            ),
            bodies=tuple(
                Body(
                    id=b["id"],
                    name=b["name"],
                    role=_role(b.get("w13_role") or b.get("role")),
                    aliases=strs(b.get("aliases")),
                    role_text=b.get("role_text"),
                    description=b.get("description"),
                    organiser=b.get("organiser"),
                    partners=strs(b.get("partners")),
                    themes=strs(b.get("themes")),
                    first_year=(b.get("active") or {}).get("from"),
                    last_year=(b.get("active") or {}).get("until"),
                    grace_days=b.get("grace_days"),
                    cadence=tuple(
                        CadenceStep(
                            from_year=int(c["from"]),
                            per_year=int(c["per_year"]),
                            source=str(c.get("source") or ""),
                            text=c.get("text"),
                        )
                        for c in b.get("cadence") or ()
                    ),
                    sources=strs(b.get("sources")),
                    retired=bool(b.get("retired")),
                )
                for b in data.get("bodies", [])
            ),
            partners=tuple(
                Partner(
                    id=p["id"],
                    name=p["name"],
                    kind=p.get("kind") or "",
                    aliases=strs(p.get("aliases")),
                    description=p.get("description"),
                    themes=strs(p.get("themes")),
                    note=p.get("note"),
                    retired=bool(p.get("retired")),
                )
                for p in data.get("partners", [])
            ),
            themes=tuple(
                Theme(
                    id=t["id"],
                    name=t["name"],
                    synonyms=strs(t.get("synonyms")),
                    description=t.get("description"),
                    retired=bool(t.get("retired")),
                )
                for t in data.get("themes", [])
            ),
            documents=tuple(
                Document(
                    id=d["id"],
                    source=d["source"],
                    year=d.get("year"),
                    heading=d.get("heading"),
                    text=d.get("text") or "",
                    position=int(d.get("position") or 0),
                )
                for d in data.get("documents", [])
            ),
        )


def knowledge_from_rows(rows: Any) -> KnowledgeBase:
    """Build from the database's rows (storage.knowledge.KnowledgeRows: ORM objects, read by
    attribute so that this module imports no storage code)."""
    return KnowledgeBase(
        plans=tuple(
            Plan(
                id=p.id,
                title=p.title,
                first_year=p.period_from,
                last_year=p.period_to,
                seed=p.seed,
                sections=tuple(
                    Section(id=str(s.get("id")), title=str(s.get("title") or ""))
                    for s in p.sections or ()
                    if isinstance(s, Mapping)
                ),
            )
            for p in rows.plans
        ),
        actions=tuple(
            Action(
                id=a.id,
                plan=a.plan_id,
                code=a.code,
                title=a.title,
                section=a.section,
                description=a.description,
                trekker=a.trekker,
                partners=tuple(p.id for p in a.partners),
                partners_text=a.partners_text,
                themes=tuple(t.id for t in a.themes),
                bodies=tuple(b.id for b in a.bodies),
                timing=a.timing,
                werkjaren=tuple(int(y) for y in a.werkjaren or ()),
                source=a.source,
            )
            for a in rows.actions
        ),
        bodies=tuple(
            Body(
                id=b.id,
                name=b.name,
                role=_role(b.role),
                aliases=tuple(b.aliases or ()),
                role_text=b.role_text,
                description=b.description,
                organiser=b.organiser_id,
                partners=tuple(p.id for p in b.partners),
                themes=tuple(t.id for t in b.themes),
                first_year=b.active_from,
                last_year=b.active_until,
                grace_days=b.grace_days,
                cadence=tuple(
                    CadenceStep(c.from_year, c.per_year, c.source, c.text) for c in b.cadences
                ),
                sources=tuple(b.sources or ()),
                retired=bool(b.retired),
            )
            for b in rows.bodies
        ),
        partners=tuple(
            Partner(
                id=p.id,
                name=p.name,
                kind=p.kind,
                aliases=tuple(p.aliases or ()),
                description=p.description,
                themes=tuple(t.id for t in p.themes),
                note=p.note,
                retired=bool(p.retired),
            )
            for p in rows.partners
        ),
        themes=tuple(
            Theme(
                id=t.id,
                name=t.name,
                synonyms=tuple(t.synonyms or ()),
                description=t.description,
                retired=bool(t.retired),
            )
            for t in rows.themes
        ),
        documents=tuple(
            Document(
                id=d.id,
                source=d.source,
                year=d.year,
                heading=d.heading,
                text=d.text or "",
                position=d.position or 0,
            )
            for d in rows.documents
        ),
    )
