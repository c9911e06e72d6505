"""Reminders: which chat hears about which body that is behind, recorded first, sent once.

A check (the daily sweep, `/herinner_nu`, `regiebot remind`) runs in three steps:

1. record: for every chat with reminders on, each behind body it follows that is not snoozed
   and was not reminded within `remind_every_days` gets an outbox row keyed (chat, body,
   period = the check's date). Another instance or a second run for the same date records
   nothing new: the key is unique.
2. deliver: per chat, the unsent rows are claimed (storage/reminders.claim), re-checked against
   the status of the day (a meeting logged since, a snooze, a body removed: the row is skipped)
   and sent as one message; once Telegram confirms, the rows are marked sent. A failed send is
   retried on the next run; a chat that blocked the bot is unsubscribed.
3. planned meetings: the day after a planned meeting's date, whoever logged it is asked whether
   it took place, through the same kind of outbox (one question per meeting).

Sending goes through an injected async callable, so the bot, the CLI and tests share this code;
no Telegram here. Quiet hours and working days are the scheduled job's business only
(bot/services/reminder_rules.py holds them and the message texts;
bot/services/reminder_buttons.py the buttons).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bot.config import Settings
from bot.domain.cadence import DEFAULT_GRACE_DAYS
from bot.domain.dutch_dates import format_date
from bot.services.reminder_rules import (
    OutgoingMessage,
    plan_reminders,
    question_message,
    reminder_message,
    why_not,
)
from bot.services.status import BodyStatus, StatusReport, build_status
from storage import reminders as rstore
from storage.models import Body, Meeting, MeetingQuestion, ReminderOutbox
from storage.store import Store

logger = logging.getLogger(__name__)

INSTANCE: Final = f"{socket.gethostname()[:16]}-{os.getpid()}"
SNOOZE_DAYS: Final = 14
QUESTION_WINDOW_DAYS: Final = 30  # planned meetings older than this are not asked about


class ChatBlocked(Exception):
    """The chat blocked the bot, or no longer exists: stop sending to it."""


class SendFailed(Exception):
    """A send that failed for now (network, 5xx, flood): retried on the next run."""


class ReminderError(Exception):
    """A reminder request that cannot be carried out; the text is Dutch, for the user."""


Sender = Callable[[OutgoingMessage], Awaitable[int]]  # returns the sent message's id


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """The knobs of a check, from the settings."""

    default_grace: int = DEFAULT_GRACE_DAYS
    every_days: int = 7
    lease: dt.timedelta = dt.timedelta(minutes=10)
    question_window_days: int = QUESTION_WINDOW_DAYS

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        return cls(default_grace=settings.grace_days, every_days=settings.remind_every_days)


@dataclass
class ChatOutcome:
    """What a check did for one chat."""

    chat_id: int
    bodies: list[str]
    status: str  # sent | would_send | blocked | failed | skipped
    message_id: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "bodies": self.bodies,
            "status": self.status,
            "message_id": self.message_id,
            "error": self.error,
        }


@dataclass
class QuestionOutcome:
    """What a check did about one planned meeting."""

    meeting_id: int
    chat_id: int
    body_id: str
    date: dt.date
    status: str  # sent | would_send | blocked | failed | skipped
    message_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "chat_id": self.chat_id,
            "body_id": self.body_id,
            "date": self.date.isoformat(),
            "status": self.status,
            "message_id": self.message_id,
        }


@dataclass
class CheckReport:
    """The result of one check."""

    on: dt.date
    dry_run: bool
    behind: list[str]
    recorded: int = 0
    reminders: list[ChatOutcome] = field(default_factory=list)
    questions: list[QuestionOutcome] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(1 for r in self.reminders if r.status == "sent")

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat(),
            "dry_run": self.dry_run,
            "behind": self.behind,
            "recorded": self.recorded,
            "reminders": [r.to_json() for r in self.reminders],
            "questions": [q.to_json() for q in self.questions],
        }

    def summary_nl(self) -> str:
        """One Dutch paragraph for /herinner_nu."""
        sent = [r for r in self.reminders if r.status == "sent"]
        asked = [q for q in self.questions if q.status == "sent"]
        lines = [f"Controle op {format_date(self.on)}:"]
        lines.append(
            f"{_count(len(self.behind), 'orgaan', 'organen')} achter op schema."
            if self.behind
            else "Geen enkel orgaan ligt achter op schema."
        )
        if sent:
            bodies = sum(len(r.bodies) for r in sent)
            lines.append(
                f"Herinnering verstuurd naar {_count(len(sent), 'chat', 'chats')}, "
                f"over {_count(bodies, 'orgaan', 'organen')}."
            )
        else:
            lines.append(
                "Geen nieuwe herinneringen: niemand volgt die organen, ze zijn uitgesteld, "
                "of de chats kregen er de voorbije dagen al een."
                if self.behind
                else "Geen herinneringen nodig."
            )
        if asked:
            lines.append(
                f"{_count(len(asked), 'vraag', 'vragen')} gesteld over geplande vergaderingen."
            )
        failed = [r for r in self.reminders if r.status in ("failed", "blocked")]
        if failed:
            verb = "kon" if len(failed) == 1 else "konden"
            lines.append(f"{_count(len(failed), 'chat', 'chats')} {verb} niet bereikt worden.")
        return "\n".join(lines)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# --- the check ------------------------------------------------------------------------------


async def run_check(
    store: Store,
    *,
    today: dt.date,
    now: dt.datetime,
    send: Sender | None,
    policy: ReminderPolicy | None = None,
    dry_run: bool = False,
    instance: str = INSTANCE,
) -> CheckReport:
    """Record what is due on `today`, then send everything unsent; dry_run only reports."""
    policy = policy or ReminderPolicy()
    status = await build_status(store, on=today, default_grace=policy.default_grace)
    report = CheckReport(on=today, dry_run=dry_run, behind=[r.id for r in status.behind])
    if dry_run:
        await _preview(store, status, report, policy)
        return report
    if send is None:
        raise ValueError("a check that sends needs a sender")
    send = _guarded(send)
    report.recorded = await record_due(store, status, policy)
    await record_questions_due(store, today, policy)
    report.reminders = await deliver_reminders(
        store, status, send=send, now=now, instance=instance, policy=policy
    )
    report.questions = await deliver_questions(
        store, send=send, now=now, instance=instance, policy=policy
    )
    async with store.sessions() as session:
        await rstore.set_last_sweep(session, today)
        await session.commit()
    return report


def _guarded(send: Sender) -> Sender:
    """Any unexpected error while sending fails that one message, not the whole check."""

    async def guarded(message: OutgoingMessage) -> int:
        try:
            return await send(message)
        except (ChatBlocked, SendFailed):
            raise
        except Exception as exc:
            logger.exception("sending a reminder to chat %s failed", message.chat_id)
            raise SendFailed(repr(exc)) from exc

    return guarded


async def record_due(store: Store, status: StatusReport, policy: ReminderPolicy) -> int:
    """Step 1: record the reminders due on the status' date; returns how many were new."""
    async with store.sessions() as session:
        chats = await rstore.subscribed_chats(session)
        recent = await rstore.recent_pairs(session, around=status.on, days=policy.every_days)
    rows = plan_reminders(chats, status, recent)
    if not rows:
        return 0
    async with store.sessions() as session:
        new = await rstore.record_reminders(session, rows)
        await session.commit()
    return new


async def record_questions_due(store: Store, today: dt.date, policy: ReminderPolicy) -> int:
    """Record a question for each planned meeting whose date has passed (once per meeting)."""
    since = today - dt.timedelta(days=policy.question_window_days)
    async with store.sessions() as session:
        meetings = await rstore.planned_meetings_to_ask(session, since=since, before=today)
        rows = [
            {
                "meeting_id": m.id,
                "body_id": m.body_id,
                "meeting_date": m.date,
                "chat_id": m.source_chat_id or m.logged_by,
                "user_id": m.logged_by,
            }
            for m in meetings
            if (m.source_chat_id or m.logged_by) is not None
        ]
        new = await rstore.record_questions(session, rows)
        await session.commit()
    return new


async def deliver_reminders(
    store: Store,
    status: StatusReport,
    *,
    send: Sender,
    now: dt.datetime,
    instance: str,
    policy: ReminderPolicy,
) -> list[ChatOutcome]:
    """Step 2: send each chat's unsent reminders as one message, and mark them sent."""
    async with store.sessions() as session:
        chat_ids = await rstore.pending_chat_ids(
            session, ReminderOutbox, now=now, lease=policy.lease
        )
    outcomes: list[ChatOutcome] = []
    for chat_id in chat_ids:
        outcome = await _deliver_chat(store, chat_id, status, send, now, instance, policy)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


async def _deliver_chat(
    store: Store,
    chat_id: int,
    status: StatusReport,
    send: Sender,
    now: dt.datetime,
    instance: str,
    policy: ReminderPolicy,
) -> ChatOutcome | None:
    async with store.sessions() as session:
        token, rows = await rstore.claim(
            session,
            ReminderOutbox,
            chat_id=chat_id,
            instance=instance,
            now=now,
            lease=policy.lease,
        )
        if not rows:
            return None  # another instance has them
        settings = await rstore.chat_settings(session, chat_id)
    keep: dict[str, tuple[ReminderOutbox, BodyStatus]] = {}
    skipped: dict[str, list[int]] = {}
    for row in rows:  # oldest first: a newer row for the same body replaces an older one
        body = status.row(row.body_id)
        reason = why_not(settings, row.body_id, body, status.on)
        if reason is None and body is not None:
            if row.body_id in keep:
                skipped.setdefault("vervangen door een nieuwere", []).append(
                    keep[row.body_id][0].id
                )
            keep[row.body_id] = (row, body)
        else:
            skipped.setdefault(reason or "?", []).append(row.id)
    async with store.sessions() as session:
        for reason, ids in skipped.items():
            await rstore.mark_skipped(session, ReminderOutbox, ids, reason=reason)
        await session.commit()
    if not keep:
        return ChatOutcome(chat_id=chat_id, bodies=[], status="skipped")
    items = [(row.id, body) for row, body in keep.values()]
    ids = [row_id for row_id, _ in items]
    bodies = [body.id for _, body in items]
    message = reminder_message(chat_id, items, status.on)
    try:
        message_id = await send(message)
    except ChatBlocked as exc:
        async with store.sessions() as session:
            await rstore.unsubscribe(session, chat_id)
            await rstore.mark_skipped(session, ReminderOutbox, ids, reason=f"blocked: {exc}")
            await session.commit()
        return ChatOutcome(chat_id=chat_id, bodies=bodies, status="blocked", error=str(exc))
    except SendFailed as exc:
        async with store.sessions() as session:
            await rstore.mark_failed(session, ReminderOutbox, ids, token=token, error=str(exc))
            await session.commit()
        return ChatOutcome(chat_id=chat_id, bodies=bodies, status="failed", error=str(exc))
    async with store.sessions() as session:
        await rstore.mark_sent(
            session, ReminderOutbox, ids, token=token, now=now, message_id=message_id
        )
        await session.commit()
    return ChatOutcome(chat_id=chat_id, bodies=bodies, status="sent", message_id=message_id)


async def deliver_questions(
    store: Store, *, send: Sender, now: dt.datetime, instance: str, policy: ReminderPolicy
) -> list[QuestionOutcome]:
    """Step 3: ask about each planned meeting whose question is recorded but not sent."""
    async with store.sessions() as session:
        chat_ids = await rstore.pending_chat_ids(
            session, MeetingQuestion, now=now, lease=policy.lease
        )
    outcomes: list[QuestionOutcome] = []
    for chat_id in chat_ids:
        async with store.sessions() as session:
            token, questions = await rstore.claim(
                session,
                MeetingQuestion,
                chat_id=chat_id,
                instance=instance,
                now=now,
                lease=policy.lease,
            )
        for question in questions:
            outcomes.append(await _ask(store, question, token, send, now))
            if outcomes[-1].status == "blocked":
                break
    return outcomes


async def _ask(
    store: Store, question: MeetingQuestion, token: str, send: Sender, now: dt.datetime
) -> QuestionOutcome:
    outcome = QuestionOutcome(
        meeting_id=question.meeting_id,
        chat_id=question.chat_id,
        body_id=question.body_id,
        date=question.meeting_date,
        status="sent",
    )
    async with store.sessions() as session:
        meeting = await session.get(Meeting, question.meeting_id)
        body = await session.get(Body, question.body_id)
    if meeting is None or meeting.status != "planned" or body is None:
        async with store.sessions() as session:
            await rstore.mark_skipped(
                session, MeetingQuestion, [question.id], reason="vergadering niet meer gepland"
            )
            await session.commit()
        outcome.status = "skipped"
        return outcome
    message = question_message(question.id, question.chat_id, body.name, meeting.date)
    try:
        outcome.message_id = await send(message)
    except ChatBlocked as exc:
        async with store.sessions() as session:
            await rstore.mark_skipped(
                session, MeetingQuestion, [question.id], reason=f"blocked: {exc}"
            )
            await session.commit()
        outcome.status = "blocked"
        return outcome
    except SendFailed as exc:
        async with store.sessions() as session:
            await rstore.mark_failed(
                session, MeetingQuestion, [question.id], token=token, error=str(exc)
            )
            await session.commit()
        outcome.status = "failed"
        return outcome
    async with store.sessions() as session:
        await rstore.mark_sent(
            session,
            MeetingQuestion,
            [question.id],
            token=token,
            now=now,
            message_id=outcome.message_id,
        )
        await session.commit()
    return outcome


async def _preview(
    store: Store, status: StatusReport, report: CheckReport, policy: ReminderPolicy
) -> None:
    """What a check would send, without recording or sending anything."""
    async with store.sessions() as session:
        chats = await rstore.subscribed_chats(session)
        recent = await rstore.recent_pairs(session, around=status.on, days=policy.every_days)
        waiting = await rstore.pending_rows(session, ReminderOutbox)
        meetings = await rstore.planned_meetings_to_ask(
            session,
            since=status.on - dt.timedelta(days=policy.question_window_days),
            before=status.on,
        )
        questions = await rstore.pending_rows(session, MeetingQuestion)
    by_chat: dict[int, list[str]] = {}
    for planned in plan_reminders(chats, status, recent):
        by_chat.setdefault(planned["chat_id"], []).append(planned["body_id"])
    settings = {c.chat_id: c for c in chats}
    for row in waiting:
        chat = settings.get(row.chat_id)
        body = status.row(row.body_id)
        if chat is not None and why_not(chat, row.body_id, body, status.on) is None:
            listed = by_chat.setdefault(row.chat_id, [])
            if row.body_id not in listed:
                listed.append(row.body_id)
    report.reminders = [
        ChatOutcome(chat_id=c, bodies=b, status="would_send") for c, b in sorted(by_chat.items())
    ]
    report.questions = [
        QuestionOutcome(
            meeting_id=m.id,
            chat_id=int(m.source_chat_id or m.logged_by or 0),
            body_id=m.body_id,
            date=m.date,
            status="would_send",
        )
        for m in meetings
        if (m.source_chat_id or m.logged_by) is not None
    ] + [
        QuestionOutcome(
            meeting_id=q.meeting_id,
            chat_id=q.chat_id,
            body_id=q.body_id,
            date=q.meeting_date,
            status="would_send",
        )
        for q in questions
    ]
