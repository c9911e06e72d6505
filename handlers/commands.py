"""Handlers for start and help, undo, and members."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.shorten import shorten
from handlers.common import actor, is_admin, regie, reply
from handlers.format import MAX_ALERT, e
from storage.entries import EntryError

HELP = """<b>regiebot</b> - assistent van de regie sociale economie en werk (W13)

<b>Vergadering loggen</b>
/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse
/vergadering actiegroep rose gisteren over individueel maatwerk en mobiliteit
/vergadering - zonder meer: ik vraag stap voor stap (stoppen met /annuleer)
Een datum in de toekomst wordt een geplande vergadering. Daarna kan je met de knoppen
aanwezigen en notities toevoegen.

<b>Signaal noteren</b>
/signaal instroom doelgroepmedewerkers ligt lager
Met de knoppen: bron, bestemmeling en status.
/signalen - de lijst (/signalen open, /signalen mobiliteit)

<b>Vragen</b>
/zoek mobiliteit, of gewoon: wat loopt er rond mobiliteit?
/actie 2.3.2 - /orgaan ROA - /partner VDAB

<b>Ritme en herinneringen</b>
/stand - wie ligt op schema (/stand 2022, /stand 30/06/2026)
/grafiek - vergaderingen tegenover het doel (/grafiek 2022)
/herinneringen aan|uit - herinneringen in deze chat
/volg ROA - /ontvolg ROA - enkel herinneringen over bepaalde organen (/volg alles)

<b>Verslag en gegevens</b>
/jaarverslag 2025 - ontwerp van het jaarverslag (Word)
/geschiedenis vergadering 12 - wie wijzigde wat
/mijngegevens - alles wat over jou bewaard is

<b>Corrigeren</b>
/ongedaan - je laatste invoer wissen
/wijzig datum 12/03/2026 - /wijzig onderwerpen a, b - /wijzig notities ...
/wijzig status doorgegeven - /wijzig bestemmeling ... (voor een signaal)

<b>Beheer</b> (beheerders)
/lid 123456789 Naam - /lid weg 123456789 - /lid wis 123456789
/export - alle gegevens als ZIP - /herinner_nu - herinneringen nu versturen
"""

COMMANDS = [
    ("vergadering", "Vergadering loggen"),
    ("signaal", "Signaal noteren"),
    ("signalen", "Signalen bekijken"),
    ("zoek", "Zoeken in acties, partners, overlegorganen"),
    ("stand", "Welke overlegorganen liggen op schema"),
    ("grafiek", "Vergaderingen tegenover het doel"),
    ("herinneringen", "Herinneringen aan of uit"),
    ("volg", "Herinneringen over een overlegorgaan"),
    ("ontvolg", "Geen herinneringen meer over een orgaan"),
    ("jaarverslag", "Ontwerp van het jaarverslag"),
    ("actie", "Details van een actie, bv. /actie 2.3.2"),
    ("orgaan", "Details van een overlegorgaan, bv. /orgaan ROA"),
    ("partner", "Details van een partner, bv. /partner VDAB"),
    ("ongedaan", "Je laatste invoer ongedaan maken"),
    ("wijzig", "Je laatste invoer wijzigen"),
    ("geschiedenis", "Wie wijzigde een vergadering of signaal"),
    ("mijngegevens", "Alles wat over jou bewaard is"),
    ("help", "Hulp en voorbeelden"),
]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and show what the bot can do."""
    name = update.effective_user.first_name if update.effective_user else ""
    await reply(update, f"Dag {e(name)}! 👋\n\n{HELP}")


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the commands with examples."""
    await reply(update, HELP)


async def nothing_to_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/annuleer outside a conversation: there is nothing to stop."""
    await reply(update, "Er is niets om te annuleren.")


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
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
        return
    await query.answer("Ongedaan gemaakt")
    await query.edit_message_text(_undone_text(before))


async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: /lid <id> [naam] allows a member, /lid weg <id> removes one."""
    if not is_admin(context):
        await reply(update, "Enkel beheerders kunnen leden toevoegen of verwijderen.")
        return
    args = list(context.args or [])
    if args and args[0].casefold() == "wis":
        if len(args) != 2 or not args[1].lstrip("-").isdigit():
            await reply(update, "Gebruik: /lid wis 123456789 (wist de persoonsgegevens)")
            return
        from handlers.reports import erase_member_command  # the data-rights handlers

        await erase_member_command(update, context, int(args[1]))
        return
    remove = bool(args) and args[0].casefold() in ("weg", "verwijder")
    if remove:
        args = args[1:]
    if not args or not args[0].lstrip("-").isdigit():
        await reply(
            update,
            "Gebruik: /lid 123456789 Naam, /lid weg 123456789 of /lid wis 123456789",
        )
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
