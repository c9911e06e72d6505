"""Reminder storage: chat settings, follow lists, snoozes, and two outboxes.

The outboxes (reminder_outbox, meeting_questions) make sending exactly-once: a message is
first recorded under a unique key, then claimed, sent, and marked sent. Claiming is one UPDATE
that stamps the rows with the claiming instance and a time; on PostgreSQL its row selection
runs `FOR UPDATE SKIP LOCKED`, so two instances never wait on, nor take, each other's rows. A
claim older than the lease (an instance that died mid-send) may be taken over. Functions take
the caller's session; only the ones named so commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name, upsert_insert
from storage.models import (
    Body,
    Meeting,
    MeetingQuestion,
    Meta,
    ReminderChat,
    ReminderChatBody,
    ReminderOutbox,
    ReminderSnooze,
)
from storage.seed import get_meta

LAST_SWEEP_KEY = "reminder_last_sweep"
MAX_ATTEMPTS = 5  # a message that failed this often is given up (status failed)
Outbox = TypeVar("Outbox", ReminderOutbox, MeetingQuestion)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- chat settings ------------------------------------------------------------------------------


@dataclass
class ChatSettings:
    """A chat's reminder settings as one value."""

    chat_id: int
    enabled: bool = False
    narrowed: bool = False
    follows: set[str] = field(default_factory=set)
    mutes: set[str] = field(default_factory=set)
    snoozes: dict[str, tuple[dt.date, str]] = field(default_factory=dict)  # body -> (until, kind)

    def wants(self, body_id: str) -> bool:
        """Whether the chat's follow list covers the body."""
        if self.narrowed:
            return body_id in self.follows
        return body_id not in self.mutes

    def snoozed(self, body_id: str, today: dt.date) -> dt.date | None:
        """The last day of the snooze in force on `today`, if any."""
        found = self.snoozes.get(body_id)
        return found[0] if found and found[0] >= today else None


async def _chat_row(session: AsyncSession, chat_id: int, *, by: int | None) -> ReminderChat:
    row = await session.get(ReminderChat, chat_id)
    if row is None:
        row = ReminderChat(chat_id=chat_id, enabled=False, narrowed=False, updated_by=by)
        session.add(row)
        await session.flush()
    return row


async def set_enabled(
    session: AsyncSession, *, chat_id: int, enabled: bool, chat_type: str | None, by: int | None
) -> bool:
    """Switch reminders on or off for a chat; returns whether that changed anything."""
    row = await _chat_row(session, chat_id, by=by)
    changed = row.enabled != enabled
    row.enabled = enabled
    row.chat_type = chat_type or row.chat_type
    row.updated_by = by
    row.updated_at = _now()
    await session.flush()
    return changed


async def follow(session: AsyncSession, *, chat_id: int, body_id: str, by: int | None) -> bool:
    """Narrow the chat to this body (and the others it follows); True when it was new."""
    row = await _chat_row(session, chat_id, by=by)
    if not row.narrowed:
        # The first /volg narrows: earlier /ontvolg exclusions no longer mean anything.
        await session.execute(delete(ReminderChatBody).where(ReminderChatBody.chat_id == chat_id))
        row.narrowed = True
    link = await session.get(ReminderChatBody, (chat_id, body_id))
    new = link is None or not link.follows
    if link is None:
        session.add(ReminderChatBody(chat_id=chat_id, body_id=body_id, follows=True))
    else:
        link.follows = True
    row.updated_at = _now()
    await session.flush()
    return new


async def unfollow(session: AsyncSession, *, chat_id: int, body_id: str, by: int | None) -> bool:
    """Leave a body out of the chat's reminders; True when that changed anything."""
    row = await _chat_row(session, chat_id, by=by)
    link = await session.get(ReminderChatBody, (chat_id, body_id))
    if row.narrowed:
        if link is None:
            return False
        await session.delete(link)
    else:
        if link is not None and not link.follows:
            return False
        if link is None:
            session.add(ReminderChatBody(chat_id=chat_id, body_id=body_id, follows=False))
        else:
            link.follows = False
    row.updated_at = _now()
    await session.flush()
    return True


async def follow_all(session: AsyncSession, *, chat_id: int, by: int | None) -> None:
    """Back to every body: no follow list, no exclusions."""
    row = await _chat_row(session, chat_id, by=by)
    await session.execute(delete(ReminderChatBody).where(ReminderChatBody.chat_id == chat_id))
    row.narrowed = False
    row.updated_at = _now()
    await session.flush()


async def chat_settings(session: AsyncSession, chat_id: int) -> ChatSettings:
    found = await _settings(session, [chat_id], only_enabled=False)
    return found.get(chat_id) or ChatSettings(chat_id=chat_id)


async def subscribed_chats(session: AsyncSession) -> list[ChatSettings]:
    """Every chat with reminders on, with its follow list and snoozes (three queries)."""
    chat_ids = list(
        await session.scalars(
            select(ReminderChat.chat_id)
            .where(ReminderChat.enabled.is_(True))
            .order_by(ReminderChat.chat_id)
        )
    )
    found = await _settings(session, chat_ids, only_enabled=True)
    return [found[c] for c in chat_ids if c in found]


async def _settings(
    session: AsyncSession, chat_ids: Sequence[int], *, only_enabled: bool
) -> dict[int, ChatSettings]:
    if not chat_ids:
        return {}
    out: dict[int, ChatSettings] = {}
    for row in await session.scalars(
        select(ReminderChat).where(ReminderChat.chat_id.in_(chat_ids))
    ):
        if only_enabled and not row.enabled:
            continue
        out[row.chat_id] = ChatSettings(
            chat_id=row.chat_id, enabled=row.enabled, narrowed=row.narrowed
        )
    for link in await session.scalars(
        select(ReminderChatBody).where(ReminderChatBody.chat_id.in_(list(out)))
    ):
        target = out[link.chat_id]
        (target.follows if link.follows else target.mutes).add(link.body_id)
    for snooze in await session.scalars(
        select(ReminderSnooze).where(ReminderSnooze.chat_id.in_(list(out)))
    ):
        out[snooze.chat_id].snoozes[snooze.body_id] = (snooze.until, snooze.kind)
    return out


async def unsubscribe(session: AsyncSession, chat_id: int) -> None:
    """Reminders off for a chat that blocked the bot (or is gone)."""
    await session.execute(
        update(ReminderChat)
        .where(ReminderChat.chat_id == chat_id)
        .values(enabled=False, updated_at=_now())
    )


async def snooze(
    session: AsyncSession,
    *,
    chat_id: int,
    body_id: str,
    until: dt.date,
    kind: str,
    by: int | None,
) -> None:
    """No reminder about the body in the chat up to and including `until` (replaces any)."""
    row = await session.get(ReminderSnooze, (chat_id, body_id))
    if row is None:
        session.add(
            ReminderSnooze(chat_id=chat_id, body_id=body_id, until=until, kind=kind, set_by=by)
        )
    else:
        row.until, row.kind, row.set_by = until, kind, by
    await session.flush()


async def body_exists(session: AsyncSession, body_id: str) -> Body | None:
    """The body, when it is still in the knowledge base and not retired."""
    body = await session.get(Body, body_id)
    return body if body is not None and not body.retired else None


# --- the last sweep -------------------------------------------------------------------------


async def last_sweep(session: AsyncSession) -> dt.date | None:
    value = await get_meta(session, LAST_SWEEP_KEY)
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def set_last_sweep(session: AsyncSession, day: dt.date) -> None:
    """Remember the newest day a sweep ran for (never moves back; safe between instances)."""
    value = day.isoformat()  # ISO dates order as text
    await session.execute(
        upsert_insert(dialect_name(session))(Meta)
        .values(key=LAST_SWEEP_KEY, value=value)
        .on_conflict_do_update(
            index_elements=[Meta.key], set_={"value": value}, where=Meta.value < value
        )
    )


# --- recording ----------------------------------------------------------------------------


async def recent_pairs(
    session: AsyncSession, *, around: dt.date, days: int
) -> set[tuple[int, str]]:
    """(chat, body) pairs reminded, or waiting to be, within `days` of the date."""
    low, high = around - dt.timedelta(days=days - 1), around + dt.timedelta(days=days - 1)
    rows = await session.execute(
        select(ReminderOutbox.chat_id, ReminderOutbox.body_id).where(
            ReminderOutbox.run_date >= low,
            ReminderOutbox.run_date <= high,
            ReminderOutbox.status.in_(("pending", "sent")),
        )
    )
    return {(int(c), str(b)) for c, b in rows}


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect."""
    return upsert_insert(dialect_name(session))(model).on_conflict_do_nothing()


async def record_reminders(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows; one already recorded under the same key is left as it is.

    Returns how many were new: a row another instance (or an earlier run) recorded first is
    not counted.
    """
    return await _insert_new(session, ReminderOutbox, rows)


async def _insert_new(
    session: AsyncSession, model: type[Outbox], rows: Sequence[dict[str, Any]]
) -> int:
    inserted = 0
    for row in rows:  # one statement each: RETURNING tells which rows were new
        stamped = {"created_at": _now(), "status": "pending", "attempts": 0, **row}
        result = await session.execute(_insert(session, model).values(stamped).returning(model.id))
        inserted += len(result.scalars().all())
    return inserted


async def planned_meetings_to_ask(
    session: AsyncSession, *, since: dt.date, before: dt.date
) -> list[Meeting]:
    """Planned meetings dated in [since, before) that nobody was asked about yet."""
    asked = select(MeetingQuestion.meeting_id)
    return list(
        await session.scalars(
            select(Meeting)
            .where(
                Meeting.status == "planned",
                Meeting.date >= since,
                Meeting.date < before,
                Meeting.id.not_in(asked),
            )
            .order_by(Meeting.date, Meeting.id)
        )
    )


async def record_questions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert question rows (one per meeting at most); returns how many were new."""
    return await _insert_new(session, MeetingQuestion, rows)


# --- claiming and marking -------------------------------------------------------------------


def _claimable(model: type[Outbox], stale: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        model.status == "pending",
        model.attempts < MAX_ATTEMPTS,
        or_(model.claimed_at.is_(None), model.claimed_at < stale),
    ]


async def pending_chat_ids(
    session: AsyncSession, model: type[Outbox], *, now: dt.datetime, lease: dt.timedelta
) -> list[int]:
    """Chats with rows waiting to be sent (and not claimed by a live instance)."""
    rows = await session.scalars(
        select(model.chat_id).where(*_claimable(model, now - lease)).distinct()
    )
    return sorted(int(c) for c in rows)


async def pending_rows(session: AsyncSession, model: type[Outbox]) -> list[Outbox]:
    """Every row still waiting to be sent (for a dry run)."""
    return list(
        await session.scalars(
            select(model)
            .where(model.status == "pending", model.attempts < MAX_ATTEMPTS)
            .order_by(model.id)
        )
    )


async def claim(
    session: AsyncSession,
    model: type[Outbox],
    *,
    chat_id: int,
    instance: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> tuple[str, list[Outbox]]:
    """Take a chat's sendable rows for this instance and commit; (claim token, rows taken)."""
    token = f"{instance[:27]}:{uuid.uuid4().hex[:12]}"
    conditions = [model.chat_id == chat_id, *_claimable(model, now - lease)]
    pick = select(model.id).where(*conditions)
    if dialect_name(session) == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    await session.execute(
        update(model)
        .where(model.id.in_(pick.scalar_subquery()), *conditions)
        .values(claimed_by=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    taken = await session.scalars(
        select(model)
        .where(model.claimed_by == token, model.status == "pending")
        .order_by(model.id)
    )
    return token, list(taken)


async def mark_sent(
    session: AsyncSession,
    model: type[Outbox],
    ids: Iterable[int],
    *,
    token: str,
    now: dt.datetime,
    message_id: int,
) -> None:
    await session.execute(
        update(model)
        .where(model.id.in_(list(ids)), model.claimed_by == token)
        .values(status="sent", sent_at=now, message_id=message_id, error=None)
        .execution_options(synchronize_session=False)
    )


async def mark_skipped(
    session: AsyncSession, model: type[Outbox], ids: Iterable[int], *, reason: str
) -> None:
    """Rows that need no message any more (no longer behind, snoozed, chat gone, ...)."""
    wanted = list(ids)
    if not wanted:
        return
    await session.execute(
        update(model)
        .where(model.id.in_(wanted))
        .values(status="skipped", error=reason[:2000])
        .execution_options(synchronize_session=False)
    )


async def mark_failed(
    session: AsyncSession, model: type[Outbox], ids: Iterable[int], *, token: str, error: str
) -> None:
    """A send that failed: counted, released for the next run, given up after MAX_ATTEMPTS."""
    wanted = list(ids)
    await session.execute(
        update(model)
        .where(model.id.in_(wanted), model.claimed_by == token)
        .values(attempts=model.attempts + 1, error=error[:2000], claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(model)
        .where(model.id.in_(wanted), model.attempts >= MAX_ATTEMPTS)
        .values(status="failed")
        .execution_options(synchronize_session=False)
    )


# --- buttons --------------------------------------------------------------------------------


async def outbox_row(session: AsyncSession, row_id: int) -> ReminderOutbox | None:
    return await session.get(ReminderOutbox, row_id)


async def question_row(session: AsyncSession, row_id: int) -> MeetingQuestion | None:
    return await session.get(MeetingQuestion, row_id)
