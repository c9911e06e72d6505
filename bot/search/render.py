"""The readable Dutch answer in plain text (the Telegram layer formats its own HTML)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from bot.domain.shorten import shorten
from bot.search.answer import Hit, SearchAnswer

HEADINGS: Final = {
    "actions": "Acties",
    "partners": "Partners",
    "bodies": "Overlegorganen",
    "meetings": "Vergaderingen",
    "signals": "Signalen",
    "documents": "Documenten",
}
STATUS: Final = {"planned": "gepland", "cancelled": "geannuleerd", "held": "gehouden"}
MAX_QUERY_SHOWN: Final = 80


def dutch_date(value: object) -> str:
    """YYYY-MM-DD as dd/mm/yyyy; anything else is shown as it is."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return ""


def shown_query(query: str) -> str:
    """The question as echoed back: printable characters only, not too long."""
    clean = "".join(ch if ch.isprintable() else " " for ch in query)
    return shorten(" ".join(clean.split()), MAX_QUERY_SHOWN)


def _line(hit: Hit) -> str:
    extra = hit.extra
    if hit.kind == "actions":
        code = extra.get("code") or hit.id
        head = f"{code} {hit.title} ({extra.get('plan', '')})"
    elif hit.kind == "meetings":
        status = STATUS.get(extra.get("status", ""), "")
        head = f"{dutch_date(extra.get('date'))} {hit.title}" + (f" ({status})" if status else "")
    elif hit.kind == "signals":
        # The snippet is the signal's own text around what matched.
        head = f"{dutch_date(extra.get('date'))}: {hit.snippet or hit.title}"
    else:
        head = hit.title
    line = f"- {head}"
    if hit.snippet and hit.kind not in ("signals",):
        line += f"\n  {hit.snippet}"
    if hit.matched:
        line += f"\n  (gevonden via: {', '.join(hit.matched[:4])})"
    return line


def render_text(answer: SearchAnswer, *, per_group: int = 5) -> str:
    """The answer as plain Dutch text: one block per kind, in the order the question asks."""
    query = shown_query(answer.query)
    if answer.empty:
        tips = ", ".join(answer.suggestions) or "mobiliteit, taal, jongeren"
        about = f' voor "{query}"' if query else ""
        return f"Niets gevonden{about} - probeer bijvoorbeeld: {tips}."
    blocks = [f'Resultaten voor "{query}":']
    for kind in answer.order:
        hits = answer.hits(kind)[:per_group]
        if hits:
            blocks.append(HEADINGS[kind] + "\n" + "\n".join(_line(hit) for hit in hits))
    return "\n\n".join(blocks)
