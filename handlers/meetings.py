"""/vergadering: one line saved at once, or a guided conversation for what is missing; /wijzig."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.dutch_dates import format_date, parse_dutch_date
from bot.domain.meeting_line import MAX_CANDIDATES, split_topics
from bot.services.core import Actor
from handlers.browse import meeting_text
from handlers.common import actor, is_admin, regie, reply
from handlers.format import button, e, keyboard, meeting_saved
from storage import entries
from storage.entries import EntryError

BODY, DATE, TOPICS, FOLLOW = range(4)
DRAFT = "meeting_draft"
TIMEOUT_SECONDS = 15 * 60
STATUS_WORDS = {
    "gehouden": "held",
    "gepland": "planned",
    "geannuleerd": "cancelled",
    "afgelast": "cancelled",
    "doorgegaan": "held",
}


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {})
    return draft


def confirm_keyboard(meeting_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                button("Ongedaan maken", f"u:m:{meeting_id}"),
                button("Wijzigen", f"w:m:{meeting_id}"),
            ],
            [button("Aanwezigen", f"ma:{meeting_id}"), button("Notities", f"mn:{meeting_id}")],
        ]
    )


def _body_keyboard(context: ContextTypes.DEFAULT_TYPE, ids: list[str]) -> InlineKeyboardMarkup:
    core = regie(context)
    rows = []
    for body_id in ids[:MAX_CANDIDATES]:
        body = core.body(body_id)
        rows.append([button(body["name"] if body else body_id, f"mb:{body_id}")])
    rows.append([button("Andere …", "mb:*")])
    return keyboard(rows)


def _organised_bodies(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    core = regie(context)
    year = core.today().year
    return [
        b["id"]
        for b in core.snapshot.get("bodies", [])
        if b.get("role") == "organiser"
        and not b.get("retired")
        and (b.get("active", {}).get("until") or year) >= year
    ]


async def start_meeting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Log a meeting from one line, or ask for what is missing."""
    core = regie(context)
    text = " ".join(context.args or [])
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    draft.clear()
    draft["source_message_id"] = message.message_id
    if not text.strip():
        draft["guided"] = True
        await reply(
            update,
            "Welk overlegorgaan kwam samen? Kies of typ de naam (stoppen met /annuleer).",
            reply_markup=_body_keyboard(context, _organised_bodies(context)),
        )
        return BODY
    parsed = core.parse_meeting(text)
    if parsed.time_error:
        draft.clear()
        await reply(update, e(parsed.time_error) + " Typ bv. 14u, 14u30 of 14:00.")
        return ConversationHandler.END
    draft["topics"] = parsed.topics
    draft["date"] = parsed.date.isoformat() if parsed.date and not parsed.date_error else None
    draft["body_id"] = parsed.body_id
    draft["time"] = parsed.time.strftime("%H:%M") if parsed.time else None
    if parsed.date_error:
        await reply(
            update, e(parsed.date_error) + " Welke datum bedoel je?", reply_markup=_date_keyboard()
        )
        if parsed.body_id is None:
            draft["ask_body_after_date"] = [c for c, _ in parsed.body_candidates]
        return DATE
    if parsed.body_id is None:
        candidates = [c for c, _ in parsed.body_candidates]
        question = e(parsed.problems[0])
        await reply(
            update,
            question,
            reply_markup=_body_keyboard(context, candidates or _organised_bodies(context)),
        )
        return BODY
    if parsed.date is None:
        await reply(update, "Op welke datum?", reply_markup=_date_keyboard())
        return DATE
    return await _save(update, context)


def _date_keyboard() -> InlineKeyboardMarkup:
    return keyboard(
        [[button("Vandaag", "md:0"), button("Gisteren", "md:1"), button("Andere datum", "md:*")]]
    )


async def body_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A body button was pressed."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    body_id = query.data.split(":", 1)[1]
    if body_id == "*" or regie(context).body(body_id) is None:
        await query.edit_message_text("Typ de naam van het overlegorgaan.")
        return BODY
    _draft(context)["body_id"] = body_id
    await _settle(query, regie(context).body(body_id)["name"])  # type: ignore[index]
    return await _after_body(update, context)


async def _settle(query: Any, choice: str) -> None:
    """Replace a question's buttons by the answer chosen, so they cannot be pressed again."""
    question = query.message.text if query.message and query.message.text else ""
    await query.edit_message_text(f"{e(question)}\n→ <b>{e(choice)}</b>")


async def body_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The body's name was typed."""
    text = (update.effective_message.text if update.effective_message else "") or ""
    core = regie(context)
    day = _draft(context).get("date")
    answer = core.read_body_answer(text, year=int(day[:4]) if day else core.today().year)
    if answer.body_id is None:
        ids = [c for c, _ in answer.candidates]
        await reply(
            update,
            e(answer.question or "Welk overlegorgaan bedoel je?"),
            reply_markup=_body_keyboard(context, ids or _organised_bodies(context)),
        )
        return BODY
    _draft(context)["body_id"] = answer.body_id
    return await _after_body(update, context)


async def _after_body(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if _draft(context).get("date") is None:
        await reply(update, "Op welke datum?", reply_markup=_date_keyboard())
        return DATE
    return await _after_date(update, context)


async def date_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A date button was pressed."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    choice = query.data.split(":", 1)[1]
    if choice == "*":
        await query.edit_message_text("Typ de datum, bv. 15/03/2026, gisteren of vorige dinsdag.")
        return DATE
    day = regie(context).today() - dt.timedelta(days=int(choice))
    _draft(context)["date"] = day.isoformat()
    await _settle(query, format_date(day))
    return await _after_date(update, context)


async def date_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The date was typed."""
    text = (update.effective_message.text if update.effective_message else "") or ""
    parsed = parse_dutch_date(text, today=regie(context).today())
    if parsed.date is None or parsed.error:
        await reply(
            update,
            e(parsed.error or "Die datum begrijp ik niet.")
            + " Probeer bv. 15/03/2026, gisteren of vorige dinsdag.",
            reply_markup=_date_keyboard(),
        )
        return DATE
    _draft(context)["date"] = parsed.date.isoformat()
    return await _after_date(update, context)


async def _after_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = _draft(context)
    if draft.get("body_id") is None:
        ids = draft.pop("ask_body_after_date", None) or _organised_bodies(context)
        await reply(update, "Welk overlegorgaan?", reply_markup=_body_keyboard(context, ids))
        return BODY
    if draft.get("guided") and not draft.get("topics"):
        await reply(
            update,
            "Wat stond er op de agenda? (onderwerpen gescheiden door komma's, of <i>geen</i>)",
        )
        return TOPICS
    return await _save(update, context)


async def topics_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The agenda topics were typed."""
    text = (update.effective_message.text if update.effective_message else "") or ""
    _draft(context)["topics"] = (
        [] if text.strip().casefold() in ("geen", "-") else (split_topics(text))
    )
    return await _save(update, context)


async def _save(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    core = regie(context)
    draft = _draft(context)
    who = actor(update)
    source = Actor(
        user_id=who.user_id,
        chat_id=who.chat_id,
        message_id=draft.get("source_message_id"),
        update_id=who.update_id,
    )
    try:
        stored = await core.save_meeting(
            source,
            body_id=draft["body_id"],
            date=dt.date.fromisoformat(draft["date"]),
            topics=list(draft.get("topics") or []),
            start_time=dt.time.fromisoformat(draft["time"]) if draft.get("time") else None,
        )
    except EntryError as exc:
        await reply(update, e(exc))
        return ConversationHandler.END
    finally:
        draft.clear()
    body = core.body(stored.record["body"])
    text = meeting_saved(
        stored.record, body["name"] if body else stored.record["body"], created=stored.created
    )
    await reply(update, text, reply_markup=confirm_keyboard(stored.id))
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Stop the conversation without saving."""
    _draft(context).clear()
    await reply(update, "Geannuleerd; er is niets opgeslagen.")
    return ConversationHandler.END


async def expired_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of a conversation that already ended."""
    query = update.callback_query
    assert query is not None
    await query.answer("Deze vraag is verlopen. Begin opnieuw met /vergadering.", show_alert=True)


async def edit_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The [Wijzigen] button: explain /wijzig."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id,
            "Wijzig je laatste invoer met bv.\n/wijzig datum 12/03/2026\n"
            "/wijzig onderwerpen capacity building, doelgroepanalyse\n"
            "/wijzig notities ...\n/wijzig status gepland|gehouden|geannuleerd\n"
            "/wijzig orgaan ROA",
        )


async def edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edit one's last entry: /wijzig datum|onderwerpen|notities|status|orgaan <waarde>."""
    core = regie(context)
    args = list(context.args or [])
    if len(args) < 2:
        await reply(update, "Gebruik bv. /wijzig datum 12/03/2026 of /wijzig status gehouden.")
        return
    what, value = args[0].casefold(), " ".join(args[1:]).strip()
    who = actor(update)
    async with core.store.sessions() as session:
        last = await entries.last_entry(
            session, user_id=None if is_admin(context) else who.user_id
        )
    if last is None:
        await reply(update, "Je hebt nog niets gelogd om te wijzigen.")
        return
    entity, entry_id = last
    try:
        changes = _edit_changes(context, entity, what, value)
        if entity == "meeting":
            stored = await core.update_meeting(who, entry_id, **changes)
            body = core.body(stored.record["body"])
            await reply(
                update,
                meeting_saved(stored.record, body["name"] if body else "", created=True).replace(
                    "opgeslagen", "gewijzigd"
                ),
            )
        else:
            stored = await core.update_signal(who, entry_id, **changes)
            await reply(update, f"✏️ Signaal nr. {stored.id} gewijzigd.")
    except EntryError as exc:
        await reply(update, e(exc))


def _edit_changes(
    context: ContextTypes.DEFAULT_TYPE, entity: str, what: str, value: str
) -> dict[str, Any]:
    core = regie(context)
    if what == "datum":
        parsed = parse_dutch_date(value, today=core.today())
        if parsed.date is None or parsed.error:
            raise EntryError(parsed.error or f"Die datum begrijp ik niet: {value}")
        if entity == "meeting":
            status = "planned" if parsed.date > core.today() else "held"
            return {"date": parsed.date, "status": status}
        return {"date": parsed.date}
    if entity == "meeting":
        if what in ("onderwerpen", "agenda"):
            return {"topics": split_topics(value)}
        if what in ("notities", "notitie", "notes"):
            return {"notes": value}
        if what == "status":
            new_status = STATUS_WORDS.get(value.casefold())
            if new_status is None:
                raise EntryError("Status is gehouden, gepland of geannuleerd.")
            return {"status": new_status}
        if what == "orgaan":
            answer = core.read_body_answer(value, year=core.today().year)
            if answer.body_id is None:
                raise EntryError(answer.question or f"Welk overlegorgaan bedoel je met '{value}'?")
            return {"body_id": answer.body_id}
    else:
        if what == "status":
            return {"status": value.casefold()}
        if what in ("bestemmeling", "aan"):
            return {"addressee": value}
        if what == "tekst":
            return {"text": value}
    raise EntryError(f"'{what}' kan ik niet wijzigen; zie /help.")


async def follow_up(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """[Aanwezigen] or [Notities] under a saved meeting: ask for them."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    what, raw_id = query.data.split(":", 1)
    core = regie(context)
    meeting_id = int(raw_id)
    try:
        await core.check_may_change(actor(update), "meeting", meeting_id, admin=is_admin(context))
    except EntryError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return ConversationHandler.END
    record = await core.meeting(meeting_id)
    if record is None:
        await query.answer("Die vergadering bestaat niet (meer).", show_alert=True)
        return ConversationHandler.END
    await query.answer()
    draft = _draft(context)
    draft.clear()
    draft.update(follow="attendees" if what == "ma" else "notes", meeting_id=meeting_id)
    body = core.body(record["body"])
    day = format_date(dt.date.fromisoformat(record["date"]))
    label = f"{body['name'] if body else record['body']} van {day}"
    if what == "ma":
        question = (
            f"Welke partners waren aanwezig op <b>{e(label)}</b>? Typ de namen, gescheiden door "
            "komma's (bv. VDAB, STAM, Leiedal). Stoppen met /annuleer."
        )
    else:
        question = f"Typ de notities bij <b>{e(label)}</b>. Stoppen met /annuleer."
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, question)
    return FOLLOW


async def follow_up_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The attendees or notes asked for by follow_up were typed."""
    text = (update.effective_message.text if update.effective_message else "") or ""
    core = regie(context)
    draft = _draft(context)
    meeting_id, what = draft.get("meeting_id"), draft.get("follow")
    if not isinstance(meeting_id, int):
        return ConversationHandler.END
    record = await core.meeting(meeting_id)
    if record is None:
        draft.clear()
        await reply(update, "Die vergadering bestaat niet (meer).")
        return ConversationHandler.END
    note = ""
    if what == "attendees":
        found, unknown = core.match_partners(text)
        if not found:
            await reply(
                update,
                f"Ik herken geen partner in <i>{e(text[:200])}</i>. Typ bv. VDAB, STAM, "
                "Leiedal, of /annuleer.",
            )
            return FOLLOW
        changes: dict[str, Any] = {
            "attendees": list(dict.fromkeys([*record["attendees"], *found]))
        }
        if unknown:
            note = "\nNiet herkend (niet opgeslagen): " + ", ".join(e(u) for u in unknown[:10])
    else:
        if not text.strip():
            await reply(update, "Typ de notities, of /annuleer.")
            return FOLLOW
        changes = {"notes": text}
    try:
        stored = await core.update_meeting(actor(update), meeting_id, **changes)
    except EntryError as exc:
        await reply(update, e(exc))
        return ConversationHandler.END
    finally:
        draft.clear()
    await reply(update, "✏️ Bijgewerkt:\n" + meeting_text(core, stored.record) + note)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Any]:
    """The /vergadering conversation (one line, or step by step)."""
    cancel_handler = CommandHandler(["annuleer", "cancel", "stop"], cancel)
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: intended, so no warning.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return _conversation(cancel_handler, text)


def _conversation(cancel_handler: CommandHandler[Any, Any], text: Any) -> ConversationHandler[Any]:
    return ConversationHandler(
        entry_points=[
            CommandHandler("vergadering", start_meeting),
            CallbackQueryHandler(follow_up, pattern=r"^m[an]:\d+$"),
        ],
        states={
            BODY: [
                CallbackQueryHandler(body_chosen, pattern=r"^mb:"),
                MessageHandler(text, body_typed),
            ],
            DATE: [
                CallbackQueryHandler(date_chosen, pattern=r"^md:"),
                MessageHandler(text, date_typed),
            ],
            TOPICS: [MessageHandler(text, topics_typed)],
            FOLLOW: [MessageHandler(text, follow_up_typed)],
        },
        fallbacks=[cancel_handler, CommandHandler("vergadering", start_meeting)],
        conversation_timeout=TIMEOUT_SECONDS,
        allow_reentry=True,
    )


async def start_for_body(update: Update, context: ContextTypes.DEFAULT_TYPE, body_id: str) -> int:
    """Start the guided conversation with the body already chosen (a reminder's button)."""
    draft = _draft(context)
    draft.clear()
    # No source message: the button's message may list several bodies, so it cannot be the
    # one Telegram message that stores this meeting.
    draft.update(guided=True, body_id=body_id)
    body = regie(context).body(body_id)
    name = body["name"] if body else body_id
    await reply(
        update,
        f"Vergadering van <b>{e(name)}</b> loggen. Op welke datum? (stoppen met /annuleer)",
        reply_markup=_date_keyboard(),
    )
    return DATE
