"""Handlers for help, questions, signals, details pages, undo and members."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.core import Regie
from handlers.common import actor, is_admin, regie, reply, typing
from handlers.format import (
    SIGNAL_STATUS_NL,
    button,
    e,
    iso_to_nl,
    keyboard,
    search_answer,
    signal_saved,
)
from storage.entries import EntryError

HELP = """<b>regiebot</b> - assistent van de regie sociale economie en werk (W13)

<b>Vergadering loggen</b>
/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse
/vergadering actiegroep rose gisteren over individueel maatwerk en mobiliteit
/vergadering - zonder meer: ik vraag stap voor stap (stoppen met /annuleer)
Een datum in de toekomst wordt een geplande vergadering.

<b>Signaal noteren</b>
/signaal instroom doelgroepmedewerkers ligt lager
/signalen - de lijst (/signalen open, /signalen mobiliteit)

<b>Vragen</b>
/zoek mobiliteit, of gewoon: wat loopt er rond mobiliteit?
/actie 2.3.2 - /orgaan ROA - /partner VDAB

<b>Corrigeren</b>
/ongedaan - je laatste invoer wissen
/wijzig datum 12/03/2026 - /wijzig onderwerpen a, b - /wijzig notities ...
/wijzig status doorgegeven (voor een signaal)

<b>Beheer</b> (beheerders)
/lid 123456789 Naam - /lid weg 123456789
"""

COMMANDS = [
    ("vergadering", "Vergadering loggen"),
    ("signaal", "Signaal noteren"),
    ("signalen", "Signalen bekijken"),
    ("zoek", "Zoeken in acties, partners, overlegorganen"),
    ("actie", "Details van een actie, bv. /actie 2.3.2"),
    ("orgaan", "Details van een overlegorgaan, bv. /orgaan ROA"),
    ("partner", "Details van een partner, bv. /partner VDAB"),
    ("ongedaan", "Je laatste invoer ongedaan maken"),
    ("wijzig", "Je laatste invoer wijzigen"),
    ("help", "Hulp en voorbeelden"),
]


def _args_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or [])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and show what the bot can do."""
    name = update.effective_user.first_name if update.effective_user else ""
    await reply(update, f"Dag {e(name)}! 👋\n\n{HELP}")


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the commands with examples."""
    await reply(update, HELP)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /zoek or any plain text with the grouped search result."""
    message = update.effective_message
    if message is None:
        return
    text = (
        _args_text(context)
        if message.text and message.text.startswith("/")
        else (message.text or "")
    )
    text = text.replace(f"@{context.bot.username}", " ").strip()
    if not text:
        await reply(update, "Waarover wil je iets weten? Bv. <i>/zoek mobiliteit</i>.")
        return
    await typing(update, context)
    answer = regie(context).ask(text)
    await reply(update, search_answer(answer))


async def signal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a signal: /signaal <tekst>."""
    core = regie(context)
    try:
        stored = await core.record_signal(_args_text(context), actor(update))
    except EntryError as exc:
        await reply(update, e(exc))
        return
    names = [
        t["name"] for t in core.snapshot.get("themes", []) if t["id"] in stored.record["themes"]
    ]
    await reply(
        update,
        signal_saved(stored.record, names, created=stored.created),
        reply_markup=_signal_keyboard(stored.id),
    )


def _signal_keyboard(signal_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                button("Doorgegeven", f"ss:{signal_id}:doorgegeven"),
                button("Beantwoord", f"ss:{signal_id}:beantwoord"),
                button("Afgesloten", f"ss:{signal_id}:afgesloten"),
            ],
            [button("Ongedaan maken", f"u:s:{signal_id}")],
        ]
    )


async def signal_status_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set a signal's status from its buttons."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_id, status = query.data.split(":", 2)
    try:
        stored = await regie(context).update_signal(actor(update), int(raw_id), status=status)
    except EntryError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    await query.answer(f"Status: {SIGNAL_STATUS_NL.get(status, status)}")
    core = regie(context)
    names = [
        t["name"] for t in core.snapshot.get("themes", []) if t["id"] in stored.record["themes"]
    ]
    await query.edit_message_text(
        signal_saved(stored.record, names, created=True), reply_markup=_signal_keyboard(stored.id)
    )


async def signals_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List signals: /signalen [open|<thema>]."""
    core = regie(context)
    want = _args_text(context).strip().casefold()
    signals = await core.signals()
    if want == "open":
        signals = [s for s in signals if s["status"] != "afgesloten"]
    elif want:
        theme_ids = set(core.detect_themes(want)) or {want}
        signals = [s for s in signals if theme_ids & set(s["themes"])]
    if not signals:
        await reply(update, "Geen signalen gevonden.")
        return
    lines = [f"<b>Signalen</b> ({len(signals)})"]
    for s in signals[:20]:
        lines.append(
            f"• {e(iso_to_nl(s['date']))} [{e(s['status'])}] {e(s['text'][:120])}"
            f" <i>nr. {s['id']}</i>"
        )
    await reply(update, "\n".join(lines))


async def undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Undo one's own last meeting or signal (/ongedaan)."""
    try:
        before = await regie(context).undo(actor(update), admin=is_admin(context))
    except EntryError as exc:
        await reply(update, e(exc))
        return
    await reply(update, _undone_text(before))


def _undone_text(before: dict[str, Any]) -> str:
    what = "Vergadering" if before["entity"] == "meeting" else "Signaal"
    return f"↩️ {what} nr. {e(before['id'])} is ongedaan gemaakt."


async def undo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The [Ongedaan maken] button under a confirmation."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, kind, raw_id = query.data.split(":", 2)
    entity = "meeting" if kind == "m" else "signal"
    try:
        before = await regie(context).undo(
            actor(update), entity=entity, entry_id=int(raw_id), admin=is_admin(context)
        )
    except EntryError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    await query.answer("Ongedaan gemaakt")
    await query.edit_message_text(_undone_text(before))


async def details(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Details pages: /actie 2.3.2, /orgaan ROA, /partner VDAB."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0].casefold()
    kind = {"actie": "actions", "orgaan": "bodies", "partner": "partners"}[command]
    query = _args_text(context).strip()
    if not query:
        await reply(update, f"Welke? Bv. /{command} {'2.3.2' if kind == 'actions' else 'ROA'}")
        return
    core = regie(context)
    record = _find_record(core.snapshot, kind, query)
    if record is None:
        hits = core.ask(query).hits(kind)
        record = core.record(kind, str(hits[0].id)) if hits else None
    if record is None:
        await reply(update, f"Niets gevonden voor <i>{e(query[:100])}</i>.")
        return
    meetings = await core.recent_meetings(record["id"]) if kind == "bodies" else []
    await reply(update, _details_text(core, kind, record, meetings))


def _find_record(snapshot: dict[str, Any], kind: str, query: str) -> dict[str, Any] | None:
    folded = query.casefold()
    records = snapshot.get(kind) or []
    assert isinstance(records, list)
    for rec in records:
        keys = [rec["id"], rec.get("code"), rec.get("name"), *(rec.get("aliases") or [])]
        if any(isinstance(k, str) and k.casefold() == folded for k in keys):
            return dict(rec)
    if kind == "actions":  # "2.3.2" names the current plan's action first
        for plan in ("wse-2023", "rose-2020", "w13-2020"):
            for rec in records:
                if rec["id"] == f"{plan}/{query}":
                    return dict(rec)
    return None


def _names(core: Regie, kind: str, ids: list[str]) -> str:
    out = []
    for rid in ids:
        rec = core.record(kind, rid)
        out.append(e(rec.get("name") or rec.get("title")) if rec else e(rid))
    return ", ".join(out) or "-"


def _details_text(
    core: Regie, kind: str, rec: dict[str, Any], meetings: list[dict[str, Any]]
) -> str:
    lines: list[str] = []
    if kind == "actions":
        lines.append(f"<b>Actie {e(rec['code'])}: {e(rec['title'])}</b> <i>({e(rec['plan'])})</i>")
        if rec.get("trekker"):
            lines.append(f"Trekker: {e(rec['trekker'])}")
        lines.append(f"Partners: {_names(core, 'partners', rec.get('partners') or [])}")
        lines.append(f"Overlegorganen: {_names(core, 'bodies', rec.get('bodies') or [])}")
        lines.append(f"Thema's: {_names(core, 'themes', rec.get('themes') or [])}")
        if rec.get("timing"):
            lines.append(f"Timing: {e(rec['timing'])}")
        lines.append("")
        lines.append(e(str(rec.get("description") or "")[:2500]))
    elif kind == "bodies":
        lines.append(f"<b>{e(rec['name'])}</b>")
        if rec.get("aliases"):
            lines.append(f"<i>ook: {', '.join(e(a) for a in rec['aliases'])}</i>")
        lines.append(f"Rol W13: {e(rec.get('role_text') or rec.get('w13_role'))}")
        cadence = rec.get("cadence") or []
        for c in cadence:
            lines.append(
                f"Ritme vanaf {c['from']}: {c['per_year']} keer per jaar ({e(c['source'])})"
            )
        lines.append(f"Partners: {_names(core, 'partners', rec.get('partners') or [])}")
        if meetings:
            lines.append("Laatste vergaderingen:")
            for m in meetings:
                lines.append(f"• {e(iso_to_nl(m['date']))}: {e('; '.join(m['topics']) or '-')}")
        lines.append("")
        lines.append(e(str(rec.get("description") or "")[:2000]))
    else:
        lines.append(f"<b>{e(rec['name'])}</b> <i>({e(rec.get('kind'))})</i>")
        if rec.get("aliases"):
            lines.append(f"<i>ook: {', '.join(e(a) for a in rec['aliases'])}</i>")
        lines.append(e(rec.get("description") or ""))
        if rec.get("note"):
            lines.append(f"Noot: {e(rec['note'])}")
        acts = [a for a in core.snapshot.get("actions", []) if rec["id"] in a["partners"]]
        if acts:
            lines.append("Acties:")
            for a in acts[:12]:
                lines.append(f"• {e(a['code'])} {e(a['title'][:90])} <i>({e(a['plan'])})</i>")
    return "\n".join(lines)


async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: /lid <id> [naam] allows a member, /lid weg <id> removes one."""
    if not is_admin(context):
        await reply(update, "Enkel beheerders kunnen leden toevoegen of verwijderen.")
        return
    args = list(context.args or [])
    remove = bool(args) and args[0].casefold() in ("weg", "verwijder")
    if remove:
        args = args[1:]
    if not args or not args[0].lstrip("-").isdigit():
        await reply(update, "Gebruik: /lid 123456789 Naam  of  /lid weg 123456789")
        return
    user_id, name = int(args[0]), " ".join(args[1:]).strip() or None
    core = regie(context)
    if remove:
        done = await core.remove_member(actor(update), user_id)
    else:
        done = await core.set_member(actor(update), user_id, name)
    if remove:
        text = f"Lid {user_id} verwijderd." if done else f"{user_id} was geen lid."
        if user_id in core.settings.allowed_users or user_id in core.settings.admins:
            text += " (Staat nog in de configuratie: pas REGIEBOT_ALLOWED_USERS aan.)"
    else:
        text = f"Lid {user_id} toegevoegd." if done else f"Lid {user_id} bijgewerkt."
    await reply(update, e(text))
