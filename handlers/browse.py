"""Questions and details: /zoek and plain text with [Meer] paging, details per hit."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.domain.shorten import shorten
from bot.search import Hit, SearchAnswer
from bot.services.core import Regie
from handlers.common import args_text, regie, reply
from handlers.format import (
    GROUP_TITLES,
    NAME_LABEL,
    SIGNAL_STATUS_NL,
    STATUS_NL,
    button,
    e,
    fit,
    hit_label,
    iso_to_nl,
    keyboard,
)

PER_GROUP = 3
MAX_SNIPPET = 200  # the search's snippets are ~160 characters: a cap, not a cut
SNIPPETS_PER_HEADING = 2  # a document heading with several matching paragraphs: shown once
MAX_DETAIL_BUTTONS = 8
KIND_CODES = {
    "actions": "a",
    "bodies": "b",
    "partners": "p",
    "meetings": "m",
    "signals": "s",
    "documents": "d",
}
CODE_KINDS = {v: k for k, v in KIND_CODES.items()}
KIND_ICONS = {"a": "📌", "b": "🏛", "p": "🤝", "m": "📅", "s": "📣", "d": "📄"}
COMMAND_KINDS = {"actie": "actions", "orgaan": "bodies", "partner": "partners"}
QUERY_MEMORY = 500  # questions too long for callback_data, kept by number for [Meer]
EXPIRED = "Deze zoekvraag is verlopen; stel ze opnieuw."


# --- search -----------------------------------------------------------------------------------


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /zoek or any plain text with the grouped search result."""
    message = update.effective_message
    if message is None:
        return
    text = (
        args_text(context)
        if message.text and message.text.startswith("/")
        else (message.text or "")
    )
    text = text.replace(f"@{context.bot.username}", " ").strip()
    if not text:
        await reply(update, "Waarover wil je iets weten? Bv. <i>/zoek mobiliteit</i>.")
        return
    answer = await regie(context).ask(text)  # a few ms: no typing indicator needed
    body, markup = search_page(context, answer, page=0)
    await reply(update, body, reply_markup=markup)


def _query_ref(context: ContextTypes.DEFAULT_TYPE, query: str, page: int) -> str:
    """callback_data for a page of this question: the text itself, or a number for it."""
    data = f"z:{page}:{query}"
    if len(data.encode("utf-8")) <= 64:
        return data
    memory: OrderedDict[int, str] = context.bot_data.setdefault("queries", OrderedDict())
    key = next((k for k, v in memory.items() if v == query), None)
    if key is None:
        key = context.bot_data["query_seq"] = context.bot_data.get("query_seq", 0) + 1
        memory[key] = query
        while len(memory) > QUERY_MEMORY:
            memory.popitem(last=False)
    return f"zt:{page}:{key}"


def search_page(
    context: ContextTypes.DEFAULT_TYPE, answer: SearchAnswer, *, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the grouped answer (PER_GROUP hits per group) and its buttons."""
    if answer.empty:
        tips = ", ".join(e(s) for s in answer.suggestions[:5]) or "mobiliteit, taal, jongeren"
        text = (
            f"Niets gevonden voor <i>{e(shorten(answer.query, 200))}</i> - "
            f"probeer bijvoorbeeld: {tips}."
        )
        return text, None
    start, stop = page * PER_GROUP, (page + 1) * PER_GROUP
    lines = [
        f"🔎 <b>{e(shorten(answer.query, 200))}</b>"
        + (f" <i>(pagina {page + 1})</i>" if page else "")
    ]
    details: list[InlineKeyboardButton] = []
    more = False
    for kind in answer.order:
        entries = _entries(kind, answer.hits(kind))
        more = more or len(entries) > stop
        shown = entries[start:stop]
        if not shown:
            continue
        lines.append(f"\n<b>{GROUP_TITLES.get(kind, kind)}</b>")
        for entry in shown:
            hit = entry[0]
            lines.append(f"• {hit_label(kind, hit.id, hit.title, hit.extra)}")
            for paragraph in entry[:SNIPPETS_PER_HEADING]:
                if paragraph.snippet:
                    lines.append(f"  <i>{e(shorten(paragraph.snippet, MAX_SNIPPET))}</i>")
            code = KIND_CODES.get(kind)
            data = f"d:{code}:{hit.id}"
            if code and len(details) < MAX_DETAIL_BUTTONS and len(data.encode()) <= 64:
                label = f"{KIND_ICONS[code]} {_short(kind, hit)}"
                details.append(button(label, data, limit=NAME_LABEL))
    if len(lines) == 1:
        lines.append("\nGeen verdere resultaten.")
    rows = [details[i : i + 2] for i in range(0, len(details), 2)]
    paging = []
    if page > 0:
        paging.append(button("◂ Vorige", _query_ref(context, answer.query, page - 1)))
    if more:
        paging.append(button("Meer ▸", _query_ref(context, answer.query, page + 1)))
    rows.append(paging)
    return fit("\n".join(lines)), keyboard(rows)


def _entries(kind: str, hits: list[Hit]) -> list[list[Hit]]:
    """The hits as listed: a document's paragraphs under one heading are one entry."""
    if kind != "documents":
        return [[hit] for hit in hits]
    entries: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        entries.setdefault((str(hit.extra.get("source")), hit.title), []).append(hit)
    return list(entries.values())


def _short(kind: str, hit: Hit) -> str:
    if kind == "actions":
        return f"{str(hit.id).partition('/')[2]} {hit.title}"
    if kind == "meetings" and hit.extra.get("date"):  # one body's meetings differ by date
        return f"{iso_to_nl(hit.extra['date'])} {hit.title}"
    return str(hit.title)


async def search_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Meer] / [Vorige] under a search answer: show another page in place."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    kind, raw_page, ref = query.data.split(":", 2)
    question: str | None = ref
    if kind == "zt":
        memory = context.bot_data.get("queries") or {}
        question = memory.get(int(ref)) if ref.isdigit() else None
    if not question:
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer()
    answer = await regie(context).ask(question)
    text, markup = search_page(context, answer, page=max(0, int(raw_page)))
    await query.edit_message_text(text, reply_markup=markup)


# --- details ----------------------------------------------------------------------------------


async def details(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Details pages: /actie 2.3.2, /orgaan ROA, /partner VDAB."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0].casefold()
    kind = COMMAND_KINDS[command]
    wanted = args_text(context).strip()
    if not wanted:
        await reply(update, f"Welke? Bv. /{command} {'2.3.2' if kind == 'actions' else 'ROA'}")
        return
    core = regie(context)
    record = find_record(core.snapshot, kind, wanted)
    if record is None:
        hits = (await core.ask(wanted)).hits(kind)
        record = core.record(kind, str(hits[0].id)) if hits else None
    if record is None:
        await reply(update, f"Niets gevonden voor <i>{e(shorten(wanted, 100))}</i>.")
        return
    text = await details_text(core, kind, str(record["id"]))
    await reply(update, text or f"Niets gevonden voor <i>{e(shorten(wanted, 100))}</i>.")


async def details_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A details button under a search answer: the whole record as a new message."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, code, record_id = query.data.split(":", 2)
    kind = CODE_KINDS.get(code)
    text = await details_text(regie(context), kind, record_id) if kind else None
    if text is None:
        await query.answer("Dat staat niet (meer) in de lijst.", show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id, text, reply_to_message_id=query.message.message_id
        )


def find_record(snapshot: dict[str, Any], kind: str, wanted: str) -> dict[str, Any] | None:
    folded = wanted.casefold()
    records = snapshot.get(kind) or []
    for rec in records:
        keys = [rec["id"], rec.get("code"), rec.get("name"), *(rec.get("aliases") or [])]
        if any(isinstance(k, str) and k.casefold() == folded for k in keys):
            return dict(rec)
    if kind == "actions":  # "2.3.2" names the current plan's action first
        for plan in ("wse-2023", "rose-2020", "w13-2020"):
            for rec in records:
                if rec["id"] == f"{plan}/{wanted}":
                    return dict(rec)
    return None


def _names(core: Regie, kind: str, ids: list[str]) -> str:
    out = []
    for rid in ids:
        rec = core.record(kind, rid)
        out.append(e(rec.get("name") or rec.get("title")) if rec else e(rid))
    return ", ".join(out) or "-"


async def details_text(core: Regie, kind: str, record_id: str) -> str | None:
    """The details page of any record, or None when it does not exist (any more)."""
    if kind in ("meetings", "signals"):
        if not record_id.isdigit():
            return None
        if kind == "meetings":
            meeting = await core.meeting(int(record_id))
            return meeting_text(core, meeting) if meeting else None
        signal = await core.signal(int(record_id))
        return signal_text(core, signal) if signal else None
    rec = core.record(kind, record_id)
    if rec is None:
        return None
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
        lines.append(e(shorten(str(rec.get("description") or ""), 2500)))
    elif kind == "bodies":
        lines.append(f"<b>{e(rec['name'])}</b>")
        if rec.get("aliases"):
            lines.append(f"<i>ook: {', '.join(e(a) for a in rec['aliases'])}</i>")
        lines.append(f"Rol W13: {e(rec.get('role_text') or rec.get('w13_role') or '-')}")
        for c in rec.get("cadence") or []:
            lines.append(
                f"Ritme vanaf {e(c['from'])}: {e(c['per_year'])} keer per jaar ({e(c['source'])})"
            )
        lines.append(f"Partners: {_names(core, 'partners', rec.get('partners') or [])}")
        acts = [a for a in core.snapshot.get("actions", []) if rec["id"] in a.get("bodies", [])]
        if acts:
            lines.append(
                "Acties: "
                + ", ".join(f"{e(a['code'])} {e(shorten(a['title'], 60))}" for a in acts[:8])
            )
        meetings = await core.recent_meetings(rec["id"])
        if meetings:
            lines.append("Laatste vergaderingen:")
            for m in meetings:
                status = (
                    ""
                    if m["status"] == "held"
                    else f" ({e(STATUS_NL.get(m['status'], m['status']))})"
                )
                lines.append(
                    f"• {e(iso_to_nl(m['date']))}{status}: {e('; '.join(m['topics']) or '-')}"
                )
        lines.append("")
        lines.append(e(shorten(str(rec.get("description") or ""), 2000)))
    elif kind == "partners":
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
                title = shorten(a["title"], 90)
                lines.append(f"• {e(a['code'])} {e(title)} <i>({e(a['plan'])})</i>")
        bodies = [b for b in core.snapshot.get("bodies", []) if rec["id"] in b.get("partners", [])]
        if bodies:
            lines.append("Overlegorganen: " + ", ".join(e(b["name"]) for b in bodies[:12]))
    elif kind == "documents":
        lines.append(f"<b>{e(rec.get('heading') or rec.get('title') or '')}</b>")
        source = rec.get("source") or ""
        plan = core.record("plans", str(source))
        label = plan["title"] if plan else source
        lines.append(f"<i>{e(label)}{', ' + e(rec['year']) if rec.get('year') else ''}</i>")
        lines.append("")
        lines.append(e(shorten(str(rec.get("text") or ""), 3500)))
    else:
        lines.append(f"<b>{e(rec.get('name') or rec.get('title') or record_id)}</b>")
        lines.append(e(rec.get("description") or ""))
    return fit("\n".join(lines))


def meeting_text(core: Regie, m: dict[str, Any]) -> str:
    body = core.body(m["body"])
    status = STATUS_NL.get(m["status"], m["status"])
    lines = [
        f"📅 <b>{e(body['name'] if body else m['body'])}</b> op {e(iso_to_nl(m['date']))}"
        f" ({e(status)})",
        "Agenda: " + (("; ".join(e(t) for t in m["topics"])) or "-"),
    ]
    if m.get("attendees"):
        lines.append(f"Aanwezig: {_names(core, 'partners', m['attendees'])}")
    if m.get("notes"):
        lines.append(f"Notities: {e(m['notes'])}")
    lines.append(f"<i>vergadering nr. {e(m['id'])}</i>")
    return fit("\n".join(lines))


def signal_text(core: Regie, s: dict[str, Any]) -> str:
    lines = [f"📣 <b>Signaal nr. {e(s['id'])}</b> van {e(iso_to_nl(s['date']))}", e(s["text"])]
    lines.append(f"Thema's: {_names(core, 'themes', s.get('themes') or [])}")
    source = source_name(core, s)
    if source:
        lines.append(f"Bron: {e(source)}")
    if s.get("addressee"):
        lines.append(f"Bestemmeling: {e(s['addressee'])}")
    lines.append(f"Status: {e(SIGNAL_STATUS_NL.get(s['status'], s['status']))}")
    return fit("\n".join(lines))


def source_name(core: Regie, s: dict[str, Any]) -> str | None:
    if s.get("source_body"):
        rec = core.record("bodies", s["source_body"])
        return str(rec["name"]) if rec else str(s["source_body"])
    if s.get("source_partner"):
        rec = core.record("partners", s["source_partner"])
        return str(rec["name"]) if rec else str(s["source_partner"])
    return None
