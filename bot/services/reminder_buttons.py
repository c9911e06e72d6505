"""What the buttons under reminders and planned-meeting questions do, free of Telegram.

[2 weken uitstellen] and [Dit jaar niet meer] snooze a body for the chat; [Vergadering loggen]
needs the body behind the button; [Ja] / [Nee, uitgesteld] answer a planned-meeting question.
A button pressed twice, or for a body or meeting that is gone, raises ReminderError with the
Dutch text for the user, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.dutch_dates import format_date
from bot.services.reminders import SNOOZE_DAYS, ReminderError
from bot.services.status import short_name
from storage import reminders as rstore
from storage.models import Body, Meeting
from storage.store import Store


@dataclass(frozen=True, slots=True)
class ButtonTarget:
    """The body a reminder button is about."""

    row_id: int
    body_id: str
    body_name: str


async def button_target(store: Store, *, row_id: int, chat_id: int | None) -> ButtonTarget:
    """The body behind a reminder button; ReminderError when it or the reminder is gone."""
    async with store.sessions() as session:
        row = await rstore.outbox_row(session, row_id)
        if row is None or (chat_id is not None and row.chat_id != chat_id):
            raise ReminderError("Deze herinnering bestaat niet meer; er is niets veranderd.")
        body = await rstore.body_exists(session, row.body_id)
        if body is None:
            raise ReminderError(
                "Dat overlegorgaan bestaat niet meer in de kennisbank; er is niets veranderd."
            )
        return ButtonTarget(row_id=row.id, body_id=body.id, body_name=body.name)


async def snooze_from_button(
    store: Store,
    *,
    row_id: int,
    chat_id: int | None,
    kind: str,
    today: dt.date,
    by: int | None,
) -> str:
    """[2 weken uitstellen] (kind "snooze") or [Dit jaar niet meer] ("year"): the Dutch reply."""
    target = await button_target(store, row_id=row_id, chat_id=chat_id)
    until = (
        today + dt.timedelta(days=SNOOZE_DAYS) if kind == "snooze" else dt.date(today.year, 12, 31)
    )
    name = short_name(target.body_name)
    async with store.sessions() as session:
        row = await rstore.outbox_row(session, row_id)
        assert row is not None
        settings = await rstore.chat_settings(session, row.chat_id)
        current = settings.snoozes.get(target.body_id)
        if current is not None and current[0] >= until:
            raise ReminderError(
                f"Dat was al gebeurd: geen herinneringen over {name} tot en met "
                f"{format_date(current[0])}."
            )
        await rstore.snooze(
            session, chat_id=row.chat_id, body_id=target.body_id, until=until, kind=kind, by=by
        )
        row.answer = kind
        await session.commit()
    if kind == "snooze":
        return f"⏸ Geen herinneringen over {name} tot en met {format_date(until)}."
    return f"🔕 Geen herinneringen meer over {name} in {until.year}."


@dataclass(frozen=True, slots=True)
class QuestionTarget:
    """A planned-meeting question that may still be answered."""

    question_id: int
    meeting_id: int
    body_name: str
    date: dt.date


async def open_question(store: Store, *, question_id: int) -> QuestionTarget:
    """The question behind a [Ja]/[Nee] button; ReminderError when it was answered or is gone."""
    async with store.sessions() as session:
        question = await rstore.question_row(session, question_id)
        if question is None:
            raise ReminderError("Deze vraag bestaat niet meer.")
        if question.answer is not None:
            said = "doorgegaan" if question.answer == "held" else "niet doorgegaan (uitgesteld)"
            raise ReminderError(f"Dit antwoord is al genoteerd: {said}. Er is niets veranderd.")
        meeting = await session.get(Meeting, question.meeting_id)
        if meeting is None:
            raise ReminderError("Die vergadering bestaat niet meer; er is niets veranderd.")
        body = await session.get(Body, meeting.body_id)
        return QuestionTarget(
            question_id=question.id,
            meeting_id=meeting.id,
            body_name=body.name if body else meeting.body_id,
            date=meeting.date,
        )


async def record_answer(
    store: Store, *, question_id: int, answer: str, by: int | None, now: dt.datetime
) -> None:
    """Note the answer on the question (the meeting itself is updated through the core)."""
    async with store.sessions() as session:
        question = await rstore.question_row(session, question_id)
        if question is None:
            return
        question.answer = answer
        question.answered_by = by
        question.answered_at = now
        if question.status == "pending":
            question.status = "sent"
        await session.commit()
