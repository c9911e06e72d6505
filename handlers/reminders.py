"""Cadence status and reminders on Telegram: /stand, /grafiek, /herinneringen, /volg, /ontvolg,
/herinner_nu, the reminder and planned-meeting buttons, and the daily sweep job.

The logic lives in bot/services/status.py and bot/services/reminders.py; this module parses,
calls and replies. It also holds the Telegram sender the CLI's `regiebot remind` uses
(bot/interface/cli.py imports it lazily, so `regiebot --help` does not load Telegram).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import re
from typing import Any, cast
from zoneinfo import ZoneInfo

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
)

from bot.config import Settings
from bot.domain.cadence import BodyCadence, CadenceStep, per_year_in
from bot.domain.dutch_dates import format_date
from bot.domain.meeting_line import match_body, pick_body
from bot.domain.shorten import shorten
from bot.services.chart import render_chart
from bot.services.reminder_buttons import (
    button_target,
    open_question,
    record_answer,
    snooze_from_button,
)
from bot.services.reminder_rules import OutgoingMessage, catch_up_due, scheduled_decision
from bot.services.reminders import (
    ChatBlocked,
    CheckReport,
    ReminderError,
    ReminderPolicy,
    Sender,
    SendFailed,
    run_check,
)
from bot.services.status import (
    StatusInputError,
    StatusReport,
    build_status,
    chart_rows,
    chart_title,
    parse_status_date,
    render_status_html,
    short_name,
)
from handlers import meetings
from handlers.common import actor, is_admin, regie, reply
from handlers.format import MAX_ALERT, button, e, fit, keyboard
from storage import reminders as rstore
from storage.entries import EntryError
from storage.store import Store

logger = logging.getLogger(__name__)

SWEEP_JOB = "reminder-sweep"
CATCH_UP_JOB = "reminder-sweep-catch-up"
DEFERRED_JOB = "reminder-sweep-after-quiet-hours"
# python-telegram-bot counts days from Sunday (0) to Saturday (6): Monday to Friday.
WORKING_DAYS = (1, 2, 3, 4, 5)
_TAGS = re.compile(r"<[^>]+>")


def _args(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


def _plain(html_text: str) -> str:
    return html.unescape(_TAGS.sub("", html_text))


# --- status -------------------------------------------------------------------------------------


async def _status_asked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> StatusReport | None:
    """The status on the date /stand or /grafiek asks about; None after a bad argument."""
    core = regie(context)
    try:
        on = parse_status_date(_args(context), today=core.today())
    except StatusInputError as exc:
        await reply(update, e(exc))
        return None
    return await build_status(core.store, on=on, default_grace=core.settings.grace_days)


async def standing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stand [jaar|datum]: where every body with a cadence stands."""
    report = await _status_asked(update, context)
    if report is None:
        return
    await reply(update, fit(render_status_html(report)))


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grafiek [jaar]: the status as a bar chart (PNG photo)."""
    report = await _status_asked(update, context)
    if report is None:
        return
    if not report.rows:
        await reply(update, f"Geen overlegorganen met een vergaderritme in {report.on.year}.")
        return
    png = await asyncio.to_thread(render_chart, chart_rows(report), chart_title(report))
    behind = len(report.behind)
    summary = f"{behind} van {len(report.rows)} organen achter op schema."
    caption = f"<b>{e(chart_title(report))}</b>\n" + (summary if behind else "Alles op schema.")
    message = update.effective_message
    if message is not None:
        await message.reply_photo(photo=png, caption=caption, do_quote=True)


# --- settings -----------------------------------------------------------------------------------


def _name(core: Any, body_id: str) -> str:
    body = core.body(body_id)
    return e(body["name"] if body else body_id)


def _body_names(core: Any, ids: set[str]) -> str:
    names = []
    for body_id in sorted(ids):
        body = core.body(body_id)
        names.append(e(short_name(body["name"])) if body else e(body_id))
    return ", ".join(names)


def _settings_text(core: Any, chat: rstore.ChatSettings, today: dt.date) -> str:
    settings: Settings = core.settings
    state = "<b>aan</b>" if chat.enabled else "<b>uit</b>"
    lines = [
        f"🔔 Herinneringen in deze chat: {state}",
        f"Elke werkdag om {settings.reminder_time:%H:%M} ({e(settings.timezone)}), niet tussen "
        f"{settings.quiet_start:%H:%M} en {settings.quiet_end:%H:%M}; over hetzelfde orgaan "
        f"hoogstens om de {settings.remind_every_days} dagen.",
    ]
    if chat.narrowed:
        followed = _body_names(core, chat.follows)
        lines.append(f"Organen: enkel {followed}" if followed else "Organen: geen (volg er een)")
    elif chat.mutes:
        muted = _body_names(core, chat.mutes)
        lines.append(f"Organen: alle met een vergaderritme, behalve {muted}")
    else:
        lines.append("Organen: alle organen met een vergaderritme")
    snoozed = [(b, until) for b, (until, _) in sorted(chat.snoozes.items()) if until >= today]
    for body_id, until in snoozed:
        lines.append(f"Uitgesteld: {_body_names(core, {body_id})} tot en met {format_date(until)}")
    lines.append("")
    lines.append("/herinneringen aan|uit - /volg ROA - /ontvolg ROA - /volg alles")
    return "\n".join(lines)


async def reminder_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/herinneringen [aan|uit]: show or switch this chat's reminders."""
    core = regie(context)
    chat = update.effective_chat
    if chat is None:
        return
    word = _args(context).casefold()
    if word not in ("", "aan", "uit"):
        await reply(update, "Gebruik /herinneringen aan, /herinneringen uit of /herinneringen.")
        return
    who = actor(update)
    async with core.store.sessions() as session:
        if word:
            await rstore.set_enabled(
                session,
                chat_id=chat.id,
                enabled=word == "aan",
                chat_type=chat.type,
                by=who.user_id,
            )
            await session.commit()
        settings = await rstore.chat_settings(session, chat.id)
    head = ""
    if word == "aan":
        head = "✅ Herinneringen staan aan in deze chat.\n\n"
    elif word == "uit":
        head = "🔕 Herinneringen staan uit in deze chat.\n\n"
    await reply(update, head + _settings_text(core, settings, core.today()))


def _one_body(core: Any, text: str) -> tuple[str | None, str]:
    """(body id, '') for a clear name; (None, Dutch explanation) otherwise."""
    candidates = match_body(text, core.bodies)
    body_id = pick_body(candidates)
    if body_id is not None:
        return body_id, ""
    if candidates:
        names = [e(core.body(c)["name"]) for c, _ in candidates[:4] if core.body(c) is not None]
        return None, "Welk overlegorgaan bedoel je: " + " of ".join(names) + "?"
    return None, (
        f"Dat overlegorgaan ken ik niet: <i>{e(shorten(text, 100))}</i>. Er is niets veranderd. "
        "Zie /stand voor de organen met een vergaderritme."
    )


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/volg ROA: remind this chat only about the bodies it follows; /volg alles undoes it."""
    core = regie(context)
    chat = update.effective_chat
    if chat is None:
        return
    text = _args(context)
    who = actor(update)
    if not text:
        async with core.store.sessions() as session:
            settings = await rstore.chat_settings(session, chat.id)
        await reply(
            update,
            "Gebruik /volg ROA (of /volg alles).\n\n"
            + _settings_text(core, settings, core.today()),
        )
        return
    if text.casefold() in ("alles", "alle", "allemaal"):
        async with core.store.sessions() as session:
            await rstore.follow_all(session, chat_id=chat.id, by=who.user_id)
            await session.commit()
        await reply(update, "✅ Deze chat volgt weer alle organen met een vergaderritme.")
        return
    body_id, problem = _one_body(core, text)
    if body_id is None:
        await reply(update, problem)
        return
    async with core.store.sessions() as session:
        new = await rstore.follow(session, chat_id=chat.id, body_id=body_id, by=who.user_id)
        await session.commit()
        settings = await rstore.chat_settings(session, chat.id)
    name = _name(core, body_id)
    lines = [f"✅ Deze chat volgt {name}." if new else f"Deze chat volgde {name} al."]
    if not _has_cadence(core, body_id):
        lines.append("Let op: voor dit orgaan geldt geen vergaderritme, dus geen herinneringen.")
    lines.append(f"Gevolgd: {_body_names(core, settings.follows)}.")
    if not settings.enabled:
        lines.append("Herinneringen staan nog uit: /herinneringen aan.")
    await reply(update, "\n".join(lines))


def _has_cadence(core: Any, body_id: str) -> bool:
    """Whether a cadence applies to the body this year (from the core's snapshot)."""
    body = core.body(body_id) or {}
    active = body.get("active") or {}
    cadence = BodyCadence(
        id=body_id,
        name=str(body.get("name", body_id)),
        role=str(body.get("w13_role", "")),
        cadence=tuple(
            CadenceStep(from_year=c["from"], per_year=c["per_year"])
            for c in body.get("cadence") or []
        ),
        active_from=active.get("from"),
        active_until=active.get("until"),
        retired=bool(body.get("retired")),
    )
    return per_year_in(cadence, core.today().year) is not None


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ontvolg ROA: no more reminders about that body in this chat."""
    core = regie(context)
    chat = update.effective_chat
    if chat is None:
        return
    text = _args(context)
    if not text:
        await reply(update, "Gebruik /ontvolg ROA.")
        return
    body_id, problem = _one_body(core, text)
    if body_id is None:
        await reply(update, problem)
        return
    who = actor(update)
    async with core.store.sessions() as session:
        changed = await rstore.unfollow(session, chat_id=chat.id, body_id=body_id, by=who.user_id)
        await session.commit()
        settings = await rstore.chat_settings(session, chat.id)
    name = _name(core, body_id)
    if not changed:
        await reply(update, f"Deze chat volgde {name} niet; er is niets veranderd.")
        return
    lines = [f"✅ Geen herinneringen meer over {name} in deze chat."]
    if settings.narrowed and not settings.follows:
        lines.append("Deze chat volgt nu geen enkel orgaan meer (/volg alles om alles te volgen).")
    await reply(update, "\n".join(lines))


# --- sending ------------------------------------------------------------------------------------


def telegram_sender(bot: Bot) -> Sender:
    """Send an OutgoingMessage; a blocked or vanished chat becomes ChatBlocked."""

    async def send(message: OutgoingMessage) -> int:
        markup = (
            keyboard([[button(label, data) for label, data in row] for row in message.buttons])
            if message.buttons
            else None
        )
        try:
            sent = await bot.send_message(
                message.chat_id, fit(message.text), parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except Forbidden as exc:
            raise ChatBlocked(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.casefold():
                raise ChatBlocked(exc.message) from exc
            raise SendFailed(exc.message) from exc
        except TelegramError as exc:
            raise SendFailed(str(exc)) from exc
        return sent.message_id

    return send


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


async def remind_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/herinner_nu (admins): run the reminder check now, quiet hours or not."""
    if not is_admin(context):
        await reply(update, "Enkel beheerders kunnen de herinneringen nu laten versturen.")
        return
    core = regie(context)
    now = core.clock()
    report = await run_check(
        core.store,
        today=now.date(),
        now=_utc(now),
        send=telegram_sender(context.bot),
        policy=ReminderPolicy.from_settings(core.settings),
    )
    await reply(update, e(report.summary_nl()))


# --- buttons ------------------------------------------------------------------------------------


def _button_parts(update: Update) -> tuple[str, int]:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, kind, raw_id = query.data.split(":", 2)
    return kind, int(raw_id)


async def snooze_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[2 weken uitstellen] / [Dit jaar niet meer] under a reminder."""
    query = update.callback_query
    assert query is not None
    kind, row_id = _button_parts(update)
    core = regie(context)
    chat = update.effective_chat
    try:
        text = await snooze_from_button(
            core.store,
            row_id=row_id,
            chat_id=chat.id if chat else None,
            kind="snooze" if kind == "s" else "year",
            today=core.today(),
            by=actor(update).user_id,
        )
    except ReminderError as exc:
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
        return
    await query.answer(shorten(_plain(text), MAX_ALERT))
    if query.message is not None and chat is not None:
        await context.bot.send_message(chat.id, e(text))


async def log_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """[Vergadering loggen] under a reminder: the meeting conversation, body already chosen."""
    query = update.callback_query
    assert query is not None
    _, row_id = _button_parts(update)
    chat = update.effective_chat
    try:
        target = await button_target(
            regie(context).store, row_id=row_id, chat_id=chat.id if chat else None
        )
    except ReminderError as exc:
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    return await meetings.start_for_body(update, context, target.body_id)


async def answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Ja] / [Nee, uitgesteld] under "Is de vergadering ... doorgegaan?"."""
    query = update.callback_query
    assert query is not None
    kind, question_id = _button_parts(update)
    core = regie(context)
    try:
        target = await open_question(core.store, question_id=question_id)
    except ReminderError as exc:
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
        return
    status = "held" if kind == "j" else "cancelled"
    try:
        await core.update_meeting(actor(update), target.meeting_id, status=status)
    except EntryError as exc:
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
        return
    await record_answer(
        core.store,
        question_id=question_id,
        answer=status,
        by=actor(update).user_id,
        now=_utc(core.clock()),
    )
    await query.answer("Genoteerd")
    name = f"<b>{e(short_name(target.body_name))}</b> op {format_date(target.date)}"
    if status == "held":
        text = f"✅ Genoteerd: de vergadering van {name} is doorgegaan."
    else:
        text = (
            f"↪️ Genoteerd: de vergadering van {name} is niet doorgegaan (uitgesteld). "
            "Log de nieuwe datum met /vergadering."
        )
    await query.edit_message_text(text)


# --- the daily sweep ----------------------------------------------------------------------------


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily reminder sweep: reminders and planned-meeting questions, outside quiet hours."""
    core = regie(context)
    settings = core.settings
    now = core.clock().astimezone(ZoneInfo(settings.timezone))
    decision = scheduled_decision(now, settings)
    if decision == "skip":
        logger.info("reminder sweep skipped: %s is not a working day", now.date())
        return
    if isinstance(decision, dt.datetime):
        queue = context.job_queue
        if queue is not None and not queue.get_jobs_by_name(DEFERRED_JOB):
            queue.run_once(sweep_job, when=decision, name=DEFERRED_JOB)
            logger.info("reminder sweep deferred to %s (quiet hours)", decision.isoformat())
        return
    report = await run_check(
        core.store,
        today=now.date(),
        now=_utc(now),
        send=telegram_sender(context.bot),
        policy=ReminderPolicy.from_settings(settings),
    )
    logger.info(
        "reminder sweep for %s: %d behind, %d recorded, %d chat(s) reminded, %d question(s)",
        report.on,
        len(report.behind),
        report.recorded,
        report.sent,
        sum(1 for q in report.questions if q.status == "sent"),
    )


async def start_jobs(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the daily sweep (working days, local time) and catch up a missed run once.

    Each instance runs its own in-memory job (APScheduler job stores must not be shared); the
    outbox decides which instance sends what.
    """
    core = app.bot_data["regie"]
    settings: Settings = core.settings
    queue = app.job_queue
    if queue is None:
        logger.warning("no JobQueue (python-telegram-bot[job-queue]): reminders are not scheduled")
        return
    tz = ZoneInfo(settings.timezone)
    at = settings.reminder_time.replace(tzinfo=tz)
    queue.run_daily(
        sweep_job,
        at,
        days=WORKING_DAYS,
        name=SWEEP_JOB,
        job_kwargs={"misfire_grace_time": 3600, "coalesce": True},
    )
    async with core.store.sessions() as session:
        last = await rstore.last_sweep(session)
    if catch_up_due(core.clock().astimezone(tz), last, settings.reminder_time):
        queue.run_once(sweep_job, when=1, name=CATCH_UP_JOB)
        logger.info("the reminder sweep of today was missed (last: %s): running it now", last)


# --- registration -------------------------------------------------------------------------------


def _meeting_conversation(
    app: Application[Any, Any, Any, Any, Any, Any],
) -> ConversationHandler[Any] | None:
    for handler in app.handlers.get(0, []):
        if isinstance(handler, ConversationHandler) and any(
            isinstance(entry, CommandHandler) and "vergadering" in entry.commands
            for entry in handler.entry_points
        ):
            return handler
    return None


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the status and reminder handlers (after the meeting conversation)."""
    app.add_handler(CommandHandler("stand", standing))
    app.add_handler(CommandHandler("grafiek", chart))
    app.add_handler(CommandHandler("herinneringen", reminder_settings))
    app.add_handler(CommandHandler("volg", follow))
    app.add_handler(CommandHandler("ontvolg", unfollow))
    app.add_handler(CommandHandler("herinner_nu", remind_now))
    app.add_handler(CallbackQueryHandler(snooze_button, pattern=r"^rm:[sy]:\d+$"))
    app.add_handler(CallbackQueryHandler(answer_button, pattern=r"^pq:[jn]:\d+$"))
    log = CallbackQueryHandler(log_button, pattern=r"^rm:l:\d+$")
    conversation = _meeting_conversation(app)
    if conversation is not None:
        # [Vergadering loggen] must enter the meeting conversation, so the date and agenda
        # that follow are handled by it: it becomes one of the conversation's entry points.
        conversation.entry_points.append(cast(Any, log))
    else:
        app.add_handler(log)


# --- the CLI's sender ---------------------------------------------------------------------------


async def remind_from_cli(
    settings: Settings, *, today: dt.date, now: dt.datetime, dry_run: bool
) -> CheckReport:
    """`regiebot remind`: the check for `today`, sent through the Bot API (or only shown)."""
    store = await Store.open(settings.database_url, kb_dir=settings.kb_dir)
    policy = ReminderPolicy.from_settings(settings)
    try:
        if dry_run:
            return await run_check(
                store, today=today, now=_utc(now), send=None, policy=policy, dry_run=True
            )
        token = (
            settings.telegram_bot_token.get_secret_value().strip()
            if settings.telegram_bot_token
            else ""
        )
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set (--dry-run works without it)")
        base = (settings.telegram_base_url or "https://api.telegram.org").rstrip("/")
        base = base.removesuffix("/bot")
        bot = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
        try:
            async with bot:
                return await run_check(
                    store, today=today, now=_utc(now), send=telegram_sender(bot), policy=policy
                )
        except InvalidToken:
            raise ValueError("Telegram rejected TELEGRAM_BOT_TOKEN (unauthorized)") from None
        except NetworkError as exc:
            raise ValueError(f"cannot reach the Telegram Bot API: {exc}") from None
    finally:
        await store.close()
