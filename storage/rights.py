"""Data rights: everything stored about a member, erasing a member, and the change history.

What the store holds about a person: their members row (Telegram id, name, role, who added
them), the meetings and signals they logged (`logged_by`, and in a private chat the chat id,
which is their Telegram id), the audit entries they made (`actor`) or that are about them, and
the raw Telegram updates of the inbox (their name, username and message text).

Erasure removes the person and keeps the team's work: the members row is deleted; their
meetings and signals stay, with `logged_by` (and a private chat id) set to NULL, shown as
"verwijderd lid"; audit entries keep what changed but not who; their own inbox updates are
deleted and other updates that mention them are redacted; their full name and username are
replaced by "[verwijderd lid]" wherever free text holds them (topics, notes, signal text, audit
before/after). The erasure is itself audited, with counts only. On SQLite the file is then
vacuumed and the WAL truncated, so freed pages keep no copy of the name.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import AuditEntry, InboxUpdate, Meeting, Member, Signal
from storage.transfer import meeting_dict, signal_dict

ERASED: Final = "verwijderd lid"
REDACTED: Final = "[verwijderd lid]"
ERASED_ENTITY_ID: Final = "verwijderd"
# Keys of stored records (and of audit before/after) that hold a Telegram user id.
_ID_KEYS: Final = frozenset({"logged_by", "added_by", "actor", "user_id", "telegram_id"})
# Record fields that are bookkeeping, not something a person changed.
_META_KEYS: Final = frozenset({"title", "created_at", "updated_at", "id"})
_UPDATE_KINDS: Final = ("message", "edited_message", "callback_query")


def _ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _audit_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _ts(e.at),
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }


# --- the inbox's raw updates ------------------------------------------------------------------


def sender_of(payload: dict[str, Any]) -> int | None:
    """The Telegram user id an update came from (message, edit or button press)."""
    for kind in _UPDATE_KINDS:
        part = payload.get(kind)
        if isinstance(part, dict):
            sender = part.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


def _user_objects(value: Any, user_id: int) -> Iterable[dict[str, Any]]:
    """Every User (or private Chat) object of user_id anywhere in an update."""
    if isinstance(value, dict):
        if value.get("id") == user_id and ("first_name" in value or "username" in value):
            yield value
        for child in value.values():
            yield from _user_objects(child, user_id)
    elif isinstance(value, list):
        for child in value:
            yield from _user_objects(child, user_id)


def _names_from_updates(payloads: Iterable[dict[str, Any]], user_id: int) -> set[str]:
    names: set[str] = set()
    for payload in payloads:
        for user in _user_objects(payload, user_id):
            full = " ".join(
                str(user[k]) for k in ("first_name", "last_name") if isinstance(user.get(k), str)
            )
            if " " in full:  # a lone first name is too common a word to replace everywhere
                names.add(full)
            if isinstance(user.get("username"), str):
                names.add(user["username"])
    return names


# --- scrubbing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scrubber:
    """Replaces a person's names (and optionally their id) in text and in nested JSON."""

    user_id: int
    pattern: re.Pattern[str] | None
    id_pattern: re.Pattern[str]

    @classmethod
    def for_person(cls, user_id: int, names: Iterable[str]) -> Scrubber:
        words = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len)
        alternatives = "|".join(re.escape(w) for w in reversed(words))
        pattern = (
            re.compile(rf"(?<!\w)@?(?:{alternatives})(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )
        return cls(user_id, pattern, re.compile(rf"(?<!\d){user_id}(?!\d)"))

    def text(self, value: str, *, with_id: bool = False) -> str:
        if self.pattern is not None:
            value = self.pattern.sub(REDACTED, value)
        if with_id:
            value = self.id_pattern.sub(ERASED_ENTITY_ID, value)
        return value

    def json(self, value: Any, *, with_id: bool = False, key: str | None = None) -> Any:
        """A copy of value with names replaced and the person's id under id keys removed."""
        if isinstance(value, dict):
            if value.get("id") == self.user_id and ("first_name" in value or "username" in value):
                return {"id": 0, "is_bot": False, "first_name": ERASED}
            out = {k: self.json(v, with_id=with_id, key=k) for k, v in value.items()}
            if value.get("source_chat_id") == self.user_id:  # their private chat
                out["source_chat_id"] = None
                out["source_message_id"] = None
            return out
        if isinstance(value, list):
            return [self.json(v, with_id=with_id) for v in value]
        if isinstance(value, str):
            return self.text(value, with_id=with_id)
        if value == self.user_id and not isinstance(value, bool):
            if key in _ID_KEYS:
                return None
            if with_id:  # chat ids and user ids inside a raw update
                return 0
        return value


# --- what is stored about a member -----------------------------------------------------------


async def _inbox_of(session: AsyncSession, user_id: int) -> list[tuple[int, dict[str, Any]]]:
    rows = await session.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload).order_by(InboxUpdate.update_id)
    )
    return [
        (int(update_id), dict(payload))
        for update_id, payload in rows
        if isinstance(payload, dict) and sender_of(payload) == user_id
    ]


async def member_data(session: AsyncSession, telegram_id: int) -> dict[str, Any]:
    """Everything the store holds about one member, as one JSON-ready object."""
    member = await session.get(Member, telegram_id)
    meetings = (
        await session.scalars(
            select(Meeting)
            .options(selectinload(Meeting.attendees), selectinload(Meeting.body))
            .where(Meeting.logged_by == telegram_id)
            .order_by(Meeting.id)
        )
    ).all()
    signals = (
        await session.scalars(
            select(Signal)
            .options(selectinload(Signal.themes))
            .where(Signal.logged_by == telegram_id)
            .order_by(Signal.id)
        )
    ).all()
    by_them = (
        await session.scalars(
            select(AuditEntry).where(AuditEntry.actor == telegram_id).order_by(AuditEntry.id)
        )
    ).all()
    about_them = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "member", AuditEntry.entity_id == str(telegram_id))
            .order_by(AuditEntry.id)
        )
    ).all()
    inbox = await _inbox_of(session, telegram_id)
    return {
        "telegram_id": telegram_id,
        "member": (
            {
                "id": member.telegram_id,
                "name": member.name,
                "role": member.role,
                "added_by": member.added_by,
                "created_at": _ts(member.created_at),
            }
            if member
            else None
        ),
        "meetings_logged": [meeting_dict(m) for m in meetings],
        "signals_logged": [signal_dict(s) for s in signals],
        "audit_by_member": [_audit_dict(e) for e in by_them],
        "audit_about_member": [_audit_dict(e) for e in about_them],
        "inbox_updates": [payload for _, payload in inbox],
    }


# --- erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What erasing a member changed (counts only: no personal data)."""

    member_row: bool = False
    meetings: int = 0
    signals: int = 0
    audit_entries: int = 0
    inbox_deleted: int = 0
    inbox_redacted: int = 0
    texts_scrubbed: int = 0

    @property
    def found(self) -> bool:
        return any(
            (
                self.member_row,
                self.meetings,
                self.signals,
                self.audit_entries,
                self.inbox_deleted,
                self.inbox_redacted,
                self.texts_scrubbed,
            )
        )

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "member_row": self.member_row,
            "meetings": self.meetings,
            "signals": self.signals,
            "audit_entries": self.audit_entries,
            "inbox_deleted": self.inbox_deleted,
            "inbox_redacted": self.inbox_redacted,
            "texts_scrubbed": self.texts_scrubbed,
        }


async def erase_member(session: AsyncSession, *, telegram_id: int, actor: int | None) -> Erasure:
    """Erase a member's personal data, keeping their meetings and signals; caller commits.

    Nothing is written when the store holds nothing about telegram_id (Erasure.found is False).
    """
    if session.get_bind().dialect.name == "sqlite":
        # Deleted rows are overwritten with zeros instead of lingering in free pages.
        await session.execute(text("PRAGMA secure_delete = ON"))
    member = await session.get(Member, telegram_id)
    inbox_rows = [
        (int(uid), dict(payload))
        for uid, payload in await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
        )
        if isinstance(payload, dict)
    ]
    names = _names_from_updates((p for _, p in inbox_rows), telegram_id)
    if member is not None and member.name:
        names.add(member.name)
    scrub = Scrubber.for_person(telegram_id, names)
    counts: dict[str, int] = dict.fromkeys(
        ("meetings", "signals", "audit", "deleted", "redacted", "texts"), 0
    )

    for model, kind in ((Meeting, "meetings"), (Signal, "signals")):
        logged = await session.execute(
            update(model).where(model.logged_by == telegram_id).values(logged_by=None)
        )
        counts[kind] = int(getattr(logged, "rowcount", 0) or 0)
        await session.execute(
            update(model)
            .where(model.source_chat_id == telegram_id)
            .values(source_chat_id=None, source_message_id=None)
        )
    await session.execute(
        update(Member).where(Member.added_by == telegram_id).values(added_by=None)
    )
    if scrub.pattern is not None:
        counts["texts"] += await _scrub_entries(session, scrub)

    for entry in (await session.scalars(select(AuditEntry))).all():
        changed = False
        if entry.actor == telegram_id:
            entry.actor = None
            changed = True
        if entry.entity == "member" and entry.entity_id == str(telegram_id):
            entry.entity_id, entry.before, entry.after = ERASED_ENTITY_ID, None, None
            changed = True
        for side in ("before", "after"):
            value = getattr(entry, side)
            if value is not None:
                scrubbed = scrub.json(value)
                if scrubbed != value:
                    setattr(entry, side, scrubbed)
                    changed = True
        counts["audit"] += changed

    id_only: list[tuple[int, Any]] = []  # updates that merely quote the id (e.g. /lid wis)
    for update_id, payload in inbox_rows:
        if sender_of(payload) == telegram_id or _private_chat_of(payload) == telegram_id:
            await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id == update_id))
            counts["deleted"] += 1
            continue
        redacted = scrub.json(payload, with_id=True)
        if redacted == payload:
            continue
        if scrub.json(payload) != payload:  # their name or user object, not only the id
            await _set_payload(session, update_id, redacted)
            counts["redacted"] += 1
        else:
            id_only.append((update_id, redacted))

    if member is not None:
        await session.delete(member)
    result = Erasure(
        member_row=member is not None,
        meetings=counts["meetings"],
        signals=counts["signals"],
        audit_entries=counts["audit"],
        inbox_deleted=counts["deleted"],
        inbox_redacted=counts["redacted"],
        texts_scrubbed=counts["texts"],
    )
    if result.found:
        for update_id, redacted in id_only:
            await _set_payload(session, update_id, redacted)
        session.add(
            AuditEntry(
                actor=actor,
                action="erase",
                entity="member",
                entity_id=ERASED_ENTITY_ID,
                before=None,
                after=dict(result.as_dict()),
            )
        )
    await session.flush()
    return result


async def _set_payload(session: AsyncSession, update_id: int, payload: Any) -> None:
    row = await session.get(InboxUpdate, update_id)
    if row is not None:
        row.payload = payload


def _private_chat_of(payload: dict[str, Any]) -> int | None:
    for kind in _UPDATE_KINDS:
        part = payload.get(kind)
        if isinstance(part, dict) and kind == "callback_query":
            part = part.get("message")
        chat = part.get("chat") if isinstance(part, dict) else None
        if isinstance(chat, dict) and chat.get("type") == "private":
            chat_id = chat.get("id")
            return int(chat_id) if isinstance(chat_id, int) else None
    return None


async def _scrub_entries(session: AsyncSession, scrub: Scrubber) -> int:
    """Replace the person's names in meeting topics and notes and in signal text."""
    changed = 0
    for meeting in (await session.scalars(select(Meeting))).all():
        topics = [scrub.text(str(t)) for t in (meeting.topics or [])]
        notes = scrub.text(meeting.notes) if meeting.notes else meeting.notes
        if topics != list(meeting.topics or []) or notes != meeting.notes:
            meeting.topics, meeting.notes = topics, notes
            changed += 1
    for signal in (await session.scalars(select(Signal))).all():
        body = scrub.text(signal.text)
        addressee = scrub.text(signal.addressee) if signal.addressee else signal.addressee
        if body != signal.text or addressee != signal.addressee:
            signal.text, signal.addressee = body, addressee
            changed += 1
    return changed


async def purge_freed_space(engine: AsyncEngine) -> None:
    """After an erasure is committed: leave no copy of deleted data in free pages or the WAL.

    SQLite: VACUUM rewrites the file, then a TRUNCATE checkpoint empties the write-ahead log.
    PostgreSQL: VACUUM FULL rewrites the tables erasure touched (their WAL and backups are the
    server's business, outside what the bot can reach).
    """
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            await auto.exec_driver_sql("VACUUM")
            for _ in range(20):
                row = (await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                if row is None or row[0] == 0:
                    break
                await asyncio.sleep(0.1)  # a reader still holds the WAL; try again shortly
        elif engine.dialect.name == "postgresql":
            await auto.exec_driver_sql("VACUUM FULL members, meetings, signals, audit_log, inbox")


# --- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a meeting or signal, as /geschiedenis shows it."""

    at: dt.datetime  # aware, UTC
    actor: int | None
    actor_name: str  # the member's name, "lid <id>", or "verwijderd lid"
    action: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, before, after)


def _changes(action: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    if action == "delete":
        return []
    keys = [k for k in new if k not in _META_KEYS] + [
        k for k in old if k not in new and k not in _META_KEYS
    ]
    if action == "create":
        return [(k, None, new[k]) for k in keys if new.get(k) not in (None, "", [])]
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


async def history(
    session: AsyncSession, *, entity: str, entity_id: int | str
) -> list[HistoryEntry]:
    """The audit entries of one record, oldest first, with who and what changed."""
    entries = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    ).all()
    actor_ids = {e.actor for e in entries if e.actor is not None}
    names: dict[int, str | None] = {}
    if actor_ids:
        for member_id, name in await session.execute(
            select(Member.telegram_id, Member.name).where(Member.telegram_id.in_(actor_ids))
        ):
            names[int(member_id)] = name
    return [
        HistoryEntry(
            at=_aware(e.at),
            actor=e.actor,
            actor_name=(ERASED if e.actor is None else (names.get(e.actor) or f"lid {e.actor}")),
            action=e.action,
            changes=_changes(e.action, e.before, e.after),
        )
        for e in entries
    ]
