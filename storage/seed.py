"""Seed the database from a validated knowledge base: in place, idempotent, one transaction.

Records are matched by id: new ones are added, changed ones updated, and ones gone from data/
deleted - or, when meetings or signals still refer to them, kept and marked retired. What users
logged (members, meetings, signals, the audit log) is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.kb import KnowledgeBase
from storage.models import (
    Action,
    ActionBody,
    ActionPartner,
    ActionTheme,
    Body,
    BodyPartner,
    BodyTheme,
    Cadence,
    Document,
    Meeting,
    MeetingAttendee,
    Meta,
    Partner,
    PartnerTheme,
    Plan,
    Signal,
    SignalTheme,
    Theme,
)

logger = logging.getLogger(__name__)

FINGERPRINT_KEY = "kb_fingerprint"
# An imported knowledge base is pinned: start-up does not overwrite it from data/.
IMPORTED = "imported"
_SEED_LOCK = 7_241_013  # PostgreSQL advisory lock id: one seeder at a time across instances


@dataclass
class SeedReport:
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(sum(d.values()) for d in (self.added, self.updated, self.removed, self.retired))

    def summary(self) -> str:
        parts = []
        for label, counts in (
            ("added", self.added),
            ("updated", self.updated),
            ("removed", self.removed),
            ("retired", self.retired),
        ):
            total = sum(counts.values())
            if total:
                detail = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
                parts.append(f"{label} {total} ({detail})")
        return "; ".join(parts) or "no changes"


async def get_meta(session: AsyncSession, key: str) -> str | None:
    row = await session.get(Meta, key)
    return row.value if row else None


async def set_meta(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


async def _lock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEED_LOCK})


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _same_ids(current: list[Any], wanted: list[Any]) -> bool:
    return sorted(o.id for o in current) == sorted(o.id for o in wanted)


class _Seeder:
    def __init__(self, session: AsyncSession, kb: KnowledgeBase) -> None:
        self.session = session
        self.kb = kb
        self.report = SeedReport()

    def _count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    async def _existing(self, model: Any, *options: Any) -> dict[str, Any]:
        rows = (await self.session.scalars(select(model).options(*options))).all()
        return {row.id: row for row in rows}

    async def _upsert(
        self, kind: str, model: Any, existing: dict[str, Any], rec_id: str, values: dict[str, Any]
    ) -> Any:
        obj = existing.get(rec_id)
        if obj is None:
            obj = model(id=rec_id, **values)
            self.session.add(obj)
            existing[rec_id] = obj
            self._count(self.report.added, kind)
        elif _assign(obj, values):
            self._count(self.report.updated, kind)
        return obj

    async def run(self) -> SeedReport:
        await _lock(self.session)
        recs = self.kb.records
        themes = await self._existing(Theme)
        for r in recs["themes"]:
            await self._upsert(
                "themes",
                Theme,
                themes,
                r["id"],
                {
                    "name": r["name"],
                    "description": r["description"],
                    "synonyms": r["synonyms"],
                    "retired": False,
                },
            )
        partners = await self._existing(Partner, selectinload(Partner.themes))
        for r in recs["partners"]:
            obj = await self._upsert(
                "partners",
                Partner,
                partners,
                r["id"],
                {
                    "name": r["name"],
                    "kind": r["kind"],
                    "description": r["description"],
                    "note": r["note"],
                    "aliases": r["aliases"],
                    "retired": False,
                },
            )
            await self._links("partners", obj, "themes", [themes[t] for t in r["themes"]])
        plans = await self._existing(Plan)
        for r in recs["plans"]:
            await self._upsert(
                "plans",
                Plan,
                plans,
                r["id"],
                {
                    "title": r["title"],
                    "period_from": r["period"][0],
                    "period_to": r["period"][1],
                    "seed": r["seed"],
                    "sections": r["sections"],
                },
            )
        bodies = await self._existing(
            Body,
            selectinload(Body.partners),
            selectinload(Body.themes),
            selectinload(Body.cadences),
        )
        for r in recs["bodies"]:
            obj = await self._upsert(
                "bodies",
                Body,
                bodies,
                r["id"],
                {
                    "name": r["name"],
                    "role": r["role"],
                    "role_text": r["role_text"],
                    "description": r["description"],
                    "organiser_id": r["organiser"],
                    "active_from": r["active"]["from"],
                    "active_until": r["active"]["until"],
                    "grace_days": r["grace_days"],
                    "aliases": r["aliases"],
                    "sources": r["sources"],
                    "retired": False,
                },
            )
            await self._links("bodies", obj, "partners", [partners[p] for p in r["partners"]])
            await self._links("bodies", obj, "themes", [themes[t] for t in r["themes"]])
            await self._cadence(obj, r["cadence"])
        await self.session.flush()
        actions = await self._existing(
            Action,
            selectinload(Action.partners),
            selectinload(Action.themes),
            selectinload(Action.bodies),
        )
        for r in recs["actions"]:
            obj = await self._upsert(
                "actions",
                Action,
                actions,
                r["id"],
                {
                    "plan_id": r["plan"],
                    "code": r["code"],
                    "title": r["title"],
                    "section": r["section"],
                    "description": r["description"],
                    "trekker": r["trekker"],
                    "partners_text": r["partners_text"],
                    "timing": r["timing"],
                    "werkjaren": r["werkjaren"],
                    "source": r["source"],
                },
            )
            await self._links("actions", obj, "partners", [partners[p] for p in r["partners"]])
            await self._links("actions", obj, "themes", [themes[t] for t in r["themes"]])
            await self._links("actions", obj, "bodies", [bodies[b] for b in r["bodies"]])
        documents = await self._existing(Document)
        for r in recs["documents"]:
            await self._upsert(
                "documents",
                Document,
                documents,
                r["id"],
                {
                    "source": r["source"],
                    "year": r["year"],
                    "heading": r["heading"],
                    "text": r["text"],
                    "position": r["position"],
                },
            )
        await self.session.flush()
        await self._remove_missing(actions, documents, plans, bodies, partners, themes)
        await self.session.flush()
        return self.report

    async def _links(self, kind: str, obj: Any, attr: str, wanted: list[Any]) -> None:
        # New objects have no loaded collection yet; assigning the list is then a plain insert.
        current = obj.__dict__.get(attr)
        if current is None or not _same_ids(current, wanted):
            setattr(obj, attr, wanted)
            if current is not None:
                self._count(self.report.updated, kind)

    async def _cadence(self, body: Body, wanted: list[dict[str, Any]]) -> None:
        current = body.__dict__.get("cadences")
        target = [(c["from"], c["per_year"], c["source"], c["text"]) for c in wanted]
        have = [(c.from_year, c.per_year, c.source, c.text) for c in current or []]
        if current is not None and have == target:
            return
        if current:
            body.cadences.clear()
            await self.session.flush()
            self._count(self.report.updated, "bodies")
        body.cadences = [
            Cadence(from_year=f, per_year=n, source=s, text=t) for f, n, s, t in target
        ]

    async def _remove_missing(
        self,
        actions: dict[str, Any],
        documents: dict[str, Any],
        plans: dict[str, Any],
        bodies: dict[str, Any],
        partners: dict[str, Any],
        themes: dict[str, Any],
    ) -> None:
        recs = self.kb.records
        for kind, existing in (("actions", actions), ("documents", documents)):
            wanted = {r["id"] for r in recs[kind]}
            for rec_id, obj in list(existing.items()):
                if rec_id not in wanted:
                    await self.session.delete(obj)
                    self._count(self.report.removed, kind)
        await self.session.flush()
        for rec_id, obj in list(plans.items()):
            if rec_id not in {r["id"] for r in recs["plans"]}:
                await self.session.delete(obj)
                self._count(self.report.removed, "plans")
        in_use: dict[str, Callable[[str], ColumnElement[bool]]] = {
            "bodies": lambda i: (
                exists().where(Meeting.body_id == i) | exists().where(Signal.source_body_id == i)
            ),
            "partners": lambda i: (
                exists().where(MeetingAttendee.partner_id == i)
                | exists().where(Signal.source_partner_id == i)
                | exists().where(Body.organiser_id == i)
            ),
            "themes": lambda i: exists().where(SignalTheme.theme_id == i),
        }
        for kind, existing in (("bodies", bodies), ("partners", partners), ("themes", themes)):
            wanted = {r["id"] for r in recs[kind]}
            for rec_id, obj in list(existing.items()):
                if rec_id in wanted or obj.retired:
                    continue
                if await self.session.scalar(select(literal(1)).where(in_use[kind](rec_id))):
                    obj.retired = True
                    self._count(self.report.retired, kind)
                else:
                    await self._detach(kind, obj)
                    await self.session.delete(obj)
                    self._count(self.report.removed, kind)
                await self.session.flush()

    async def _detach(self, kind: str, obj: Any) -> None:
        # Link rows pointing at a record removed from data/ go with it.
        links: dict[str, list[Any]] = {
            "bodies": [ActionBody.body_id],
            "partners": [ActionPartner.partner_id, BodyPartner.partner_id],
            "themes": [ActionTheme.theme_id, BodyTheme.theme_id, PartnerTheme.theme_id],
        }
        for column in links[kind]:
            await self.session.execute(delete(column.table).where(column == obj.id))


async def seed(session: AsyncSession, kb: KnowledgeBase, *, fingerprint: str | None) -> SeedReport:
    """Bring the KB tables in line with kb; the caller commits."""
    report = await _Seeder(session, kb).run()
    await set_meta(session, FINGERPRINT_KEY, fingerprint or kb.fingerprint)
    return report
