"""SQLAlchemy 2 typed models: the knowledge base seeded from data/ and what users add."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Status values, kept as plain strings so the YAML, JSON export and database agree verbatim.
MEETING_STATUSES = ("held", "planned", "cancelled")
SIGNAL_STATUSES = ("nieuw", "doorgegeven", "beantwoord", "afgesloten")
BODY_ROLES = ("trekker", "facilitator", "participant", "extern")
MEMBER_ROLES = ("member", "admin")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- knowledge base -------------------------------------------------------------------------


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    period_from: Mapped[int] = mapped_column(Integer)
    period_to: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str | None] = mapped_column(String(10))
    sections: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Theme(Base):
    __tablename__ = "themes"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    synonyms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Kept (not deleted) when it disappears from data/ while signals still refer to it.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    themes: Mapped[list[Theme]] = relationship(secondary="partner_themes", order_by=Theme.id)


class PartnerTheme(Base):
    __tablename__ = "partner_themes"

    partner_id: Mapped[str] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id"), primary_key=True)


class Body(Base):
    __tablename__ = "bodies"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    role_text: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    organiser_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"))
    active_from: Mapped[int | None] = mapped_column(Integer)
    active_until: Mapped[int | None] = mapped_column(Integer)
    grace_days: Mapped[int | None] = mapped_column(Integer)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    cadences: Mapped[list[Cadence]] = relationship(
        back_populates="body", order_by="Cadence.from_year", cascade="all, delete-orphan"
    )
    partners: Mapped[list[Partner]] = relationship(secondary="body_partners", order_by=Partner.id)
    themes: Mapped[list[Theme]] = relationship(secondary="body_themes", order_by=Theme.id)

    @property
    def organised_by_w13(self) -> bool:
        return self.role in ("trekker", "facilitator")


class Cadence(Base):
    __tablename__ = "cadences"
    __table_args__ = (UniqueConstraint("body_id", "from_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    body_id: Mapped[str] = mapped_column(ForeignKey("bodies.id", ondelete="CASCADE"))
    from_year: Mapped[int] = mapped_column(Integer)
    per_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)

    body: Mapped[Body] = relationship(back_populates="cadences")


class BodyPartner(Base):
    __tablename__ = "body_partners"

    body_id: Mapped[str] = mapped_column(
        ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)


class BodyTheme(Base):
    __tablename__ = "body_themes"

    body_id: Mapped[str] = mapped_column(
        ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id"), primary_key=True)


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    trekker: Mapped[str | None] = mapped_column(Text)
    partners_text: Mapped[str | None] = mapped_column(Text)
    timing: Mapped[str | None] = mapped_column(Text)
    werkjaren: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)

    partners: Mapped[list[Partner]] = relationship(
        secondary="action_partners", order_by=Partner.id
    )
    themes: Mapped[list[Theme]] = relationship(secondary="action_themes", order_by=Theme.id)
    bodies: Mapped[list[Body]] = relationship(secondary="action_bodies", order_by=Body.id)


class ActionPartner(Base):
    __tablename__ = "action_partners"

    action_id: Mapped[str] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)


class ActionTheme(Base):
    __tablename__ = "action_themes"

    action_id: Mapped[str] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id"), primary_key=True)


class ActionBody(Base):
    __tablename__ = "action_bodies"

    action_id: Mapped[str] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[str] = mapped_column(ForeignKey("bodies.id"), primary_key=True)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class Meta(Base):
    """Key/value facts about the store itself (e.g. the fingerprint of the seeded data/)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- what users add -------------------------------------------------------------------------


class Member(Base):
    __tablename__ = "members"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="member")
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Meeting(Base):
    __tablename__ = "meetings"
    # A Telegram message stores at most one meeting, also when an update is delivered twice.
    __table_args__ = (UniqueConstraint("source_chat_id", "source_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    body_id: Mapped[str] = mapped_column(ForeignKey("bodies.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="held")
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    logged_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    start_time: Mapped[str | None] = mapped_column(String(5))  # "14:30", when one was given

    body: Mapped[Body] = relationship()
    attendees: Mapped[list[Partner]] = relationship(
        secondary="meeting_attendees", order_by=Partner.id
    )


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)


class Signal(Base):
    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("source_chat_id", "source_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    source_body_id: Mapped[str | None] = mapped_column(ForeignKey("bodies.id"))
    source_partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"))
    addressee: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="nieuw")
    logged_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)

    themes: Mapped[list[Theme]] = relationship(secondary="signal_themes", order_by=Theme.id)


class SignalTheme(Base):
    __tablename__ = "signal_themes"

    signal_id: Mapped[int] = mapped_column(
        ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id"), primary_key=True)


class AuditEntry(Base):
    """One change to user data: who, when, what, and the record before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(60), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


KB_MODELS: tuple[type[Base], ...] = (Plan, Theme, Partner, Body, Action, Document)


class InboxUpdate(Base):
    """A Telegram update as received, stored before Telegram is told it arrived.

    The update is handled from here; `handled_at` is set when its effects are committed, so
    an update fetched just before a crash is handled after the restart instead of being lost.
    Negative ids are the terminal chat's own updates, kept apart from Telegram's (see
    storage/inbox.py).
    """

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


# --- reminders (issue 6) --------------------------------------------------------------------
# Body ids below are plain strings, not foreign keys: seeding may delete a body that is gone
# from data/, and a reminder, snooze or follow list must never block that (nor break on it).

from sqlalchemy import Index  # noqa: E402  (kept with the reminder models it serves)

# The status aggregate (held meetings per body up to a date) reads only this index.
Index("ix_meetings_status_body_date", Meeting.status, Meeting.body_id, Meeting.date)

OUTBOX_STATUSES = ("pending", "sent", "skipped", "failed")


class ReminderChat(Base):
    """A chat's reminder settings: on or off, and whether it narrowed itself to some bodies."""

    __tablename__ = "reminder_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # True once /volg named a body: only the followed bodies count, else all but the muted.
    narrowed: Mapped[bool] = mapped_column(Boolean, default=False)
    chat_type: Mapped[str | None] = mapped_column(String(20))
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReminderChatBody(Base):
    """A body a chat follows (follows=True) or left out (follows=False, /ontvolg)."""

    __tablename__ = "reminder_chat_bodies"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_chats.chat_id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    follows: Mapped[bool] = mapped_column(Boolean, default=True)


class ReminderSnooze(Base):
    """No reminder about this body in this chat up to and including `until`."""

    __tablename__ = "reminder_snoozes"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    until: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # "snooze" (2 weken) or "year"
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReminderOutbox(Base):
    """One reminder about one body for one chat in one period, recorded before it is sent.

    The unique key makes a second sweep for the same period (another instance, a restart, a
    second `regiebot remind`) record nothing new; `sent_at` is set once Telegram confirmed.
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (UniqueConstraint("chat_id", "body_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body_id: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    run_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    held: Mapped[int] = mapped_column(Integer, default=0)
    expected: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(String(20))  # the button pressed, if any


class MeetingQuestion(Base):
    """The question whether a planned meeting whose date passed took place: asked once."""

    __tablename__ = "meeting_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(Integer, unique=True)
    body_id: Mapped[str] = mapped_column(String(60))
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(String(20))  # "held" or "cancelled"
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Proposal(Base):
    """What a plain message would store, shown with [Opslaan]; stored only on the tap.

    One per Telegram message (unique chat and message), so a message delivered twice proposes
    once, and the entry it becomes carries the same source message, so two taps store once.
    """

    __tablename__ = "proposals"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))  # meeting | signal
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)  # the message as typed, for "Nee, zoeken"
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | saved | declined
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class EntryPosting(Base):
    """The search index of what users logged, in the database: one row per term of an entry.

    Written with the entry, in its transaction, from the bot's own analysis of the text (the
    terms and their BM25F impacts); read per question for that question's terms only, newest
    first. So no process holds the logged entries, and each sees the others' at once.
    """

    __tablename__ = "entry_postings"
    __table_args__ = (
        Index("ix_entry_postings_kind_term_day", "kind", "term", "day"),
        Index("ix_entry_postings_kind_entry_id", "kind", "entry_id"),
    )

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # meetings | signals
    term: Mapped[str] = mapped_column(String(120), primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)  # date ordinal, for newest-first reads
    impact: Mapped[float] = mapped_column(Float)


class EntryTerm(Base):
    """How many entries of a kind hold a term (the idf of the index above)."""

    __tablename__ = "entry_terms"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    term: Mapped[str] = mapped_column(String(120), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)


class EntryDoc(Base):
    """One indexed entry: its date and whether it counts less (a cancelled meeting)."""

    __tablename__ = "entry_docs"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(20))
