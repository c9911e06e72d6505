"""The search index of logged meetings and signals, kept in the database.

For each entry the bot writes its terms with their BM25F impacts (its own Dutch analysis, see
bot/search), how many entries hold each term, and the entry's date and status, all in the
transaction that stores the entry. A question reads only its own terms' postings, newest
first and at most `cap` per term, in one round trip per kind. The term "" counts the entries
of a kind. Functions ending in `_now` take a synchronous session (a write unit).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Integer, Select, bindparam, delete, func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.db import dialect_name, upsert_insert
from storage.models import Base, EntryDoc, EntryPosting, EntryTerm, Meeting, Signal

KINDS: Final = ("meetings", "signals")
COUNT_TERM: Final = ""  # entry_terms' row that counts a kind's entries
MAX_TERM: Final = 120

_TERMS = Base.metadata.tables[EntryTerm.__tablename__]
_POSTINGS = Base.metadata.tables[EntryPosting.__tablename__]
_DOCS = Base.metadata.tables[EntryDoc.__tablename__]


@functools.cache
def _count_up(dialect: str) -> Any:
    insert = upsert_insert(dialect)(_TERMS)
    return insert.on_conflict_do_update(
        index_elements=[_TERMS.c.kind, _TERMS.c.term],
        set_={"df": _TERMS.c.df + 1},
    )


_COUNT_DOWN = (
    update(_TERMS)
    .where(_TERMS.c.kind == bindparam("k"), _TERMS.c.term == bindparam("t"))
    .values(df=_TERMS.c.df - 1)
)


def index_entry_now(
    session: Session,
    *,
    kind: str,
    entry_id: int,
    day: int,
    status: str | None,
    impacts: Mapping[str, float],
) -> None:
    """(Re)index one entry: its postings, the terms' counts and its date and status."""
    unindex_entry_now(session, kind=kind, entry_id=entry_id)
    terms = {term[:MAX_TERM]: impact for term, impact in impacts.items() if term}
    session.execute(
        _DOCS.insert(), [{"kind": kind, "entry_id": entry_id, "day": day, "status": status}]
    )
    if terms:
        session.execute(
            _POSTINGS.insert(),
            [
                {"kind": kind, "term": t, "entry_id": entry_id, "day": day, "impact": i}
                for t, i in terms.items()
            ],
        )
    rows = [{"kind": kind, "term": t, "df": 1} for t in (COUNT_TERM, *terms)]
    session.execute(_count_up(dialect_name(session)), rows)


def unindex_entry_now(session: Session, *, kind: str, entry_id: int) -> bool:
    """Take an entry out of the index; False when it was not in it."""
    if session.get(EntryDoc, (kind, entry_id)) is None:
        return False
    old = list(
        session.scalars(
            select(EntryPosting.term).where(
                EntryPosting.kind == kind, EntryPosting.entry_id == entry_id
            )
        )
    )
    session.execute(
        delete(EntryPosting).where(EntryPosting.kind == kind, EntryPosting.entry_id == entry_id)
    )
    session.execute(delete(EntryDoc).where(EntryDoc.kind == kind, EntryDoc.entry_id == entry_id))
    session.execute(_COUNT_DOWN, [{"k": kind, "t": t} for t in (COUNT_TERM, *old)])
    return True


def clear_now(session: Session) -> None:
    """Forget the whole index (it is rebuilt from the entries)."""
    for table in (_POSTINGS, _TERMS, _DOCS):
        session.execute(table.delete())


@dataclass
class Fetched:
    """A question's share of one kind's index: its terms' counts and newest postings."""

    kind: str
    entries: int  # how many entries of the kind are indexed
    df: dict[str, int] = field(default_factory=dict)
    # term -> [(entry id, day, impact, status)], newest first, at most `cap`
    postings: dict[str, list[tuple[int, int, float, str | None]]] = field(default_factory=dict)


def _newest(number: int) -> Select[Any]:
    """The newest postings of the term bound as t<number>, at most :cap of them."""
    term = bindparam(f"t{number}", type_=_POSTINGS.c.term.type)
    return (
        select(
            term.label("term"),
            _POSTINGS.c.entry_id,
            _POSTINGS.c.day,
            _POSTINGS.c.impact,
            _DOCS.c.status,
        )
        .join(
            _DOCS,
            (_DOCS.c.kind == _POSTINGS.c.kind) & (_DOCS.c.entry_id == _POSTINGS.c.entry_id),
        )
        .where(_POSTINGS.c.kind == bindparam("kind"), _POSTINGS.c.term == term)
        .order_by(_POSTINGS.c.day.desc(), _POSTINGS.c.entry_id.desc())
        .limit(bindparam("cap", type_=Integer()))
    )


# Built once per number of terms and run with parameters: building a statement per question
# costs more than running it.
@functools.cache
def _postings_statement(terms: int) -> Any:
    parts = [_newest(i).subquery().select() for i in range(terms)]
    return parts[0] if terms == 1 else union_all(*parts)


_COUNTS = select(EntryTerm.term, EntryTerm.df).where(
    EntryTerm.kind == bindparam("kind"),
    EntryTerm.term.in_(bindparam("terms", expanding=True)),
)


def fetch_now(session: Session, kind: str, terms: Iterable[str], cap: int) -> Fetched:
    """The counts and newest postings of these terms in one kind: two statements."""
    wanted = sorted({t[:MAX_TERM] for t in terms if t})
    counts = dict(session.execute(_COUNTS, {"kind": kind, "terms": [COUNT_TERM, *wanted]}).all())
    found = Fetched(kind=kind, entries=int(counts.pop(COUNT_TERM, 0) or 0))
    found.df = {str(t): int(n) for t, n in counts.items() if n and n > 0}
    present = [t for t in wanted if t in found.df]
    if not present:
        return found
    values: dict[str, Any] = {"kind": kind, "cap": cap}
    values.update({f"t{i}": term for i, term in enumerate(present)})
    for term, entry_id, day, impact, status in session.execute(
        _postings_statement(len(present)), values
    ).all():
        found.postings.setdefault(str(term), []).append(
            (int(entry_id), int(day), float(impact), status)
        )
    return found


async def in_step(session: AsyncSession, kind: str) -> bool:
    """Whether the index counts as many entries of a kind as there are (two cheap counts):
    then there is nothing to catch up, and the slower look-ups below are not needed."""
    model = Meeting if kind == "meetings" else Signal
    entries = await session.scalar(select(func.count()).select_from(model))
    indexed = await session.scalar(
        select(EntryTerm.df).where(EntryTerm.kind == kind, EntryTerm.term == COUNT_TERM)
    )
    return int(entries or 0) == int(indexed or 0)


async def unindexed(session: AsyncSession, kind: str, *, limit: int = 2000) -> list[int]:
    """Ids of entries of a kind not in the index yet (logged before it existed)."""
    model = Meeting if kind == "meetings" else Signal
    indexed = select(EntryDoc.entry_id).where(EntryDoc.kind == kind)
    rows = await session.scalars(
        select(model.id).where(model.id.not_in(indexed)).order_by(model.id).limit(limit)
    )
    return [int(r) for r in rows]


async def stale(session: AsyncSession, kind: str, *, limit: int = 2000) -> list[int]:
    """Ids in the index whose entry is gone (removed outside the bot)."""
    model = Meeting if kind == "meetings" else Signal
    rows = await session.scalars(
        select(EntryDoc.entry_id)
        .where(EntryDoc.kind == kind, EntryDoc.entry_id.not_in(select(model.id)))
        .limit(limit)
    )
    return [int(r) for r in rows]


async def terms_in_use(session: AsyncSession) -> dict[str, int]:
    """Every indexed term with the number of entries (of any kind) that hold it."""
    totals: dict[str, int] = {}
    rows = await session.execute(
        select(EntryTerm.term, EntryTerm.df).where(EntryTerm.term != COUNT_TERM, EntryTerm.df > 0)
    )
    for term, df in rows:
        totals[str(term)] = totals.get(str(term), 0) + int(df)
    return totals
