"""The change feed: every change to user data, in commit order, read from the audit log.

Each meeting, signal and member change writes its audit row in the transaction of the change
itself (storage/entries.py, storage/rights.py), so the audit log is a change sequence that no
change can bypass. An instance that keeps something derived from user data (the search index,
the role cache) reads the rows after the last one it saw and applies them: an entry logged or
a member added through one instance is seen by every other at their next request.

Ids come from a sequence, and on PostgreSQL a transaction that took a lower id can commit after
one that took a higher id. Readers therefore re-read a window of ids below the last one they saw
and skip the ids they applied already (see `ChangeReader`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

WINDOW: Final = 200
"""Ids re-read below the last one seen: room for transactions that commit out of id order."""
BATCH: Final = 1000


@dataclass(frozen=True, slots=True)
class Change:
    """One change: its place in the sequence, what changed and how."""

    seq: int
    entity: str  # meeting | signal | member
    entity_id: str
    action: str  # create | update | delete | erase | ...


async def latest_seq(session: AsyncSession) -> int:
    """The newest change's id (0 on an empty store)."""
    return int(await session.scalar(select(func.max(AuditEntry.id))) or 0)


@dataclass
class ChangeReader:
    """Which changes one process has applied: `new()` gives each change once."""

    seen: int = 0  # the highest id read so far
    applied: set[int] = field(default_factory=set)  # ids in the window that were applied

    async def start(self, session: AsyncSession) -> None:
        """Everything committed now counts as applied: call it in the transaction (or just
        before the reads) of what the process loads."""
        self.seen = await latest_seq(session)
        rows = await session.scalars(
            select(AuditEntry.id).where(AuditEntry.id > self.seen - WINDOW)
        )
        self.applied = {int(seq) for seq in rows}

    async def new(self, session: AsyncSession) -> list[Change]:
        """The changes not applied yet, oldest first; marks them applied.

        Only ids are read for the window (cheap when nothing changed); the rows of the new
        ones are read after."""
        ids = [
            int(seq)
            for seq in await session.scalars(
                select(AuditEntry.id)
                .where(AuditEntry.id > max(0, self.seen - WINDOW))
                .order_by(AuditEntry.id)
            )
        ]
        wanted = [seq for seq in ids if seq not in self.applied]
        if not wanted:
            return []
        fresh: list[Change] = []
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            rows = await session.execute(
                select(AuditEntry.id, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action)
                .where(AuditEntry.id.in_(chunk))
                .order_by(AuditEntry.id)
            )
            fresh.extend(Change(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows)
        self.applied.update(wanted)
        self.seen = max(self.seen, wanted[-1])
        floor = self.seen - WINDOW
        self.applied = {seq for seq in self.applied if seq > floor}
        return fresh
