"""Export the whole store as one JSON-ready dict, and import such a dict back losslessly."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.errors import ImportFileError, KnowledgeBaseError
from storage.kb import from_export
from storage.models import (
    MEETING_STATUSES,
    MEMBER_ROLES,
    SIGNAL_STATUSES,
    Action,
    AuditEntry,
    Body,
    Document,
    Meeting,
    Member,
    Partner,
    Plan,
    Signal,
    Theme,
)
from storage.seed import FINGERPRINT_KEY, IMPORTED, seed, set_meta

EXPORT_FORMAT = "regiebot-export"
EXPORT_VERSION = 1
USER_KINDS = ("members", "meetings", "signals", "audit_log")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def _code_key(code: str) -> list[Any]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in code.split(".")]


def body_role(role: str) -> str:
    """The export's coarse role: W13 organises (trekker/facilitator) or only attends."""
    return "organiser" if role in ("trekker", "facilitator") else "participant"


def meeting_dict(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": f"{m.body.name} {m.date:%d/%m/%Y}",
        "body": m.body_id,
        "date": _date(m.date),
        "status": m.status,
        "time": m.start_time,
        "topics": list(m.topics or []),
        "notes": m.notes,
        "attendees": [p.id for p in m.attendees],
        "logged_by": m.logged_by,
        "created_at": _ts(m.created_at),
        "updated_at": _ts(m.updated_at),
        "source_chat_id": m.source_chat_id,
        "source_message_id": m.source_message_id,
    }


def signal_dict(s: Signal) -> dict[str, Any]:
    first_line = s.text.strip().splitlines()[0] if s.text.strip() else ""
    return {
        "id": s.id,
        "title": first_line[:80],
        "text": s.text,
        "date": _date(s.date),
        "themes": [t.id for t in s.themes],
        "source_body": s.source_body_id,
        "source_partner": s.source_partner_id,
        "addressee": s.addressee,
        "status": s.status,
        "logged_by": s.logged_by,
        "created_at": _ts(s.created_at),
        "updated_at": _ts(s.updated_at),
        "source_chat_id": s.source_chat_id,
        "source_message_id": s.source_message_id,
    }


async def export_store(session: AsyncSession) -> dict[str, Any]:
    """Everything in the store; KB records in the YAML's shape plus the derived keys."""
    plans = (await session.scalars(select(Plan).order_by(Plan.id))).all()
    themes = (await session.scalars(select(Theme).order_by(Theme.id))).all()
    partners = (
        await session.scalars(
            select(Partner).options(selectinload(Partner.themes)).order_by(Partner.id)
        )
    ).all()
    bodies = (
        await session.scalars(
            select(Body)
            .options(
                selectinload(Body.partners), selectinload(Body.themes), selectinload(Body.cadences)
            )
            .order_by(Body.id)
        )
    ).all()
    actions = (
        await session.scalars(
            select(Action).options(
                selectinload(Action.partners),
                selectinload(Action.themes),
                selectinload(Action.bodies),
            )
        )
    ).all()
    documents = (
        await session.scalars(select(Document).order_by(Document.source, Document.position))
    ).all()
    members = (await session.scalars(select(Member).order_by(Member.telegram_id))).all()
    meetings = (
        await session.scalars(
            select(Meeting)
            .options(selectinload(Meeting.attendees), selectinload(Meeting.body))
            .order_by(Meeting.id)
        )
    ).all()
    signals = (
        await session.scalars(
            select(Signal).options(selectinload(Signal.themes)).order_by(Signal.id)
        )
    ).all()
    audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "plans": [
            {
                "id": p.id,
                "title": p.title,
                "period": [p.period_from, p.period_to],
                "seed": p.seed,
                "sections": p.sections,
            }
            for p in plans
        ],
        "actions": [
            {
                "id": a.id,
                "plan": a.plan_id,
                "code": a.code,
                "title": a.title,
                "section": a.section,
                "description": a.description,
                "trekker": a.trekker,
                "partners": [p.id for p in a.partners],
                "partners_text": a.partners_text,
                "themes": [t.id for t in a.themes],
                "bodies": [b.id for b in a.bodies],
                "timing": a.timing,
                "werkjaren": list(a.werkjaren or []),
                "source": a.source,
            }
            for a in sorted(actions, key=lambda a: (a.plan_id, _code_key(a.code)))
        ],
        "partners": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "aliases": list(p.aliases or []),
                "description": p.description,
                "themes": [t.id for t in p.themes],
                "note": p.note,
                "retired": p.retired,
            }
            for p in partners
        ],
        "bodies": [
            {
                "id": b.id,
                "name": b.name,
                "aliases": list(b.aliases or []),
                "role": body_role(b.role),
                "w13_role": b.role,
                "role_text": b.role_text,
                "description": b.description,
                "organiser": b.organiser_id,
                "partners": [p.id for p in b.partners],
                "themes": [t.id for t in b.themes],
                "active": {"from": b.active_from, "until": b.active_until},
                "grace_days": b.grace_days,
                "cadence": [
                    {
                        "from": c.from_year,
                        "per_year": c.per_year,
                        "source": c.source,
                        "text": c.text,
                    }
                    for c in b.cadences
                ],
                "sources": list(b.sources or []),
                "retired": b.retired,
            }
            for b in bodies
        ],
        "themes": [
            {
                "id": t.id,
                "name": t.name,
                "synonyms": list(t.synonyms or []),
                "description": t.description,
                "retired": t.retired,
            }
            for t in themes
        ],
        "documents": [
            {
                "id": d.id,
                "title": d.heading or f"{d.source} §{d.position}",
                "source": d.source,
                "year": d.year,
                "heading": d.heading,
                "text": d.text,
                "position": d.position,
            }
            for d in documents
        ],
        "members": [
            {
                "id": m.telegram_id,
                "name": m.name,
                "role": m.role,
                "added_by": m.added_by,
                "created_at": _ts(m.created_at),
            }
            for m in members
        ],
        "meetings": [meeting_dict(m) for m in meetings],
        "signals": [signal_dict(s) for s in signals],
        "audit_log": [
            {
                "id": e.id,
                "at": _ts(e.at),
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "before": e.before,
                "after": e.after,
            }
            for e in audit
        ],
        # reminder_chats, reminder_snoozes, reminder_outbox, meeting_questions (issue 6)
        **(await _export_reminders(session)),
    }


async def _export_reminders(session: AsyncSession) -> dict[str, Any]:
    from storage.reminder_transfer import export_reminders

    return dict(await export_reminders(session))


# --- import -----------------------------------------------------------------------------------


class _Reader:
    """Typed access to one record of an import file, with errors naming record and field."""

    def __init__(self, origin: str, kind: str, rec: Any) -> None:
        if not isinstance(rec, dict):
            raise ImportFileError(f"{origin}: every item of '{kind}' must be an object")
        self.origin, self.kind, self.rec = origin, kind, rec

    def fail(self, fld: str, msg: str) -> ImportFileError:
        return ImportFileError(
            f"{self.origin}: {self.kind[:-1]} {self.rec.get('id')!r}, field '{fld}': {msg}"
        )

    def integer(self, fld: str, *, optional: bool = False) -> int | None:
        value = self.rec.get(fld)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(fld, "must be a whole number")
        return value

    def text(self, fld: str, *, optional: bool = False) -> str | None:
        value = self.rec.get(fld)
        if value is None and optional:
            return None
        if not isinstance(value, str) or (not value.strip() and not optional):
            raise self.fail(fld, "must be text")
        return value

    def date(self, fld: str) -> dt.date:
        try:
            return dt.date.fromisoformat(str(self.rec.get(fld)))
        except ValueError:
            raise self.fail(fld, "must be a date YYYY-MM-DD") from None

    def ts(self, fld: str) -> dt.datetime | None:
        value = self.rec.get(fld)
        if value is None:
            return None
        try:
            stamp = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(fld, "must be an ISO timestamp") from None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)

    def time_of_day(self, fld: str) -> str | None:
        value = self.rec.get(fld)
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
            raise self.fail(fld, "must be a time of day HH:MM")
        return value

    def strs(self, fld: str) -> list[str]:
        value = self.rec.get(fld) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(fld, "must be a list of text")
        return list(value)

    def choice(self, fld: str, allowed: tuple[str, ...]) -> str:
        value = self.rec.get(fld)
        if value not in allowed:
            raise self.fail(fld, f"must be one of {', '.join(allowed)}")
        return str(value)

    def ref(self, fld: str, known: set[str], what: str) -> str | None:
        value = self.rec.get(fld)
        if value is not None and value not in known:
            raise self.fail(fld, f"unknown {what} '{value}'")
        return value if value is None else str(value)

    def obj(self, fld: str) -> dict[str, Any] | None:
        value = self.rec.get(fld)
        if value is not None and not isinstance(value, dict):
            raise self.fail(fld, "must be an object")
        return value


async def store_has_user_data(session: AsyncSession) -> bool:
    for model in (Member, Meeting, Signal):
        if await session.scalar(select(func.count()).select_from(model)):
            return True
    return False


async def import_store(session: AsyncSession, data: Any, *, origin: str) -> dict[str, int]:
    """Load an export back into a store without user data; the caller commits (all or nothing)."""
    if not isinstance(data, dict) or data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise ImportFileError(f"{origin}: not a regiebot export (expected a JSON object)")
    missing = [k for k in ("plans", "actions", "partners", "bodies", "themes") if k not in data]
    if missing:
        raise ImportFileError(f"{origin}: not a regiebot export: missing {', '.join(missing)}")
    if await store_has_user_data(session):
        raise ImportFileError(
            "the database already holds members, meetings or signals; "
            "import into an empty database (set DATABASE_URL to a new one)"
        )
    try:
        kb = from_export(data, origin)
    except KnowledgeBaseError as exc:
        raise ImportFileError(str(exc)) from None
    await seed(session, kb, fingerprint=IMPORTED)
    retired = {
        kind: {r["id"] for r in data.get(kind) or [] if isinstance(r, dict) and r.get("retired")}
        for kind in ("themes", "partners", "bodies")
    }
    for kind, model in (("themes", Theme), ("partners", Partner), ("bodies", Body)):
        for rec_id in retired[kind]:
            obj: Any = await session.get(model, rec_id)
            if obj is not None:
                obj.retired = True
    await set_meta(session, FINGERPRINT_KEY, IMPORTED)
    bodies, partners, themes = kb.ids("bodies"), kb.ids("partners"), kb.ids("themes")
    counts = dict.fromkeys(USER_KINDS, 0)
    for kind in USER_KINDS:
        items = data.get(kind) or []
        if not isinstance(items, list):
            raise ImportFileError(f"{origin}: '{kind}' must be a list")
        for rec in items:
            r = _Reader(origin, kind, rec)
            session.add(_user_record(kind, r, bodies, partners, themes))
            counts[kind] += 1
    await session.flush()
    await _attach_links(session, data, partners, themes)
    from storage.reminder_transfer import import_reminders  # issue 6: only kinds present

    counts.update(await import_reminders(session, data, origin=origin))
    await _reset_sequences(session)
    return counts


def _user_record(
    kind: str, r: _Reader, bodies: set[str], partners: set[str], themes: set[str]
) -> Any:
    if kind == "members":
        return Member(
            telegram_id=r.integer("id"),
            name=r.text("name", optional=True),
            role=r.choice("role", MEMBER_ROLES),
            added_by=r.integer("added_by", optional=True),
            created_at=r.ts("created_at") or dt.datetime.now(dt.UTC),
        )
    if kind == "meetings":
        if r.rec.get("body") not in bodies:
            raise r.fail("body", f"unknown body '{r.rec.get('body')}'")
        for p in r.strs("attendees"):
            if p not in partners:
                raise r.fail("attendees", f"unknown partner '{p}'")
        return Meeting(
            id=r.integer("id"),
            body_id=r.rec["body"],
            date=r.date("date"),
            status=r.choice("status", MEETING_STATUSES),
            start_time=r.time_of_day("time"),
            topics=r.strs("topics"),
            notes=r.text("notes", optional=True),
            logged_by=r.integer("logged_by", optional=True),
            created_at=r.ts("created_at") or dt.datetime.now(dt.UTC),
            updated_at=r.ts("updated_at"),
            source_chat_id=r.integer("source_chat_id", optional=True),
            source_message_id=r.integer("source_message_id", optional=True),
        )
    if kind == "signals":
        for t in r.strs("themes"):
            if t not in themes:
                raise r.fail("themes", f"unknown theme '{t}'")
        return Signal(
            id=r.integer("id"),
            text=r.text("text"),
            date=r.date("date"),
            source_body_id=r.ref("source_body", bodies, "body"),
            source_partner_id=r.ref("source_partner", partners, "partner"),
            addressee=r.text("addressee", optional=True),
            status=r.choice("status", SIGNAL_STATUSES),
            logged_by=r.integer("logged_by", optional=True),
            created_at=r.ts("created_at") or dt.datetime.now(dt.UTC),
            updated_at=r.ts("updated_at"),
            source_chat_id=r.integer("source_chat_id", optional=True),
            source_message_id=r.integer("source_message_id", optional=True),
        )
    return AuditEntry(
        id=r.integer("id"),
        at=r.ts("at") or dt.datetime.now(dt.UTC),
        actor=r.integer("actor", optional=True),
        action=r.text("action"),
        entity=r.text("entity"),
        entity_id=str(r.rec.get("entity_id")),
        before=r.obj("before"),
        after=r.obj("after"),
    )


async def _attach_links(
    session: AsyncSession, data: dict[str, Any], partners: set[str], themes: set[str]
) -> None:
    from storage.models import MeetingAttendee, SignalTheme

    for rec in data.get("meetings") or []:
        for p in rec.get("attendees") or []:
            session.add(MeetingAttendee(meeting_id=rec["id"], partner_id=p))
    for rec in data.get("signals") or []:
        for t in rec.get("themes") or []:
            session.add(SignalTheme(signal_id=rec["id"], theme_id=t))
    await session.flush()


async def _reset_sequences(session: AsyncSession) -> None:
    # Rows were inserted with explicit ids; PostgreSQL's sequences must move past them.
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("meetings", "signals", "audit_log", "reminder_outbox", "meeting_questions"):
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


# --- the export as a ZIP: the JSON plus one CSV per table (for Excel) -----------------------

EXPORT_JSON_NAME = "regiebot-export.json"
# Cell kinds: int, text, bool (ja/nee), ids (", "-joined ids, which never hold a comma), lines
# (free-text list items one per line: they never hold a newline), json (nested values).
CSV_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "meetings": (
        ("id", "int"), ("title", "text"), ("date", "text"), ("body", "text"),
        ("status", "text"), ("topics", "lines"), ("notes", "text"), ("attendees", "ids"),
        ("logged_by", "int"), ("created_at", "text"), ("updated_at", "text"),
        ("source_chat_id", "int"), ("source_message_id", "int"),
        ("time", "text"),  # added later: at the end, so earlier columns keep their places
    ),
    "signals": (
        ("id", "int"), ("title", "text"), ("date", "text"), ("text", "text"),
        ("themes", "ids"), ("source_body", "text"), ("source_partner", "text"),
        ("addressee", "text"), ("status", "text"), ("logged_by", "int"),
        ("created_at", "text"), ("updated_at", "text"), ("source_chat_id", "int"),
        ("source_message_id", "int"),
    ),
    "bodies": (
        ("id", "text"), ("name", "text"), ("aliases", "lines"), ("role", "text"),
        ("w13_role", "text"), ("role_text", "text"), ("description", "text"),
        ("organiser", "text"), ("partners", "ids"), ("themes", "ids"), ("active", "json"),
        ("grace_days", "int"), ("cadence", "json"), ("sources", "ids"), ("retired", "bool"),
    ),
    "actions": (
        ("id", "text"), ("plan", "text"), ("code", "text"), ("title", "text"),
        ("section", "text"), ("description", "text"), ("trekker", "text"),
        ("partners", "ids"), ("partners_text", "text"), ("themes", "ids"), ("bodies", "ids"),
        ("timing", "text"), ("werkjaren", "json"), ("source", "text"),
    ),
    "partners": (
        ("id", "text"), ("name", "text"), ("kind", "text"), ("aliases", "lines"),
        ("description", "text"), ("themes", "ids"), ("note", "text"), ("retired", "bool"),
    ),
    "members": (
        ("id", "int"), ("name", "text"), ("role", "text"), ("added_by", "int"),
        ("created_at", "text"),
    ),
}  # fmt: skip
# Excel runs a cell that starts with one of these as a formula; a leading ' keeps it text (and
# is taken off again when the CSV is read back).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(kind: str, value: Any) -> str:
    import json

    if value is None:
        return ""
    if kind == "int":
        return str(int(value))
    if kind == "bool":
        return "ja" if value else "nee"
    if kind == "json":
        out = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif kind == "ids":
        out = ", ".join(str(v) for v in value)
    elif kind == "lines":
        out = "\n".join(str(v) for v in value)
    else:
        out = str(value)
    return "'" + out if out.startswith(_FORMULA_START) else out


def _uncell(kind: str, cell: str) -> Any:
    import json

    if kind == "int":
        return int(cell) if cell.strip() else None
    if kind == "bool":
        return cell.strip().casefold() in ("ja", "true", "1")
    if cell.startswith("'"):
        cell = cell[1:]
    elif not cell:
        return [] if kind in ("ids", "lines") else None
    if kind == "json":
        return json.loads(cell)
    if kind == "ids":
        return [v.strip() for v in cell.split(",") if v.strip()]
    if kind == "lines":
        return cell.split("\n")
    return cell


def table_csv(table: str, records: list[dict[str, Any]]) -> bytes:
    """One table as CSV the way Excel opens it in Flanders: UTF-8 with BOM, ';' between cells."""
    import csv
    import io

    columns = CSV_TABLES[table]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    for rec in records:
        writer.writerow([_cell(kind, rec.get(name)) for name, kind in columns])
    return buffer.getvalue().encode("utf-8-sig")


def read_csv_table(table: str, content: bytes) -> list[dict[str, Any]]:
    """A CSV written by table_csv back as records (the columns CSV_TABLES names)."""
    import csv
    import io

    columns = CSV_TABLES[table]
    try:
        reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";")
        header = next(reader, None)
        if header != [name for name, _ in columns]:
            raise ImportFileError(f"{table}.csv: unexpected columns {header}")
        return [
            {name: _uncell(kind, cell) for (name, kind), cell in zip(columns, row, strict=True)}
            for row in reader
        ]
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise ImportFileError(f"{table}.csv: not a regiebot table ({exc})") from None


def export_zip(data: dict[str, Any]) -> bytes:
    """The export as a ZIP: regiebot-export.json (for `regiebot import`) and one CSV per table."""
    import io
    import json
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_JSON_NAME, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        for table in CSV_TABLES:
            archive.writestr(f"{table}.csv", table_csv(table, list(data.get(table) or [])))
    return buffer.getvalue()


def read_export_zip(content: bytes) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """The JSON and the CSV tables of an export ZIP (ImportFileError when it is not one)."""
    import io
    import json
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            data = json.loads(archive.read(EXPORT_JSON_NAME).decode("utf-8"))
            tables = {
                table: read_csv_table(table, archive.read(f"{table}.csv")) for table in CSV_TABLES
            }
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise ImportFileError(f"not a regiebot export ZIP ({exc})") from None
    return data, tables
