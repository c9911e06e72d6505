"""Reply formatting: Telegram HTML with every user- or data-derived string escaped."""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.dutch_dates import format_date
from bot.domain.shorten import ELLIPSIS, shorten
from bot.search.render import HEADINGS, STATUS

MAX_TEXT = 4096
MAX_ALERT = 200  # a callback query's answer (a toast or an alert)
# Telegram documents no limit for a button's text; clients cut long ones at the screen's edge.
MAX_LABEL = 64
NAME_LABEL = 40  # a record's name on a button of its own: what a phone shows on one line
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


def button(text: str, data: str, *, limit: int = MAX_LABEL) -> InlineKeyboardButton:
    """An inline button; a long label is shortened at a word boundary with "…"."""
    raw = data.encode("utf-8")
    if not 1 <= len(raw) <= 64:  # Telegram rejects longer callback_data (BUTTON_DATA_INVALID)
        raise ValueError(f"callback_data of {len(raw)} bytes")
    return InlineKeyboardButton(shorten(text, limit), callback_data=data)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """HTML text within Telegram's limit: cut at a line (else a word) boundary, marked "…".

    Tags still open at the cut are closed, and a tag or entity cut in half is left out, so
    what is sent still parses (Telegram refuses the whole message otherwise).
    """
    if len(text) <= limit:
        return text
    tail = "\n" + ELLIPSIS
    room = limit - len(tail)
    while True:
        head, closers = _cut_html(text, room)
        if len(head) + len(closers) + len(tail) <= limit or room <= len(closers):
            return head + closers + tail
        room -= len(closers)


def _cut_html(text: str, room: int) -> tuple[str, str]:
    """The first `room` characters of HTML at a boundary, and the tags to close after it."""
    head = text[:room]
    line = head.rfind("\n")
    if line >= room // 2:  # a whole line, unless that would drop most of the text
        head = head[:line]
    elif not text[room].isspace():
        space = head.rfind(" ")
        if space >= room // 2:
            head = head[:space]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    if head.rfind("&") > head.rfind(";"):
        head = head[: head.rfind("&")]
    head = head.rstrip()
    open_tags: list[str] = []
    for match in _TAG.finditer(head):
        closing, name = match.group(1), match.group(2).casefold()
        if not closing:
            open_tags.append(name)
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
    return head, "".join(f"</{name}>" for name in reversed(open_tags))


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
    if kind == "meetings":  # one body meets often: the date tells its meetings apart
        when = e(iso_to_nl(extra.get("date"))) if extra.get("date") else ""
        shown = f"{when} {e(title)}".strip()
        raw = str(extra.get("status") or "")
        status = "" if raw == "held" else STATUS_NL.get(raw, "")
        return shown + (f" <i>({e(status)})</i>" if status else "")
    if kind == "documents" and extra.get("source"):  # one heading recurs across documents
        return f"{e(title)} <i>({e(extra['source'])})</i>"
    return e(title)


def meeting_saved(record: dict[str, Any], body_name: str, *, created: bool) -> str:
    head = "✅ Vergadering opgeslagen" if created else "ℹ️ Deze vergadering was al opgeslagen"
    status = STATUS_NL.get(record.get("status", ""), record.get("status", ""))
    lines = [
        f"{head}:",
        f"<b>{e(body_name)}</b> op {e(iso_to_nl(record.get('date')))}"
        + (f" om {e(record['time'])}" if record.get("time") else "")
        + f" ({e(status)})",
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
    lines = [f"{head}:", f"<i>{e(shorten(record['text'], 1500))}</i>"]
    lines.append("Thema's: " + (", ".join(e(n) for n in theme_names) or "geen herkend"))
    status = SIGNAL_STATUS_NL.get(record.get("status", ""), record.get("status", ""))
    lines.append(f"Status: {e(status)}")
    if source:
        lines.append(f"Bron: {e(source)}")
    if record.get("addressee"):
        lines.append(f"Bestemmeling: {e(record['addressee'])}")
    lines.append(f"<i>nr. {e(record['id'])}</i>")
    return fit("\n".join(lines))
