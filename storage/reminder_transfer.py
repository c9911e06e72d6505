"""The reminder tables in `regiebot export --json` and back with `regiebot import`.

reminder_chats (with each chat's follows and mutes), reminder_snoozes, reminder_outbox and
meeting_questions, so an export followed by an import loses nothing. Keys an older export
lacks are simply absent: nothing is loaded for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import ImportFileError
from storage.models import (
    MeetingQuestion,
    ReminderChat,
    ReminderChatBody,
    ReminderOutbox,
    ReminderSnooze,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


REMINDER_KINDS = ("reminder_chats", "reminder_snoozes", "reminder_outbox", "meeting_questions")


def _ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


_OUTBOX_FIELDS = ("id", "chat_id", "body_id", "period", "status", "held", "expected", "target",
                  "claimed_by", "message_id", "attempts", "error", "answer")  # fmt: skip
_QUESTION_FIELDS = ("id", "meeting_id", "body_id", "chat_id", "user_id", "status",
                    "claimed_by", "message_id", "attempts", "error", "answer",
                    "answered_by")  # fmt: skip
_STAMPS = {
    "reminder_outbox": ("created_at", "claimed_at", "sent_at"),
    "meeting_questions": ("created_at", "claimed_at", "sent_at", "answered_at"),
}


async def export_reminders(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """The reminder tables, JSON-ready, for `regiebot export`."""
    chats = (await session.scalars(select(ReminderChat).order_by(ReminderChat.chat_id))).all()
    links = (
        await session.scalars(
            select(ReminderChatBody).order_by(ReminderChatBody.chat_id, ReminderChatBody.body_id)
        )
    ).all()
    snoozes = (
        await session.scalars(
            select(ReminderSnooze).order_by(ReminderSnooze.chat_id, ReminderSnooze.body_id)
        )
    ).all()
    outbox = (await session.scalars(select(ReminderOutbox).order_by(ReminderOutbox.id))).all()
    questions = (await session.scalars(select(MeetingQuestion).order_by(MeetingQuestion.id))).all()
    return {
        "reminder_chats": [
            {
                "chat_id": c.chat_id,
                "enabled": c.enabled,
                "narrowed": c.narrowed,
                "chat_type": c.chat_type,
                "updated_by": c.updated_by,
                "created_at": _ts(c.created_at),
                "updated_at": _ts(c.updated_at),
                "follows": [lk.body_id for lk in links if lk.chat_id == c.chat_id and lk.follows],
                "mutes": [
                    lk.body_id for lk in links if lk.chat_id == c.chat_id and not lk.follows
                ],
            }
            for c in chats
        ],
        "reminder_snoozes": [
            {
                "chat_id": s.chat_id,
                "body_id": s.body_id,
                "until": _day(s.until),
                "kind": s.kind,
                "set_by": s.set_by,
                "created_at": _ts(s.created_at),
            }
            for s in snoozes
        ],
        "reminder_outbox": [
            {
                **{f: getattr(o, f) for f in _OUTBOX_FIELDS},
                "run_date": _day(o.run_date),
                **{f: _ts(getattr(o, f)) for f in _STAMPS["reminder_outbox"]},
            }
            for o in outbox
        ],
        "meeting_questions": [
            {
                **{f: getattr(q, f) for f in _QUESTION_FIELDS},
                "meeting_date": _day(q.meeting_date),
                **{f: _ts(getattr(q, f)) for f in _STAMPS["meeting_questions"]},
            }
            for q in questions
        ],
    }


def _parse_ts(origin: str, kind: str, value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ImportFileError(f"{origin}: {kind}: {value!r} is not an ISO timestamp") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _parse_day(origin: str, kind: str, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ImportFileError(f"{origin}: {kind}: {value!r} is not a date YYYY-MM-DD") from None


async def import_reminders(
    session: AsyncSession, data: dict[str, Any], *, origin: str
) -> dict[str, int]:
    """Load the reminder tables of an export (absent keys: nothing); counts per kind loaded."""
    counts: dict[str, int] = {}
    for kind in REMINDER_KINDS:
        items = data.get(kind) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ImportFileError(f"{origin}: '{kind}' must be a list of objects")
        if items:
            counts[kind] = len(items)
    if counts and await session.scalar(select(ReminderChat.chat_id).limit(1)) is not None:
        raise ImportFileError(
            "the database already holds reminder settings; import into an empty database"
        )
    try:
        for rec in data.get("reminder_chats") or []:
            session.add(
                ReminderChat(
                    chat_id=int(rec["chat_id"]),
                    enabled=bool(rec.get("enabled")),
                    narrowed=bool(rec.get("narrowed")),
                    chat_type=rec.get("chat_type"),
                    updated_by=rec.get("updated_by"),
                    created_at=_parse_ts(origin, "reminder_chats", rec.get("created_at"))
                    or _now(),
                    updated_at=_parse_ts(origin, "reminder_chats", rec.get("updated_at")),
                )
            )
        await session.flush()
        for rec in data.get("reminder_chats") or []:
            for key, follows in (("follows", True), ("mutes", False)):
                for body_id in rec.get(key) or []:
                    session.add(
                        ReminderChatBody(
                            chat_id=int(rec["chat_id"]), body_id=str(body_id), follows=follows
                        )
                    )
        for rec in data.get("reminder_snoozes") or []:
            session.add(
                ReminderSnooze(
                    chat_id=int(rec["chat_id"]),
                    body_id=str(rec["body_id"]),
                    until=_parse_day(origin, "reminder_snoozes", rec.get("until")),
                    kind=str(rec.get("kind") or "snooze"),
                    set_by=rec.get("set_by"),
                    created_at=_parse_ts(origin, "reminder_snoozes", rec.get("created_at"))
                    or _now(),
                )
            )
        for rec in data.get("reminder_outbox") or []:
            session.add(
                ReminderOutbox(
                    **{f: rec.get(f) for f in _OUTBOX_FIELDS},
                    run_date=_parse_day(origin, "reminder_outbox", rec.get("run_date")),
                    **{
                        f: _parse_ts(origin, "reminder_outbox", rec.get(f))
                        for f in _STAMPS["reminder_outbox"]
                    },
                )
            )
        for rec in data.get("meeting_questions") or []:
            session.add(
                MeetingQuestion(
                    **{f: rec.get(f) for f in _QUESTION_FIELDS},
                    meeting_date=_parse_day(origin, "meeting_questions", rec.get("meeting_date")),
                    **{
                        f: _parse_ts(origin, "meeting_questions", rec.get(f))
                        for f in _STAMPS["meeting_questions"]
                    },
                )
            )
        await session.flush()
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportFileError(f"{origin}: a reminder record is malformed ({exc})") from None
    return counts
