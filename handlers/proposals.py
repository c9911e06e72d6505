"""Plain messages that report a meeting or a signal: propose, store only on [Opslaan]."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.dutch_dates import format_date, format_date_long
from bot.domain.meeting_line import MAX_CANDIDATES
from handlers import browse
from handlers.common import actor, is_admin, regie, reply
from handlers.format import STATUS_NL, button, e, keyboard, meeting_saved
from handlers.meetings import confirm_keyboard
from handlers.signals import saved_text, signal_keyboard
from storage.entries import EntryError
from storage.proposals import ProposalRecord

PATTERN = r"^pp:\d+:(?:s|a|n|b:[a-z0-9-]+)$"


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message: propose the meeting or signal it reports, or answer it as a search."""
    message = update.effective_message
    if message is None or not message.text:
        return
    core = regie(context)
    typed = message.text.replace(f"@{context.bot.username}", " ").strip()
    reading = core.read_plain(typed)
    if reading is None:
        await browse.search(update, context)
        return
    try:
        made = await core.propose(actor(update), reading, typed)
    except EntryError as exc:
        await reply(update, e(exc))
        return
    text, markup = proposal_view(context, made)
    await reply(update, text, reply_markup=markup)


def proposal_view(
    context: ContextTypes.DEFAULT_TYPE, made: ProposalRecord
) -> tuple[str, InlineKeyboardMarkup]:
    """What would be stored, with [Opslaan] [Aanpassen] [Nee, zoeken] (or body choices)."""
    core = regie(context)
    data = made.payload
    ref = f"pp:{made.id}"
    no = button("Nee, zoeken", f"{ref}:n")
    if made.kind == "signal":
        themes = [
            t["name"] for t in core.snapshot.get("themes", []) if t["id"] in data.get("themes", [])
        ]
        text = (
            "📣 Zal ik dit signaal opslaan?\n"
            f"<i>{e(data.get('text', ''))}</i>\n"
            f"Thema's: {e(', '.join(themes) or 'geen herkend')}"
        )
        rows = [[button("Opslaan", f"{ref}:s"), button("Aanpassen", f"{ref}:a"), no]]
        return text, keyboard(rows)
    day = dt.date.fromisoformat(data["date"])
    status = "planned" if day > core.today() else "held"
    when = format_date_long(day) + (f" om {data['time']}" if data.get("time") else "")
    lines = ["📅 Zal ik deze vergadering opslaan?"]
    body = core.body(data["body_id"]) if data.get("body_id") else None
    if body is not None:
        lines.append(f"<b>{e(body['name'])}</b>")
    lines.append(f"{e(when)} ({e(STATUS_NL.get(status, status))})")
    if data.get("topics"):
        lines.append("Agenda: " + "; ".join(e(t) for t in data["topics"]))
    if body is not None:
        rows = [[button("Opslaan", f"{ref}:s"), button("Aanpassen", f"{ref}:a"), no]]
        return "\n".join(lines), keyboard(rows)
    lines.append("Welk overlegorgaan was het?")
    rows = []
    for body_id in data.get("candidates", [])[:MAX_CANDIDATES]:
        found = core.body(body_id)
        if found is not None:
            rows.append([button(found["name"], f"{ref}:b:{body_id}", limit=40)])
    rows.append([button("Aanpassen", f"{ref}:a"), no])
    return "\n".join(lines), keyboard(rows)


def _as_command(context: ContextTypes.DEFAULT_TYPE, made: ProposalRecord) -> str:
    """The command that stores the same, to copy, change and send."""
    data = made.payload
    if made.kind == "signal":
        return f"/signaal {data.get('text', '')}"
    core = regie(context)
    body = core.body(data["body_id"]) if data.get("body_id") else None
    parts = ["/vergadering", body["name"] if body else "ORGAAN"]
    parts.append(format_date(dt.date.fromisoformat(data["date"])))
    if data.get("time"):
        parts.append(str(data["time"]).replace(":", "u", 1))
    if data.get("topics"):
        parts.append(", ".join(data["topics"]))
    return " ".join(parts)


async def proposal_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Opslaan], a body, [Aanpassen] or [Nee, zoeken] under a proposal."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    core = regie(context)
    _, number, choice = query.data.split(":", 2)
    proposal_id = int(number)
    who = actor(update)
    if choice == "a":
        made = await core.proposal(proposal_id)
        if made is None or made.chat_id != who.chat_id:
            await query.answer("Dit voorstel bestaat niet (meer).", show_alert=True)
            return
        await query.answer()
        await reply(
            update,
            "Kopieer dit (tik erop), pas het aan en stuur het:\n"
            f"<code>{e(_as_command(context, made))}</code>",
        )
        return
    if choice == "n":
        try:
            made = await core.decline_proposal(who, proposal_id)
        except EntryError as exc:
            await query.answer(str(exc)[:200], show_alert=True)
            return
        await query.answer()
        await _settle(query, "Niet opgeslagen.")
        answer = await core.ask(made.text)
        body, markup = browse.search_page(context, answer, page=0)
        await reply(update, body, reply_markup=markup)
        return
    body_id = choice[2:] if choice.startswith("b:") else None
    try:
        stored = await core.accept_proposal(
            who, proposal_id, body_id=body_id, admin=is_admin(context)
        )
    except EntryError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    await query.answer("Opgeslagen." if stored.created else "Was al opgeslagen.")
    if stored.entity == "meeting":
        found = core.body(stored.record["body"])
        name = found["name"] if found else stored.record["body"]
        text = meeting_saved(stored.record, name, created=stored.created)
        await _settle(query, text, confirm_keyboard(stored.id))
    else:
        text = saved_text(core, stored.record, created=stored.created)
        await _settle(query, text, signal_keyboard(stored.id, stored.record["status"]))


async def _settle(query: object, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the proposal by its outcome, so its buttons cannot be pressed again."""
    try:
        await query.edit_message_text(text, reply_markup=markup)  # type: ignore[attr-defined]
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
