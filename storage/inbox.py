"""The inbox of Telegram updates: stored before they are confirmed, handled from here.

Telegram forgets an update once the next getUpdates moves the offset past it (and a webhook
forgets it once it is answered 200), whether or not the bot handled it. Storing each raw update
first, and marking it handled together with its effects, means a crash loses nothing: what was
stored but not handled is handled at the next start.

The terminal chat (`regiebot chat`) runs the same Application through this inbox, so the table
holds two id spaces, told apart by sign:

- Telegram's updates keep their own, non-negative `update_id` (Telegram's ids are positive
  and the webhook refuses negative ones). Only these are stored by `store_updates`, resumed by
  `pending`, and counted by `next_offset`, so getUpdates never confirms a Telegram update
  because of a local one, and a Telegram id is never mistaken for one the chat used.
- Local updates get negative ids from `store_local_update`, each one below the lowest stored
  (-1, -2, ...), and the payload's `update_id` is the stored one. Only the terminal chat
  handles them, as it makes them; the daily prune forgets them like Telegram's.

One key column instead of an origin column: everything that marks, fails, discards or redacts
an update by its id (the core, the handlers, the data rights code) stays correct for both
spaces without knowing which one it handles. Migration 0004 moved the rows older chats wrote
with Telegram-like ids (from the clock) into the local space.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.db import dialect_name, upsert_insert
from storage.models import Base, InboxUpdate

MAX_ATTEMPTS = 3  # an update that failed this often is left aside (and logged), not retried
LOCAL_TRIES = 10  # another terminal chat may take the same local id at once; then take the next


# Built once, run with parameters: these run for every update.
_TABLE = Base.metadata.tables[InboxUpdate.__tablename__]
_INBOX = _TABLE.c
_MARK_HANDLED = (
    update(_TABLE)
    .where(_INBOX.update_id.in_(bindparam("ids", expanding=True)), _INBOX.handled_at.is_(None))
    .values(handled_at=bindparam("now", type_=_INBOX.handled_at.type))
)


@functools.cache
def _store_statement(dialect: str) -> Any:
    return (
        upsert_insert(dialect)(_TABLE)
        .on_conflict_do_nothing(index_elements=[_INBOX.update_id])
        .returning(_INBOX.update_id)
    )


def is_local(update_id: int) -> bool:
    """True for an update the terminal chat made, False for one of Telegram's."""
    return update_id < 0


async def store_updates(session: AsyncSession, updates: list[dict[str, Any]]) -> list[int]:
    """Insert Telegram updates not seen before; returns the ids that were new. Caller commits.

    One INSERT ... ON CONFLICT DO NOTHING: two instances storing the same update at once both
    succeed, and only the one whose row went in gets its id back (and handles it). A negative
    id is not Telegram's and is skipped: that space belongs to the terminal chat.
    """
    rows: dict[int, dict[str, Any]] = {}
    for raw in updates:
        update_id = raw.get("update_id")
        if (
            isinstance(update_id, int)
            and not isinstance(update_id, bool)
            and not is_local(update_id)
            and update_id not in rows
        ):
            rows[update_id] = raw
    if not rows:
        return []
    now = dt.datetime.now(dt.UTC)
    values = [
        {"update_id": k, "payload": v, "attempts": 0, "received_at": now} for k, v in rows.items()
    ]
    result = await session.execute(_store_statement(dialect_name(session)), values)
    inserted = set(result.scalars().all())
    return [k for k in rows if k in inserted]


async def store_local_update(session: AsyncSession, update: dict[str, Any]) -> dict[str, Any]:
    """Store an update made by the terminal chat under the next local id. Caller commits.

    Returns the update as stored, its `update_id` set to that id (any given one is replaced).
    """
    statement = _store_statement(dialect_name(session))
    for _ in range(LOCAL_TRIES):
        lowest = await session.scalar(
            select(func.min(_INBOX.update_id)).where(_INBOX.update_id < 0)
        )
        raw = {**update, "update_id": (int(lowest) if lowest is not None else 0) - 1}
        row = {
            "update_id": raw["update_id"],
            "payload": raw,
            "attempts": 0,
            "received_at": dt.datetime.now(dt.UTC),
        }
        if (await session.execute(statement, row)).scalars().all():
            return raw
    raise RuntimeError(f"no free local update id after {LOCAL_TRIES} tries")


async def pending(session: AsyncSession, *, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
    """Stored, unhandled Telegram updates in arrival order (oldest first).

    Local updates are left out: `regiebot run` cannot answer the terminal's user on Telegram.
    """
    rows = await session.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload)
        .where(
            InboxUpdate.handled_at.is_(None),
            InboxUpdate.attempts < MAX_ATTEMPTS,
            InboxUpdate.update_id >= 0,
        )
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return [(int(r[0]), dict(r[1])) for r in rows]


async def mark_handled(session: AsyncSession, update_id: int) -> None:
    """Mark one update handled; call it in the transaction that commits its effects."""
    await mark_many_handled(session, [update_id])


def mark_handled_now(session: Session, update_id: int) -> None:
    """mark_handled for a synchronous unit of work (Store.write)."""
    session.execute(_MARK_HANDLED, {"ids": [update_id], "now": dt.datetime.now(dt.UTC)})


async def mark_many_handled(session: AsyncSession, update_ids: list[int]) -> None:
    """Mark a batch handled (updates whose effects, if any, were committed already)."""
    if update_ids:
        await session.execute(_MARK_HANDLED, {"ids": update_ids, "now": dt.datetime.now(dt.UTC)})


async def discard(session: AsyncSession, update_id: int) -> None:
    """Forget an update entirely (one from someone who may not use the bot)."""
    from sqlalchemy import delete

    await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id == update_id))


async def mark_failed(session: AsyncSession, update_id: int, error: str) -> None:
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(attempts=InboxUpdate.attempts + 1, error=error[:2000])
    )


async def next_offset(session: AsyncSession) -> int | None:
    """The getUpdates offset that confirms every Telegram update already stored.

    Local updates do not count: their ids mean nothing to Telegram, and a negative offset
    would even ask for "the last n updates".
    """
    newest = await session.scalar(
        select(func.max(InboxUpdate.update_id)).where(InboxUpdate.update_id >= 0)
    )
    return int(newest) + 1 if newest is not None else None


async def prune(session: AsyncSession, *, older_than: dt.timedelta) -> int:
    """Forget handled updates older than the given age (they hold message text).

    A local update that was never handled (the terminal chat stopped in the middle of it) goes
    too once it is that old: nothing resumes local updates, so it would otherwise stay forever.
    """
    from sqlalchemy import and_, delete, or_

    cutoff = dt.datetime.now(dt.UTC) - older_than
    result = await session.execute(
        delete(InboxUpdate).where(
            or_(
                and_(InboxUpdate.handled_at.is_not(None), InboxUpdate.handled_at < cutoff),
                and_(InboxUpdate.update_id < 0, InboxUpdate.received_at < cutoff),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
