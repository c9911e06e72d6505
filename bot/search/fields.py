"""What of each record is searchable, in which weighted field, and how a hit is shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.domain.shorten import shorten

Record = Mapping[str, Any]

# field -> (weight, BM25 length normalisation b). Names and aliases say what a record *is*,
# themes what it is *about*, descriptions merely mention things.
FIELDS: Final[dict[str, tuple[float, float]]] = {
    "name": (3.0, 0.3),
    "alias": (2.5, 0.3),
    "code": (3.0, 0.0),
    "topics": (2.0, 0.5),
    "themes": (1.6, 0.2),
    "heading": (1.5, 0.3),
    "body": (2.5, 0.2),  # a meeting *of* a body, not one that mentions it
    "text": (1.0, 0.75),
    "note": (0.6, 0.75),
    "related": (0.5, 0.3),
    "section": (0.3, 0.3),
}
TAG_WEIGHT: Final = 1.6  # a theme tag counts like one word in the themes field
THEME_TAG: Final = "#"
BODY_LINK: Final = "@b:"
PARTNER_LINK: Final = "@p:"


def text_of(value: Any) -> str:
    """A record value as text; lists are joined, None and odd types become ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ; ".join(text_of(v) for v in value)
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def ids_of(value: Any) -> list[str]:
    """A list of reference ids, tolerating None, a single id and non-string junk."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return []


def parse_date(value: Any) -> dt.date | None:
    """A YYYY-MM-DD string (or date) as a date; None when absent or malformed."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass
class Context:
    """Names of the records other records point at (themes, bodies, partners, sections)."""

    themes: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)
    sections: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Context:
        """Collect the lookups once; every missing or malformed part is skipped."""
        ctx = cls()
        for theme in records(snapshot, "themes"):
            if theme.get("id") is not None:
                ctx.themes[str(theme["id"])] = text_of(theme.get("name")) or str(theme["id"])
        for body in records(snapshot, "bodies"):
            if body.get("id") is not None:
                ctx.bodies[str(body["id"])] = text_of(body.get("name")) or str(body["id"])
        for partner in records(snapshot, "partners"):
            if partner.get("id") is not None:
                ctx.partners[str(partner["id"])] = text_of(partner.get("name"))
        for plan in records(snapshot, "plans"):
            for section in plan.get("sections") or []:
                if isinstance(section, Mapping) and section.get("id") is not None:
                    key = (str(plan.get("id")), str(section["id"]))
                    ctx.sections[key] = text_of(section.get("title"))
        return ctx

    def names(self, table: Mapping[str, str], ids: Iterable[str]) -> str:
        return " ; ".join(table.get(i, i.replace("-", " ")) for i in ids)


def records(snapshot: Mapping[str, Any], kind: str) -> list[Record]:
    """The records of one kind from a snapshot, skipping anything that is not a mapping."""
    value = snapshot.get(kind) if isinstance(snapshot, Mapping) else None
    if not isinstance(value, (list, tuple)):
        return []
    return [r for r in value if isinstance(r, Mapping)]


def plan_of(record: Record) -> str:
    """The plan of an action: its `plan` key, else the prefix of its id (wse-2023/2.3.2)."""
    plan = record.get("plan")
    if isinstance(plan, str) and plan:
        return plan
    return str(record.get("id") or "").partition("/")[0]


def fields_of(kind: str, rec: Record, ctx: Context) -> list[tuple[str, str]]:
    """(field, text) pairs to index for one record."""
    get = rec.get
    if kind == "actions":
        section = ctx.sections.get((plan_of(rec), text_of(get("section"))), "")
        return [
            ("name", text_of(get("title"))),
            ("code", text_of(get("code"))),
            ("themes", ctx.names(ctx.themes, ids_of(get("themes")))),
            ("text", text_of(get("description"))),
            ("related", text_of(get("partners_text")) + " ; " + text_of(get("trekker"))),
            ("related", ctx.names(ctx.partners, ids_of(get("partners")))),
            ("related", ctx.names(ctx.bodies, ids_of(get("bodies")))),
            ("section", section),
        ]
    if kind == "partners":
        return [
            ("name", text_of(get("name"))),
            ("alias", text_of(get("aliases"))),
            ("themes", ctx.names(ctx.themes, ids_of(get("themes")))),
            ("text", text_of(get("description"))),
            ("note", text_of(get("note"))),
            ("related", text_of(get("kind"))),
        ]
    if kind == "bodies":
        return [
            ("name", text_of(get("name"))),
            ("alias", text_of(get("aliases"))),
            ("themes", ctx.names(ctx.themes, ids_of(get("themes")))),
            ("text", text_of(get("description"))),
            ("related", text_of(get("role_text"))),
            ("related", ctx.names(ctx.partners, ids_of(get("partners")))),
        ]
    # A meeting's body and attendees (a signal's source) are links, see links_of: the names
    # are matched once per question, not indexed again in every one of 10^5 logs.
    if kind == "meetings":
        return [("topics", text_of(get("topics"))), ("text", text_of(get("notes")))]
    if kind == "signals":
        return [
            ("topics", text_of(get("text"))),
            ("themes", ctx.names(ctx.themes, ids_of(get("themes")))),
            ("related", text_of(get("addressee"))),
        ]
    if kind == "documents":
        return [
            ("heading", text_of(get("heading")) + " ; " + text_of(get("title"))),
            ("text", text_of(get("text"))),
            ("related", text_of(get("source"))),
        ]
    return []


def links_of(kind: str, rec: Record) -> list[tuple[str, float]]:
    """Pseudo-terms with their weight: theme tags (#id), a log's body and partners (@id)."""
    get = rec.get
    links: list[tuple[str, float]] = []
    if kind in ("actions", "partners", "bodies", "signals"):
        links += [(THEME_TAG + t, TAG_WEIGHT) for t in ids_of(get("themes"))]
    if kind == "meetings":
        links += [(BODY_LINK + b, FIELDS["body"][0]) for b in ids_of(get("body"))]
        links += [(PARTNER_LINK + p, FIELDS["related"][0]) for p in ids_of(get("attendees"))]
    if kind == "signals":
        links += [(BODY_LINK + b, FIELDS["body"][0]) for b in ids_of(get("source_body"))]
        links += [(PARTNER_LINK + p, FIELDS["body"][0]) for p in ids_of(get("source_partner"))]
    return links


def title_of(kind: str, rec: Record, ctx: Context) -> str:
    """The line a hit is shown under: a title, a name, or body and date for a meeting."""
    get = rec.get
    if kind in ("partners", "bodies"):
        return text_of(get("name")) or str(get("id") or "")
    if kind == "actions":
        return text_of(get("title")) or str(get("id") or "")
    if kind == "meetings":
        body = text_of(get("body"))
        return ctx.bodies.get(body, body) or "vergadering"
    if kind == "signals":
        text = " ".join(text_of(get("text")).split()) or f"signaal {get('id')}"
        return shorten(text, 80)
    if kind == "documents":
        return text_of(get("title")) or text_of(get("heading")) or str(get("id") or "")
    return str(get("id") or "")


def snippet_source(kind: str, rec: Record) -> str:
    """The running text a snippet is cut from."""
    get = rec.get
    if kind == "meetings":
        return " ; ".join(t for t in (text_of(get("topics")), text_of(get("notes"))) if t)
    if kind == "signals":
        return text_of(get("text"))
    if kind == "documents":
        return text_of(get("text"))
    return text_of(get("description")) or text_of(get("note"))


def date_of(kind: str, rec: Record) -> dt.date | None:
    """The date that makes a meeting or signal recent (None for the knowledge base)."""
    if kind in ("meetings", "signals"):
        return parse_date(rec.get("date"))
    return None
