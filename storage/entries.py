"""What users add: meetings, signals and members, each change written to the audit log.

Functions take the session of the caller's unit of work and never commit: the caller commits
once, so an entry and its audit row are stored together or not at all. A Telegram message
stores at most one entry (unique source chat and message id); logging the same message again
returns the entry stored the first time.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from storage.db import dialect_name, upsert_insert
from storage.errors import StorageError
from storage.models import (
    MEETING_STATUSES,
    SIGNAL_STATUSES,
    AuditEntry,
    Base,
    Body,
    Meeting,
    MeetingAttendee,
    Member,
    Partner,
    Signal,
    SignalTheme,
    Theme,
)
from storage.transfer import meeting_dict, signal_dict


class EntryError(StorageError):
    """A request about user data that cannot be carried out; the text is Dutch, for the user."""


@dataclass(frozen=True)
class Source:
    """Where an entry came from: who sent it, in which chat, as which message."""

    user_id: int | None
    chat_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class Stored:
    """An entry as stored, and whether this call created it or found it from before."""

    entity: str
    id: int
    record: dict[str, Any]
    created: bool


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The statements of the hot paths are built once and run with parameters: building and
# cache-keying a statement per call costs more than running it on SQLite.
_AUDIT_INSERT = insert(Base.metadata.tables[AuditEntry.__tablename__])


def _audit_row(
    *,
    actor: int | None,
    action: str,
    entity: str,
    entity_id: int | str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "at": _now(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
    }


async def _audit(session: AsyncSession, **row: Any) -> None:
    # One INSERT now (not an ORM add flushed later): cheaper, and in statement order.
    await session.execute(_AUDIT_INSERT, _audit_row(**row))


def _audit_now(session: Session, **row: Any) -> None:
    session.execute(_AUDIT_INSERT, _audit_row(**row))


@functools.cache
def _insert_once_statement(dialect: str, table_name: str, columns: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT (source chat, message) DO NOTHING RETURNING id, for one table.

    A meeting is inserted from a SELECT over its body that is not retired, so a body that
    vanished or retired meanwhile yields no row instead of a meeting.
    """
    table = Base.metadata.tables[table_name]
    stmt = upsert_insert(dialect)(table)
    if table_name == Meeting.__tablename__:
        body = Body.__table__.c
        stmt = stmt.from_select(
            list(columns),
            select(*(bindparam(c, type_=table.c[c].type) for c in columns)).where(
                body.id == bindparam("body_id", type_=body.id.type), body.retired.is_(False)
            ),
        )
    return stmt.on_conflict_do_nothing(
        index_elements=[table.c.source_chat_id, table.c.source_message_id]
    ).returning(table.c.id)


def _insert_once(
    session: Session, model: type[Meeting] | type[Signal], values: dict[str, Any]
) -> int | None:
    """Insert one entry unless its source message stored one before; the new id, or None."""
    stmt = _insert_once_statement(dialect_name(session), model.__tablename__, tuple(values))
    new_id = session.execute(stmt, values).scalar()
    return int(new_id) if new_id is not None else None


@functools.cache
def _link_statement(link_name: str, owner_column: str, target_name: str) -> Any:
    link = Base.metadata.tables[link_name]
    target = Base.metadata.tables[target_name]
    other = next(c.name for c in link.c if c.name != owner_column)
    return insert(link).from_select(
        [owner_column, other],
        select(bindparam("owner", type_=link.c[owner_column].type), target.c.id).where(
            target.c.id.in_(bindparam("ids", expanding=True))
        ),
    )


def _link(
    session: Session,
    link: type[MeetingAttendee] | type[SignalTheme],
    owner_id: int,
    target: type[Partner] | type[Theme],
    ids: list[str],
    error: str,
) -> None:
    """Insert owner-target pairs for the ids that exist in target, in one statement.

    An id that does not exist raises EntryError naming it (the caller's transaction then
    stores nothing).
    """
    wanted = sorted(set(ids))
    if not wanted:
        return
    owner_column = "meeting_id" if link is MeetingAttendee else "signal_id"
    stmt = _link_statement(link.__tablename__, owner_column, target.__tablename__)
    result = session.execute(stmt, {"owner": owner_id, "ids": wanted})
    if int(getattr(result, "rowcount", -1)) != len(wanted):
        found = set(session.scalars(select(target.id).where(target.id.in_(wanted))))
        raise EntryError(f"{error}: {', '.join(sorted(set(wanted) - found))}.")


def _load_meeting(session: Session, meeting_id: int) -> Meeting | None:
    return session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.attendees), selectinload(Meeting.body))
        .where(Meeting.id == meeting_id)
    )


def _load_signal(session: Session, signal_id: int) -> Signal | None:
    return session.scalar(
        select(Signal).options(selectinload(Signal.themes)).where(Signal.id == signal_id)
    )


async def _meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.run_sync(_load_meeting, meeting_id)


async def _signal(session: AsyncSession, signal_id: int) -> Signal | None:
    return await session.run_sync(_load_signal, signal_id)


async def _partners(session: AsyncSession, ids: list[str]) -> list[Partner]:
    if not ids:
        return []
    found = (await session.scalars(select(Partner).where(Partner.id.in_(ids)))).all()
    missing = sorted(set(ids) - {p.id for p in found})
    if missing:
        raise EntryError(f"Onbekende partner: {', '.join(missing)}.")
    return list(found)


async def _themes(session: AsyncSession, ids: list[str]) -> list[Theme]:
    if not ids:
        return []
    found = (await session.scalars(select(Theme).where(Theme.id.in_(ids)))).all()
    missing = sorted(set(ids) - {t.id for t in found})
    if missing:
        raise EntryError(f"Onbekend thema: {', '.join(missing)}.")
    return list(found)


def _stored_from(
    session: Session, model: type[Meeting] | type[Signal], source: Source
) -> int | None:
    """The id of the entry this Telegram message already stored, if any."""
    if source.chat_id is None or source.message_id is None:
        return None
    return session.scalar(
        select(model.id).where(
            model.source_chat_id == source.chat_id,
            model.source_message_id == source.message_id,
        )
    )


def stored_from_now(session: Session, kind: str, source: Source) -> int | None:
    """The id of the meeting or signal this Telegram message stored, if it still exists."""
    return _stored_from(session, Meeting if kind == "meeting" else Signal, source)


def _clean_topics(topics: list[str]) -> list[str]:
    seen: list[str] = []
    for topic in topics:
        text = " ".join(topic.split())[:500]
        if text and text.casefold() not in {t.casefold() for t in seen}:
            seen.append(text)
    return seen[:50]


# --- meetings ---------------------------------------------------------------------------------


async def log_meeting(session: AsyncSession, **fields: Any) -> Stored:
    """log_meeting_now for an async session."""
    return await session.run_sync(lambda sync: log_meeting_now(sync, **fields))


def log_meeting_now(
    session: Session,
    *,
    body_id: str,
    date: dt.date,
    status: str,
    topics: list[str],
    source: Source,
    notes: str | None = None,
    attendees: list[str] | None = None,
    body_name: str | None = None,
    start_time: str | None = None,
) -> Stored:
    """Store a meeting (or return the one this message stored before).

    `body_name` is the body's name as the caller knows it (for the record's title); without it
    the name is looked up. Either way the meeting goes in only if the body exists and is not
    retired at that moment.
    """
    if status not in MEETING_STATUSES:
        raise EntryError(f"Onbekende status '{status}'.")
    if body_name is None:
        body_name = session.scalar(select(Body.name).where(Body.id == body_id))
    values: dict[str, Any] = {
        "body_id": body_id,
        "date": date,
        "status": status,
        "topics": _clean_topics(topics),
        "notes": (notes or "").strip()[:4000] or None,
        "logged_by": source.user_id,
        "created_at": _now(),
        "source_chat_id": source.chat_id,
        "source_message_id": source.message_id,
        "start_time": start_time,
    }
    new_id = _insert_once(session, Meeting, values)
    if new_id is None:
        existing = _stored_from(session, Meeting, source)
        if existing is None:
            raise EntryError("Dat overlegorgaan bestaat niet (meer).")
        meeting = _load_meeting(session, existing)
        assert meeting is not None
        return Stored("meeting", meeting.id, meeting_dict(meeting), created=False)
    _link(session, MeetingAttendee, new_id, Partner, attendees or [], "Onbekende partner")
    record = meeting_dict(
        Meeting(
            id=new_id,
            body=Body(id=body_id, name=body_name or body_id),
            attendees=[Partner(id=p) for p in sorted(set(attendees or []))],
            **values,
        )
    )
    _audit_now(
        session,
        actor=source.user_id,
        action="create",
        entity="meeting",
        entity_id=new_id,
        before=None,
        after=record,
    )
    return Stored("meeting", new_id, record, created=True)


MEETING_FIELDS = ("body_id", "date", "status", "topics", "notes", "attendees", "start_time")


async def update_meeting(
    session: AsyncSession, meeting_id: int, *, actor: int | None, **changes: Any
) -> Stored:
    """Change fields of a meeting (body_id, date, status, topics, notes, attendees)."""
    meeting = await _meeting(session, meeting_id)
    if meeting is None:
        raise EntryError(f"Vergadering {meeting_id} bestaat niet (meer).")
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise EntryError(f"Onbekend veld: {', '.join(sorted(unknown))}.")
    before = meeting_dict(meeting)
    if "status" in changes and changes["status"] not in MEETING_STATUSES:
        raise EntryError(f"Onbekende status '{changes['status']}'.")
    if "body_id" in changes:
        body = await session.get(Body, changes["body_id"])
        if body is None or body.retired:
            raise EntryError("Dat overlegorgaan bestaat niet (meer).")
    for key, value in changes.items():
        if key == "attendees":
            meeting.attendees = await _partners(session, list(value or []))
        elif key == "topics":
            meeting.topics = _clean_topics(list(value or []))
        elif key == "notes":
            meeting.notes = (value or "").strip()[:4000] or None
        else:
            setattr(meeting, key, value)
    meeting.updated_at = _now()
    await session.flush()
    session.expire(meeting)
    fresh = await _meeting(session, meeting_id)
    assert fresh is not None
    after = meeting_dict(fresh)
    await _audit(
        session,
        actor=actor,
        action="update",
        entity="meeting",
        entity_id=meeting_id,
        before=before,
        after=after,
    )
    return Stored("meeting", meeting_id, after, created=False)


async def delete_meeting(
    session: AsyncSession, meeting_id: int, *, actor: int | None
) -> dict[str, Any]:
    """Remove a meeting (undo); returns what it was."""
    meeting = await _meeting(session, meeting_id)
    if meeting is None:
        raise EntryError(f"Vergadering {meeting_id} bestaat niet (meer).")
    before = meeting_dict(meeting)
    await session.delete(meeting)
    await _audit(
        session,
        actor=actor,
        action="delete",
        entity="meeting",
        entity_id=meeting_id,
        before=before,
        after=None,
    )
    await session.flush()
    return before


# --- signals ----------------------------------------------------------------------------------


async def record_signal(session: AsyncSession, **fields: Any) -> Stored:
    """record_signal_now for an async session."""
    return await session.run_sync(lambda sync: record_signal_now(sync, **fields))


def record_signal_now(
    session: Session,
    *,
    text: str,
    date: dt.date,
    themes: list[str],
    source: Source,
    source_body: str | None = None,
    source_partner: str | None = None,
    addressee: str | None = None,
) -> Stored:
    """Store a signal (or return the one this message stored before)."""
    clean = text.strip()
    if not clean:
        raise EntryError("Een signaal heeft tekst nodig.")
    values: dict[str, Any] = {
        "text": clean[:4000],
        "date": date,
        "source_body_id": source_body,
        "source_partner_id": source_partner,
        "addressee": addressee,
        "status": "nieuw",
        "logged_by": source.user_id,
        "created_at": _now(),
        "source_chat_id": source.chat_id,
        "source_message_id": source.message_id,
    }
    new_id = _insert_once(session, Signal, values)
    if new_id is None:
        existing = _stored_from(session, Signal, source)
        assert existing is not None  # nothing else keeps a plain insert from happening
        signal = _load_signal(session, existing)
        assert signal is not None
        return Stored("signal", signal.id, signal_dict(signal), created=False)
    _link(session, SignalTheme, new_id, Theme, themes, "Onbekend thema")
    record = signal_dict(
        Signal(id=new_id, themes=[Theme(id=t) for t in sorted(set(themes))], **values)
    )
    _audit_now(
        session,
        actor=source.user_id,
        action="create",
        entity="signal",
        entity_id=new_id,
        before=None,
        after=record,
    )
    return Stored("signal", new_id, record, created=True)


SIGNAL_FIELDS = (
    "text",
    "date",
    "themes",
    "source_body_id",
    "source_partner_id",
    "addressee",
    "status",
)


async def update_signal(
    session: AsyncSession, signal_id: int, *, actor: int | None, **changes: Any
) -> Stored:
    """Change fields of a signal (status, addressee, source, themes, text, date)."""
    signal = await _signal(session, signal_id)
    if signal is None:
        raise EntryError(f"Signaal {signal_id} bestaat niet (meer).")
    unknown = set(changes) - set(SIGNAL_FIELDS)
    if unknown:
        raise EntryError(f"Onbekend veld: {', '.join(sorted(unknown))}.")
    if "status" in changes and changes["status"] not in SIGNAL_STATUSES:
        raise EntryError(f"Onbekende status '{changes['status']}'.")
    if (
        changes.get("source_body_id")
        and await session.get(Body, changes["source_body_id"]) is None
    ):
        raise EntryError("Dat overlegorgaan bestaat niet.")
    if changes.get("source_partner_id"):
        await _partners(session, [changes["source_partner_id"]])
    before = signal_dict(signal)
    for key, value in changes.items():
        if key == "themes":
            signal.themes = await _themes(session, list(value or []))
        elif key == "text":
            if not str(value or "").strip():
                raise EntryError("Een signaal heeft tekst nodig.")
            signal.text = str(value).strip()[:4000]
        else:
            setattr(signal, key, value)
    signal.updated_at = _now()
    await session.flush()
    session.expire(signal)
    fresh = await _signal(session, signal_id)
    assert fresh is not None
    after = signal_dict(fresh)
    await _audit(
        session,
        actor=actor,
        action="update",
        entity="signal",
        entity_id=signal_id,
        before=before,
        after=after,
    )
    return Stored("signal", signal_id, after, created=False)


async def delete_signal(
    session: AsyncSession, signal_id: int, *, actor: int | None
) -> dict[str, Any]:
    """Remove a signal (undo); returns what it was."""
    signal = await _signal(session, signal_id)
    if signal is None:
        raise EntryError(f"Signaal {signal_id} bestaat niet (meer).")
    before = signal_dict(signal)
    await session.delete(signal)
    await _audit(
        session,
        actor=actor,
        action="delete",
        entity="signal",
        entity_id=signal_id,
        before=before,
        after=None,
    )
    await session.flush()
    return before


async def last_entry(session: AsyncSession, *, user_id: int | None) -> tuple[str, int] | None:
    """The newest meeting or signal logged by user_id (any user's when None)."""
    candidates: list[tuple[dt.datetime, int, str, int]] = []
    for model, entity in ((Meeting, "meeting"), (Signal, "signal")):
        stmt = (
            select(model.created_at, model.id)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(1)
        )
        if user_id is not None:
            stmt = stmt.where(model.logged_by == user_id)
        row = (await session.execute(stmt)).first()
        if row is not None:
            created = row[0] if row[0].tzinfo else row[0].replace(tzinfo=dt.UTC)
            candidates.append((created, row[1], entity, row[1]))
    if not candidates:
        return None
    newest = max(candidates)
    return newest[2], newest[3]


async def recent_meetings(
    session: AsyncSession, *, body_id: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The newest meetings of one body, newest first."""
    rows = await session.scalars(
        select(Meeting)
        .options(selectinload(Meeting.attendees), selectinload(Meeting.body))
        .where(Meeting.body_id == body_id)
        .order_by(Meeting.date.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return [meeting_dict(m) for m in rows]


async def list_signals(session: AsyncSession) -> list[dict[str, Any]]:
    """Every signal, newest first."""
    rows = await session.scalars(
        select(Signal)
        .options(selectinload(Signal.themes))
        .order_by(Signal.date.desc(), Signal.id.desc())
    )
    return [signal_dict(s) for s in rows]


async def get_meeting(session: AsyncSession, meeting_id: int) -> dict[str, Any] | None:
    meeting = await _meeting(session, meeting_id)
    return meeting_dict(meeting) if meeting is not None else None


async def get_signal(session: AsyncSession, signal_id: int) -> dict[str, Any] | None:
    signal = await _signal(session, signal_id)
    return signal_dict(signal) if signal is not None else None


async def page_signals(
    session: AsyncSession,
    *,
    open_only: bool = False,
    theme_ids: list[str] | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of signals, newest first, and how many match in all."""
    where = []
    if open_only:
        where.append(Signal.status != "afgesloten")
    if theme_ids is not None:
        where.append(
            Signal.id.in_(select(SignalTheme.signal_id).where(SignalTheme.theme_id.in_(theme_ids)))
        )
    total = await session.scalar(select(func.count(Signal.id)).where(*where)) or 0
    rows = await session.scalars(
        select(Signal)
        .options(selectinload(Signal.themes))
        .where(*where)
        .order_by(Signal.date.desc(), Signal.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    return int(total), [signal_dict(s) for s in rows]


async def entry_owner(
    session: AsyncSession, entity: str, entry_id: int
) -> tuple[bool, int | None]:
    """(exists, logged_by) of a meeting or signal."""
    model: type[Meeting] | type[Signal] = Meeting if entity == "meeting" else Signal
    row = (await session.execute(select(model.logged_by).where(model.id == entry_id))).first()
    return (row is not None, row[0] if row is not None else None)


# --- members ----------------------------------------------------------------------------------


async def add_member(
    session: AsyncSession, *, telegram_id: int, name: str | None, role: str, actor: int | None
) -> bool:
    """Allow a member (or update their name/role); True when they were new."""
    member = await session.get(Member, telegram_id)
    before = None
    if member is None:
        session.add(Member(telegram_id=telegram_id, name=name, role=role, added_by=actor))
        created = True
    else:
        before = {"name": member.name, "role": member.role}
        member.name = name or member.name
        member.role = role
        created = False
    await _audit(
        session,
        actor=actor,
        action="create" if created else "update",
        entity="member",
        entity_id=telegram_id,
        before=before,
        after={"name": name, "role": role},
    )
    await session.flush()
    return created


async def remove_member(session: AsyncSession, *, telegram_id: int, actor: int | None) -> bool:
    member = await session.get(Member, telegram_id)
    if member is None:
        return False
    await _audit(
        session,
        actor=actor,
        action="delete",
        entity="member",
        entity_id=telegram_id,
        before={"name": member.name, "role": member.role},
        after=None,
    )
    await session.delete(member)
    await session.flush()
    return True


async def member_role(session: AsyncSession, telegram_id: int) -> str | None:
    member = await session.get(Member, telegram_id)
    return member.role if member else None


_MEETINGS = Base.metadata.tables[Meeting.__tablename__]
_SIGNALS = Base.metadata.tables[Signal.__tablename__]
_BODIES = Base.metadata.tables[Body.__tablename__]
_ATTENDEES = Base.metadata.tables[MeetingAttendee.__tablename__]
_SIGNAL_THEMES = Base.metadata.tables[SignalTheme.__tablename__]
# Built once: a question's hits are read with these (plain rows, no ORM objects).
_MEETING_ROWS = (
    select(_MEETINGS, _BODIES.c.name.label("body_name"))
    .join(_BODIES, _BODIES.c.id == _MEETINGS.c.body_id)
    .where(_MEETINGS.c.id.in_(bindparam("ids", expanding=True)))
)
_ATTENDEE_ROWS = select(_ATTENDEES.c.meeting_id, _ATTENDEES.c.partner_id).where(
    _ATTENDEES.c.meeting_id.in_(bindparam("ids", expanding=True))
)
_SIGNAL_ROWS = select(_SIGNALS).where(_SIGNALS.c.id.in_(bindparam("ids", expanding=True)))
_SIGNAL_THEME_ROWS = select(_SIGNAL_THEMES.c.signal_id, _SIGNAL_THEMES.c.theme_id).where(
    _SIGNAL_THEMES.c.signal_id.in_(bindparam("ids", expanding=True))
)


def records_by_ids_now(session: Session, kind: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Meetings or signals (`kind`) by id, as the same records as meeting_dict/signal_dict;
    ids that are gone are left out. Plain rows: a question's hits are read this way."""
    if not ids:
        return {}
    links: dict[int, list[str]] = {}
    if kind == "meetings":
        for owner, partner in session.execute(_ATTENDEE_ROWS, {"ids": ids}):
            links.setdefault(int(owner), []).append(str(partner))
        found: dict[int, dict[str, Any]] = {}
        for row in session.execute(_MEETING_ROWS, {"ids": ids}).mappings():
            m = SimpleNamespace(**row)
            m.body = SimpleNamespace(name=row["body_name"])
            m.attendees = [SimpleNamespace(id=p) for p in sorted(links.get(m.id, []))]
            found[m.id] = meeting_dict(cast(Meeting, m))
        return found
    for owner, theme in session.execute(_SIGNAL_THEME_ROWS, {"ids": ids}):
        links.setdefault(int(owner), []).append(str(theme))
    signals: dict[int, dict[str, Any]] = {}
    for row in session.execute(_SIGNAL_ROWS, {"ids": ids}).mappings():
        s = SimpleNamespace(**row)
        s.themes = [SimpleNamespace(id=t) for t in sorted(links.get(s.id, []))]
        signals[s.id] = signal_dict(cast(Signal, s))
    return signals


async def records_by_ids(
    session: AsyncSession, kind: str, ids: list[int]
) -> dict[int, dict[str, Any]]:
    """records_by_ids_now for an async session."""
    return await session.run_sync(lambda sync: records_by_ids_now(sync, kind, ids))
