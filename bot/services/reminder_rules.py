"""The rules of reminders, free of database access and Telegram: when the scheduled sweep runs, who
hears about which body, and the Dutch texts and buttons of the messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from bot.config import Settings
from bot.domain.dutch_dates import format_date
from bot.services.status import BodyStatus, StatusReport, short_name
from storage.reminders import ChatSettings

MAX_BODY_BUTTONS: Final = 8


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to send: HTML text and inline buttons as (label, callback_data) rows."""

    chat_id: int
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


# --- scheduling rules (pure) ----------------------------------------------------------------


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday."""
    return day.weekday() < 5


def in_quiet_hours(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether a local time falls in the quiet hours [start, end), which may span midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def quiet_hours_end(now: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime:
    """When the quiet hours that `now` falls in end (local time of now's zone)."""
    day = now.date()
    if start > end and now.time() >= start:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=now.tzinfo)


def scheduled_decision(now: dt.datetime, settings: Settings) -> str | dt.datetime:
    """For the scheduled sweep at local time `now`: "run", "skip", or when to run instead."""
    if not is_working_day(now.date()):
        return "skip"
    if in_quiet_hours(now.time(), settings.quiet_start, settings.quiet_end):
        later = quiet_hours_end(now, settings.quiet_start, settings.quiet_end)
        return later if is_working_day(later.date()) else "skip"
    return "run"


def catch_up_due(now: dt.datetime, last: dt.date | None, reminder_time: dt.time) -> bool:
    """At start-up: was today's run missed (a working day, past its time, not run yet)?"""
    today = now.date()
    if not is_working_day(today) or now.time() < reminder_time:
        return False
    return last is None or last < today


# --- who gets what (pure) -------------------------------------------------------------------


def why_not(
    settings: ChatSettings, body_id: str, row: BodyStatus | None, today: dt.date
) -> str | None:
    """Why a chat should not (or no longer) hear about a body today; None: it should."""
    if not settings.enabled:
        return "herinneringen staan uit"
    if row is None:
        return "orgaan zonder vergaderritme of verwijderd"
    if not row.behind:
        return "niet meer achter op schema"
    if not settings.wants(body_id):
        return "orgaan niet gevolgd"
    if settings.snoozed(body_id, today):
        return "uitgesteld"
    return None


def plan_reminders(
    chats: Sequence[ChatSettings],
    status: StatusReport,
    recent: set[tuple[int, str]],
) -> list[dict[str, Any]]:
    """The outbox rows a check records: chat x behind body, minus the ones to leave alone."""
    rows: list[dict[str, Any]] = []
    for chat in chats:
        for body in status.behind:
            if (chat.chat_id, body.id) in recent:
                continue
            if why_not(chat, body.id, body, status.on) is not None:
                continue
            rows.append(
                {
                    "chat_id": chat.chat_id,
                    "body_id": body.id,
                    "period": status.on.isoformat(),
                    "run_date": status.on,
                    "held": body.held,
                    "expected": body.expected,
                    "target": body.target,
                }
            )
    return rows


# --- messages -------------------------------------------------------------------------------


def _h(value: object) -> str:
    return escape(str(value), quote=False)


def reminder_message(
    chat_id: int, items: Sequence[tuple[int, BodyStatus]], on: dt.date
) -> OutgoingMessage:
    """One message listing the behind bodies, with buttons per body (outbox row id inside)."""
    lines = [
        "⏰ <b>Vergaderritme: achter op schema</b>",
        f"<i>stand op {format_date(on)}</i>",
        "",
    ]
    for _, row in items:
        last = format_date(row.last_meeting) if row.last_meeting else "nog geen"
        lines.append(
            f"• <b>{_h(row.name)}</b>: {row.held} gehouden, {row.expected} verwacht tegen nu, "
            f"doel {row.target} per jaar"
        )
        lines.append(f"   laatste vergadering: {last}")
    lines.append("")
    lines.append("Log een vergadering, of stel de herinnering uit met de knoppen.")
    single = len(items) == 1
    buttons: list[tuple[tuple[str, str], ...]] = []
    for row_id, row in items[:MAX_BODY_BUTTONS]:
        suffix = "" if single else f" – {short_name(row.name)}"
        buttons.append(((f"Vergadering loggen{suffix}", f"rm:l:{row_id}"),))
        buttons.append(
            (("2 weken uitstellen", f"rm:s:{row_id}"), ("Dit jaar niet meer", f"rm:y:{row_id}"))
        )
    if len(items) > MAX_BODY_BUTTONS:
        lines.append(f"<i>(knoppen voor de eerste {MAX_BODY_BUTTONS} organen)</i>")
    return OutgoingMessage(chat_id=chat_id, text="\n".join(lines), buttons=tuple(buttons))


def question_message(
    question_id: int, chat_id: int, body_name: str, day: dt.date
) -> OutgoingMessage:
    """ "Is de vergadering van ROA op 12/12 doorgegaan?" with [Ja] [Nee, uitgesteld]."""
    text = (
        f"📅 Is de vergadering van <b>{_h(short_name(body_name))}</b> op "
        f"{day.day:02d}/{day.month:02d} doorgegaan?"
    )
    buttons = ((("Ja", f"pq:j:{question_id}"), ("Nee, uitgesteld", f"pq:n:{question_id}")),)
    return OutgoingMessage(chat_id=chat_id, text=text, buttons=buttons)
