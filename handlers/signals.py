"""/signaal and /signalen: record a signal, set its source, addressee and status; list them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.domain.shorten import shorten
from bot.domain.signal_options import ADDRESSEES, SIGNAL_FLOW
from bot.domain.signal_sources import offered_as_source
from bot.services.core import Regie
from handlers.browse import source_name
from handlers.common import actor, args_text, is_admin, regie, reply
from handlers.format import (
    NAME_LABEL,
    SIGNAL_STATUS_NL,
    button,
    e,
    fit,
    iso_to_nl,
    keyboard,
    signal_saved,
)
from storage.entries import EntryError

PAGE_SIZE = 10
MAX_SOURCE_CHOICES = 8


def _theme_names(core: Regie, record: dict[str, Any]) -> list[str]:
    return [t["name"] for t in core.snapshot.get("themes", []) if t["id"] in record["themes"]]


def saved_text(core: Regie, record: dict[str, Any], *, created: bool) -> str:
    return signal_saved(
        record, _theme_names(core, record), created=created, source=source_name(core, record)
    )


def signal_keyboard(signal_id: int, status: str = "nieuw") -> InlineKeyboardMarkup:
    """[Bron] [Bestemmeling] / the next statuses / [Ongedaan maken]."""
    later = (
        [s for s in SIGNAL_FLOW if SIGNAL_FLOW.index(s) > SIGNAL_FLOW.index(status)]
        if (status in SIGNAL_FLOW)
        else list(SIGNAL_FLOW[1:])
    )
    return keyboard(
        [
            [
                button("Bron …", f"sv:{signal_id}:src"),
                button("Bestemmeling …", f"sv:{signal_id}:to"),
            ],
            [button(s.capitalize(), f"ss:{signal_id}:{s}") for s in later],
            [button("Ongedaan maken", f"u:s:{signal_id}")],
        ]
    )


async def signal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a signal: /signaal <tekst>."""
    core = regie(context)
    try:
        stored = await core.record_signal(args_text(context), actor(update))
    except EntryError as exc:
        await reply(update, e(exc))
        return
    await reply(
        update,
        saved_text(core, stored.record, created=stored.created),
        reply_markup=signal_keyboard(stored.id, stored.record["status"]),
    )


async def _change(
    update: Update, context: ContextTypes.DEFAULT_TYPE, signal_id: int, note: str, **changes: Any
) -> None:
    """Apply a button's change (own signals only, admins any) and redraw the confirmation."""
    query = update.callback_query
    assert query is not None
    core = regie(context)
    try:
        await core.check_may_change(actor(update), "signal", signal_id, admin=is_admin(context))
        stored = await core.update_signal(actor(update), signal_id, **changes)
    except EntryError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    await query.answer(note[:200])
    await query.edit_message_text(
        saved_text(core, stored.record, created=True),
        reply_markup=signal_keyboard(stored.id, stored.record["status"]),
    )


async def status_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ss:<id>:<status> - set a signal's status."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_id, status = query.data.split(":", 2)
    if status not in SIGNAL_FLOW:
        await query.answer("Onbekende status.", show_alert=True)
        return
    await _change(
        update, context, int(raw_id), f"Status: {SIGNAL_STATUS_NL[status]}", status=status
    )


async def choices_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """sv:<id>:src|to|back - show the source or addressee choices (or the main buttons)."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_id, what = query.data.split(":", 2)
    signal_id = int(raw_id)
    core = regie(context)
    record = await core.signal(signal_id)
    if record is None:
        await query.answer("Dat signaal bestaat niet (meer).", show_alert=True)
        return
    await query.answer()
    if what == "src":
        markup = _source_keyboard(core, record)
    elif what == "to":
        markup = keyboard(
            [
                [button(name, f"sa:{signal_id}:{i}", limit=NAME_LABEL)]
                for i, name in enumerate(ADDRESSEES)
            ]
            + [[button("◂ Terug", f"sv:{signal_id}:back")]]
        )
    else:
        markup = signal_keyboard(signal_id, record["status"])
    await query.edit_message_text(saved_text(core, record, created=True), reply_markup=markup)


def _source_keyboard(core: Regie, record: dict[str, Any]) -> InlineKeyboardMarkup:
    """Bodies and partners the signal's text points to, then the bodies W13 organises."""
    signal_id = record["id"]
    answer = core.ask_knowledge(record["text"])
    day = dt.date.fromisoformat(record["date"]) if record.get("date") else core.today()
    picks: list[tuple[str, str, str]] = []
    for kind, code in (("bodies", "b"), ("partners", "p")):
        offered = [hit for hit in answer.hits(kind) if _offered(core, kind, str(hit.id), day)]
        for hit in offered[:3]:
            picks.append((code, str(hit.id), hit.title))
    for body in core.snapshot.get("bodies", []):
        if body.get("role") == "organiser" and offered_as_source(body, day):
            picks.append(("b", body["id"], body["name"]))
    rows, seen = [], set()
    for code, rid, title in picks:
        data = f"sb:{signal_id}:{code}:{rid}"
        # A body and a partner of one name (Vervoersregio Kortrijk) are one choice: the first.
        name = " ".join(title.split()).casefold()
        if name in seen or len(data.encode()) > 64:
            continue
        seen.add(name)
        rows.append([button(title, data, limit=NAME_LABEL)])
        if len(rows) == MAX_SOURCE_CHOICES:
            break
    rows.append([button("◂ Terug", f"sv:{signal_id}:back")])
    return keyboard(rows)


def _offered(core: Regie, kind: str, record_id: str, day: dt.date) -> bool:
    """Whether a search hit may be a signal's source: bodies that stopped before its year not."""
    if kind != "bodies":
        return True
    body = core.body(record_id)
    return body is not None and offered_as_source(body, day)


async def source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """sb:<id>:b|p:<record id> - set where a signal came from."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_id, code, rid = query.data.split(":", 3)
    core = regie(context)
    kind = "bodies" if code == "b" else "partners"
    rec = core.record(kind, rid)
    if rec is None:
        await query.answer("Dat staat niet (meer) in de lijst.", show_alert=True)
        return
    changes = (
        {"source_body_id": rid, "source_partner_id": None}
        if code == "b"
        else {"source_partner_id": rid, "source_body_id": None}
    )
    await _change(update, context, int(raw_id), f"Bron: {rec['name']}", **changes)


async def addressee_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """sa:<id>:<index> - set to whom the signal is passed on."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_id, raw_index = query.data.split(":", 2)
    if not raw_index.isdigit() or int(raw_index) >= len(ADDRESSEES):
        await query.answer("Onbekende bestemmeling.", show_alert=True)
        return
    name = ADDRESSEES[int(raw_index)]
    await _change(update, context, int(raw_id), f"Bestemmeling: {name}", addressee=name)


# --- the list ---------------------------------------------------------------------------------


def _filter(core: Regie, want: str) -> tuple[bool, list[str] | None, str] | None:
    """(open only, theme ids or None, label) for /signalen [open|<thema>]; None: unknown."""
    want = " ".join(want.split()).casefold()
    if not want:
        return False, None, ""
    if want == "open":
        return True, None, "open"
    themes = core.detect_themes(want) or [
        t["id"] for t in core.snapshot.get("themes", []) if t["id"] == want
    ]
    return (False, themes, want) if themes else None


async def signals_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List signals: /signalen [open|<thema>], newest first, ten per page."""
    want = args_text(context)[:60]
    text, markup = await signals_page(regie(context), want, 0)
    await reply(update, text, reply_markup=markup)


async def signals_page(
    core: Regie, want: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    chosen = _filter(core, want)
    if chosen is None:
        return (
            f"Het thema <i>{e(want)}</i> ken ik niet. Probeer bv. /signalen mobiliteit, "
            "/signalen taal of /signalen open.",
            None,
        )
    open_only, theme_ids, label = chosen
    total, rows = await core.signals_page(
        open_only=open_only, theme_ids=theme_ids, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if total == 0:
        what = f" voor <i>{e(label)}</i>" if label else ""
        return f"Geen signalen gevonden{what}.", None
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    head = f"<b>Signalen</b>{' - ' + e(label) if label else ''} ({total})"
    if pages > 1:
        head += f" <i>pagina {page + 1}/{pages}</i>"
    lines = [head]
    for s in rows:
        status = SIGNAL_STATUS_NL.get(s["status"], s["status"])
        text = shorten(" ".join(s["text"].split()), 120)  # one line each, whole words
        lines.append(f"• {e(iso_to_nl(s['date']))} [{e(status)}] {e(text)} <i>nr. {s['id']}</i>")
    nav = []
    ref = want if len(f"sl:999:{want}".encode()) <= 64 else ""
    if page > 0:
        nav.append(button("◂ Vorige", f"sl:{page - 1}:{ref}"))
    if page + 1 < pages:
        nav.append(button("Meer ▸", f"sl:{page + 1}:{ref}"))
    details = [button(f"📣 nr. {s['id']}", f"d:s:{s['id']}") for s in rows]
    markup = keyboard([details[i : i + 5] for i in range(0, len(details), 5)] + [nav])
    return fit("\n".join(lines)), markup


async def signals_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """sl:<page>:<filter> - another page of /signalen, in place."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, raw_page, want = query.data.split(":", 2)
    await query.answer()
    text, markup = await signals_page(regie(context), want, max(0, int(raw_page)))
    await query.edit_message_text(text, reply_markup=markup)
