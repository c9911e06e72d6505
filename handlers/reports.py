"""Handlers for the jaarverslag, the export, one's own data, erasure and the change history."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.domain.dutch_words import capitalised, counted
from bot.services.report import ReportError, check_year, clean, make_report
from handlers.common import actor, is_admin, regie, reply, typing
from handlers.format import STATUS_NL, e, fit, iso_to_nl
from storage import inbox, rights
from storage.transfer import export_store, export_zip

MAX_CAPTION = 1024
FORMAT_WORDS = {"docx": "docx", "word": "docx", "md": "md", "markdown": "md"}
ENTITY_WORDS = {
    "vergadering": "meeting",
    "v": "meeting",
    "meeting": "meeting",
    "signaal": "signal",
    "s": "signal",
    "signal": "signal",
}
ACTION_NL = {
    "create": "aangemaakt",
    "update": "gewijzigd",
    "delete": "verwijderd (ongedaan gemaakt)",
    "erase": "gewist",
}
FIELD_NL = {
    "body": "overlegorgaan",
    "date": "datum",
    "status": "status",
    "topics": "onderwerpen",
    "notes": "notities",
    "attendees": "aanwezigen",
    "text": "tekst",
    "themes": "thema's",
    "source_body": "bron (overlegorgaan)",
    "source_partner": "bron (partner)",
    "addressee": "bestemmeling",
}
HISTORY_USAGE = (
    "Gebruik: /geschiedenis vergadering 12 of /geschiedenis signaal 3 "
    "(alleen een nummer: een vergadering)."
)


PRIVATE_ONLY = (
    "Dit bevat persoonsgegevens: vraag het in een privégesprek met de bot, niet in een groep."
)


def _caption(text: str) -> str:
    return fit(text, MAX_CAPTION)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def annual_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/jaarverslag [jaar] [md]: the year's report as a Word document (or Markdown)."""
    message = update.effective_message
    if message is None:
        return
    core = regie(context)
    words = list(context.args or [])
    fmt = "docx"
    years = []
    for word in words:
        if word.casefold() in FORMAT_WORDS:
            fmt = FORMAT_WORDS[word.casefold()]
        else:
            years.append(word)
    try:
        if len(years) > 1:
            raise ReportError(
                "Geef één jaar, bv. /jaarverslag 2022 (of /jaarverslag 2022 md).", "one year"
            )
        year = check_year(years[0] if years else None, today=core.today())
        await typing(update, context)
        made = await make_report(core.store.sessions, year=year, today=core.today(), fmt=fmt)
    except ReportError as exc:
        await reply(update, e(exc.dutch))
        return
    kind = "Word-document" if fmt == "docx" else "Markdown-bestand"
    draft = " (tussentijds: het jaar is nog niet voorbij)" if made.report.partial else ""
    await message.reply_document(
        document=made.content,
        filename=made.filename,
        caption=_caption(
            f"📄 <b>Jaarverslag {year}</b>{e(draft)}: ontwerp als {kind}.\n"
            f"{e(made.report.summary)}."
        ),
        do_quote=True,
    )


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export (admins): a ZIP with the whole store as JSON and one CSV per table."""
    message = update.effective_message
    if message is None:
        return
    if not is_admin(context):
        await reply(update, "Enkel beheerders kunnen een export opvragen.")
        return
    if not _private(update):  # the export holds members' names: never into a group
        await reply(update, PRIVATE_ONLY)
        return
    core = regie(context)
    await typing(update, context)
    async with core.store.sessions() as session:
        data = await export_store(session)
    content = await asyncio.to_thread(export_zip, data)
    today = core.today()
    counts = (
        f"{counted(len(data.get('meetings') or []), 'vergadering', 'vergaderingen')}, "
        f"{counted(len(data.get('signals') or []), 'signaal', 'signalen')}, "
        f"{counted(len(data.get('members') or []), 'lid', 'leden')}"
    )
    await message.reply_document(
        document=content,
        filename=f"regiebot-export-{today.isoformat()}.zip",
        caption=_caption(
            f"📦 <b>Export van {e(iso_to_nl(today.isoformat()))}</b>: {e(counts)}.\n"
            "regiebot-export.json laadt terug met <code>regiebot import</code>; "
            "de CSV-bestanden (;-gescheiden) openen in Excel."
        ),
        do_quote=True,
    )


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mijngegevens: everything stored about the caller, as a JSON document and a summary."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    if not _private(update):
        await reply(update, PRIVATE_ONLY)
        return
    core = regie(context)
    async with core.store.sessions() as session:
        data = await rights.member_data(session, user.id)
    member = data["member"]
    lines = ["🔒 <b>Wat regiebot over jou bewaart</b>"]
    if member:
        since = iso_to_nl((member.get("created_at") or "")[:10])
        name = f" als {e(member['name'])}" if member.get("name") else ""
        lines.append(f"• Lid{name} (rol {e(member['role'])}), toegevoegd op {e(since)}.")
    else:
        lines.append("• Geen lidmaatschap opgeslagen (toegang via de configuratie).")
    meetings = counted(len(data["meetings_logged"]), "vergadering", "vergaderingen")
    signals = counted(len(data["signals_logged"]), "signaal", "signalen")
    changes = counted(len(data["audit_by_member"]), "wijziging", "wijzigingen")
    updates = counted(len(data["inbox_updates"]), "bericht", "berichten")
    lines.append(f"• {capitalised(meetings)} en {signals} door jou gelogd.")
    lines.append(f"• {capitalised(changes)} door jou in het logboek.")
    lines.append(f"• {capitalised(updates)} van jou in de inbox (zoals Telegram ze afleverde).")
    lines.append(
        "\nAlles staat in het bijgevoegde JSON-bestand. Een beheerder kan je gegevens wissen "
        "(/lid wis); je vergaderingen en signalen blijven dan bewaard onder 'verwijderd lid'."
    )
    await reply(update, "\n".join(lines))
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await message.reply_document(
        document=content,
        filename=f"mijngegevens-{user.id}.json",
        caption=_caption("Je gegevens in regiebot (JSON)."),
    )


def _name(core: Any, kind: str, record_id: object) -> str:
    record = core.record(kind, str(record_id))
    return str(record["name"]) if record else str(record_id)


def _value(core: Any, field: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if field == "date":
        return iso_to_nl(str(value))
    if field in ("body", "source_body"):
        return _name(core, "bodies", value)
    if field in ("attendees", "source_partner"):
        ids = value if isinstance(value, list) else [value]
        return ", ".join(_name(core, "partners", v) for v in ids)
    if field == "themes" and isinstance(value, list):
        return ", ".join(_name(core, "themes", v) for v in value)
    if field == "status":
        return str(STATUS_NL.get(str(value), value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _short(text: str, limit: int = 120) -> str:
    return clean(text, limit)  # one line, no control characters


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/geschiedenis <vergadering|signaal> <nr>: who changed what and when."""
    args = [a.casefold().lstrip("#") for a in (context.args or [])]
    entity = "meeting"
    if args and args[0] in ENTITY_WORDS:
        entity = ENTITY_WORDS[args[0]]
        args = args[1:]
    if len(args) != 1 or not args[0].isdigit() or len(args[0]) > 12:
        await reply(update, HISTORY_USAGE)
        return
    entry_id = int(args[0])
    what = "vergadering" if entity == "meeting" else "signaal"
    core = regie(context)
    async with core.store.sessions() as session:
        entries = await rights.history(session, entity=entity, entity_id=entry_id)
    if not entries:
        await reply(update, f"Geen geschiedenis gevonden voor {what} nr. {entry_id}.")
        return
    tz = ZoneInfo(core.settings.timezone)
    lines = [f"🕓 <b>Geschiedenis van {what} nr. {entry_id}</b>"]
    for item in entries:
        when = item.at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        action = ACTION_NL.get(item.action, item.action)
        lines.append(f"• {when} - {e(item.actor_name)}: {e(action)}")
        for field, before, after in item.changes:
            if field not in FIELD_NL:
                continue
            label = FIELD_NL[field]
            new = _short(_value(core, field, after))
            if item.action == "create":
                lines.append(f"   {e(label)}: {e(new)}")
            else:
                old = _short(_value(core, field, before))
                lines.append(f"   {e(label)}: {e(old)} → {e(new)}")
    await reply(update, fit("\n".join(lines)))


async def erase_member_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, telegram_id: int
) -> None:
    """Admins: erase a member's personal data (/lid wis <id>); their entries stay, anonymous."""
    if not is_admin(context):
        await reply(update, "Enkel beheerders kunnen leden wissen.")
        return
    core = regie(context)
    who = actor(update)
    async with core.store.sessions() as session:
        done = await rights.erase_member(session, telegram_id=telegram_id, actor=who.user_id)
        if who.update_id is not None:
            await inbox.mark_handled(session, who.update_id)
        await session.commit()
    if not done.found:
        await reply(update, f"Over {telegram_id} is niets opgeslagen: er valt niets te wissen.")
        return
    await core.reindex_entries()  # the search index held the names in the texts
    await rights.purge_freed_space(core.store.engine)  # after: the old index rows are freed too
    context.application.drop_user_data(telegram_id)
    core.forget_role(telegram_id)
    kept = (
        f"{counted(done.meetings, 'vergadering', 'vergaderingen')} en "
        f"{counted(done.signals, 'signaal', 'signalen')}"
    )
    text = (
        f"🗑️ Lid {telegram_id} gewist: naam, gebruikersnaam en berichten zijn verwijderd. "
        f"{kept} blijven bewaard onder 'verwijderd lid'."
    )
    settings = core.settings
    if telegram_id in settings.allowed_users or telegram_id in settings.admins:
        text += (
            " Dit id staat nog in de configuratie (REGIEBOT_ALLOWED_USERS of REGIEBOT_ADMINS): "
            "haal het daar weg om de toegang te ontnemen."
        )
    await reply(update, e(text))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the report, export, data-rights and history commands."""
    app.add_handler(CommandHandler("jaarverslag", annual_report))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("mijngegevens", my_data))
    app.add_handler(CommandHandler("geschiedenis", history))
