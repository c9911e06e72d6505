"""What the jaarverslag of one year needs, read in a few set-based queries.

One pass over the year's meetings (plain columns, no ORM objects, so 10^4 meetings stay
cheap), one over their attendees, and the knowledge base the report hangs them on: plans and
their pillars, bodies with their cadence history, actions with the bodies and partners they
name. The result is plain frozen dataclasses; bot/services/report.py turns them into the report.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Action,
    ActionBody,
    ActionPartner,
    Body,
    BodyPartner,
    Cadence,
    Meeting,
    MeetingAttendee,
    Partner,
    Plan,
    Signal,
    SignalTheme,
    Theme,
)


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: str
    title: str
    period_from: int
    period_to: int
    sections: tuple[tuple[str, str], ...]  # (section id, title), in the plan's order


@dataclass(frozen=True, slots=True)
class BodyRow:
    id: str
    name: str
    role: str
    role_text: str | None
    active_from: int | None
    active_until: int | None
    grace_days: int | None
    retired: bool
    cadence: tuple[tuple[int, int], ...]  # (from_year, per_year), oldest first
    partners: tuple[str, ...]

    @property
    def organised_by_w13(self) -> bool:
        return self.role in ("trekker", "facilitator")

    def active_in(self, year: int) -> bool:
        if self.retired:
            return False
        if self.active_from is not None and year < self.active_from:
            return False
        return self.active_until is None or year <= self.active_until


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: str
    plan_id: str
    code: str
    title: str
    section: str | None
    werkjaren: tuple[int, ...]
    bodies: tuple[str, ...]
    partners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    body_id: str
    date: dt.date
    status: str
    topics: tuple[str, ...]
    notes: str | None
    attendees: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SignalRow:
    id: int
    date: dt.date
    text: str
    status: str
    addressee: str | None
    source_body_id: str | None
    source_partner_id: str | None
    themes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class YearData:
    """Everything one year's report is made of, Telegram- and database-free."""

    year: int
    plans: tuple[PlanRow, ...]
    bodies: dict[str, BodyRow]
    actions: tuple[ActionRow, ...]
    partner_names: dict[str, str]
    theme_names: dict[str, str]
    meetings: tuple[MeetingRow, ...]  # every status, by date then id
    signals: tuple[SignalRow, ...]  # by date then id

    @property
    def empty(self) -> bool:
        """Nothing logged in this year: no meeting (of any status) and no signal."""
        return not self.meetings and not self.signals


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


async def _knowledge(
    session: AsyncSession,
) -> tuple[tuple[PlanRow, ...], dict[str, BodyRow], tuple[ActionRow, ...]]:
    plans = tuple(
        PlanRow(
            id=p.id,
            title=p.title,
            period_from=p.period_from,
            period_to=p.period_to,
            sections=tuple(
                (str(s.get("id")), str(s.get("title") or s.get("id")))
                for s in (p.sections or [])
                if isinstance(s, dict)
            ),
        )
        for p in (await session.scalars(select(Plan).order_by(Plan.id))).all()
    )
    cadences: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for body_id, from_year, per_year in await session.execute(
        select(Cadence.body_id, Cadence.from_year, Cadence.per_year).order_by(
            Cadence.body_id, Cadence.from_year
        )
    ):
        cadences[body_id].append((from_year, per_year))
    body_partners: defaultdict[str, list[str]] = defaultdict(list)
    for body_id, partner_id in await session.execute(
        select(BodyPartner.body_id, BodyPartner.partner_id).order_by(BodyPartner.partner_id)
    ):
        body_partners[body_id].append(partner_id)
    bodies = {
        row.id: BodyRow(
            id=row.id,
            name=row.name,
            role=row.role,
            role_text=row.role_text,
            active_from=row.active_from,
            active_until=row.active_until,
            grace_days=row.grace_days,
            retired=bool(row.retired),
            cadence=tuple(cadences.get(row.id, ())),
            partners=tuple(body_partners.get(row.id, ())),
        )
        for row in await session.execute(
            select(
                Body.id,
                Body.name,
                Body.role,
                Body.role_text,
                Body.active_from,
                Body.active_until,
                Body.grace_days,
                Body.retired,
            )
        )
    }
    action_bodies: defaultdict[str, list[str]] = defaultdict(list)
    for action_id, body_id in await session.execute(
        select(ActionBody.action_id, ActionBody.body_id).order_by(ActionBody.body_id)
    ):
        action_bodies[action_id].append(body_id)
    action_partners: defaultdict[str, list[str]] = defaultdict(list)
    for action_id, partner_id in await session.execute(
        select(ActionPartner.action_id, ActionPartner.partner_id).order_by(
            ActionPartner.partner_id
        )
    ):
        action_partners[action_id].append(partner_id)
    actions = tuple(
        ActionRow(
            id=row.id,
            plan_id=row.plan_id,
            code=row.code,
            title=row.title,
            section=row.section,
            werkjaren=tuple(int(y) for y in (row.werkjaren or []) if isinstance(y, int)),
            bodies=tuple(action_bodies.get(row.id, ())),
            partners=tuple(action_partners.get(row.id, ())),
        )
        for row in await session.execute(
            select(
                Action.id,
                Action.plan_id,
                Action.code,
                Action.title,
                Action.section,
                Action.werkjaren,
            ).order_by(Action.id)
        )
    )
    return plans, bodies, actions


async def _linked(
    session: AsyncSession, entry: type[Meeting] | type[Signal], owner: Any, target: Any, when: Any
) -> defaultdict[int, list[str]]:
    """The ids each entry matching `when` links to: a meeting's attendees, a signal's themes."""
    linked: defaultdict[int, list[str]] = defaultdict(list)
    for entry_id, target_id in await session.execute(
        select(owner, target).join(entry, entry.id == owner).where(when).order_by(owner, target)
    ):
        linked[entry_id].append(target_id)
    return linked


async def _meetings(session: AsyncSession, year: int) -> tuple[MeetingRow, ...]:
    first, last = _year_bounds(year)
    in_year = Meeting.date.between(first, last)
    attendees = await _linked(
        session, Meeting, MeetingAttendee.meeting_id, MeetingAttendee.partner_id, in_year
    )
    rows = await session.execute(
        select(
            Meeting.id,
            Meeting.body_id,
            Meeting.date,
            Meeting.status,
            Meeting.topics,
            Meeting.notes,
        )
        .where(in_year)
        .order_by(Meeting.date, Meeting.id)
    )
    return tuple(
        MeetingRow(
            id=r.id,
            body_id=r.body_id,
            date=r.date,
            status=r.status,
            topics=tuple(str(t) for t in (r.topics or [])),
            notes=r.notes,
            attendees=tuple(attendees.get(r.id, ())),
        )
        for r in rows
    )


async def _signals(session: AsyncSession, year: int) -> tuple[SignalRow, ...]:
    first, last = _year_bounds(year)
    in_year = Signal.date.between(first, last)
    themes = await _linked(session, Signal, SignalTheme.signal_id, SignalTheme.theme_id, in_year)
    rows = await session.execute(
        select(
            Signal.id,
            Signal.date,
            Signal.text,
            Signal.status,
            Signal.addressee,
            Signal.source_body_id,
            Signal.source_partner_id,
        )
        .where(in_year)
        .order_by(Signal.date, Signal.id)
    )
    return tuple(
        SignalRow(
            id=r.id,
            date=r.date,
            text=r.text,
            status=r.status,
            addressee=r.addressee,
            source_body_id=r.source_body_id,
            source_partner_id=r.source_partner_id,
            themes=tuple(themes.get(r.id, ())),
        )
        for r in rows
    )


async def year_data(session: AsyncSession, *, year: int) -> YearData:
    """The year's meetings and signals with the knowledge base they refer to."""
    plans, bodies, actions = await _knowledge(session)
    partner_names = {
        str(k): str(v) for k, v in await session.execute(select(Partner.id, Partner.name))
    }
    theme_names = {str(k): str(v) for k, v in await session.execute(select(Theme.id, Theme.name))}
    return YearData(
        year=year,
        plans=plans,
        bodies=bodies,
        actions=actions,
        partner_names=partner_names,
        theme_names=theme_names,
        meetings=await _meetings(session, year),
        signals=await _signals(session, year),
    )
