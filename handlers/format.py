"""Reply formatting: Telegram HTML with every user- or data-derived string escaped."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dutch_dates import format_date
from bot.search.render import HEADINGS, STATUS

MAX_TEXT = 4096
GROUP_TITLES = HEADINGS
STATUS_NL = STATUS
SIGNAL_STATUS_NL = {
    "nieuw": "nieuw",
    "doorgegeven": "doorgegeven",
    "beantwoord": "beantwoord",
    "afgesloten": "afgesloten",
}


def e(value: object) -> str:
    """Escape anything for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)


def button(text: str, data: str) -> InlineKeyboardButton:
    raw = data.encode("utf-8")
    if not 1 <= len(raw) <= 64:  # Telegram rejects longer callback_data (BUTTON_DATA_INVALID)
        raise ValueError(f"callback_data of {len(raw)} bytes")
    return InlineKeyboardButton(text[:64], callback_data=data)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Cut HTML text at a line boundary so it stays within Telegram's limit."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return (text[: cut if cut > 0 else limit - 2]).rstrip() + "\n…"


def iso_to_nl(value: str | None) -> str:
    if not value:
        return "?"
    try:
        return format_date(dt.date.fromisoformat(value))
    except ValueError:
        return value


def hit_label(kind: str, hit_id: object, title: str, extra: dict[str, Any]) -> str:
    if kind == "actions":
        plan, _, code = str(hit_id).partition("/")
        return f"<b>{e(code)}</b> {e(title)} <i>({e(plan)})</i>"
    if kind == "meetings":
        return f"{e(title)}"
    return e(title)


def meeting_saved(record: dict[str, Any], body_name: str, *, created: bool) -> str:
    head = "✅ Vergadering opgeslagen" if created else "ℹ️ Deze vergadering was al opgeslagen"
    status = STATUS_NL.get(record.get("status", ""), record.get("status", ""))
    lines = [
        f"{head}:",
        f"<b>{e(body_name)}</b> op {e(iso_to_nl(record.get('date')))} ({e(status)})",
    ]
    topics = record.get("topics") or []
    if topics:
        lines.append("Agenda: " + "; ".join(e(t) for t in topics))
    if record.get("notes"):
        lines.append(f"Notities: {e(record['notes'])}")
    lines.append(f"<i>nr. {e(record['id'])}</i>")
    return fit("\n".join(lines))


def signal_saved(
    record: dict[str, Any], theme_names: list[str], *, created: bool, source: str | None = None
) -> str:
    head = "✅ Signaal opgeslagen" if created else "ℹ️ Dit signaal was al opgeslagen"
    lines = [f"{head}:", f"<i>{e(record['text'][:1500])}</i>"]
    lines.append("Thema's: " + (", ".join(e(n) for n in theme_names) or "geen herkend"))
    status = SIGNAL_STATUS_NL.get(record.get("status", ""), record.get("status", ""))
    lines.append(f"Status: {e(status)}")
    if source:
        lines.append(f"Bron: {e(source)}")
    if record.get("addressee"):
        lines.append(f"Bestemmeling: {e(record['addressee'])}")
    lines.append(f"<i>nr. {e(record['id'])}</i>")
    return fit("\n".join(lines))
