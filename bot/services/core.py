"""The application core: one object the Telegram handlers, the terminal chat and tests drive.

It owns the store, the search index and the clock, and turns what a team member typed into
stored entries and answers. No Telegram here: results are plain dataclasses that the handlers
format.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.knowledge import KnowledgeBase, knowledge_from_rows
from bot.domain.meeting_line import (
    BodyAnswer,
    BodyName,
    MeetingDraft,
    RelatedName,
    match_body,
    parse_meeting_line,
    pick_body,
    read_body_answer,
    split_names,
)
from bot.domain.plain_text import PlainReading, is_question, read_signal, reads_as_meeting
from bot.domain.signal_themes import ThemeDetector
from bot.search import SearchAnswer, SearchIndex
from storage import entries, entry_index, inbox, proposals
from storage.changes import ChangeReader
from storage.entries import EntryError, Source, Stored
from storage.knowledge import knowledge_rows
from storage.proposals import ProposalRecord
from storage.store import Store

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
# Another instance's /lid reaches this one within this time (this one's own changes at once).
ROLE_TTL_SECONDS = 30.0
# Under load the change feed is read at most this often; one person's next message always
# comes later than this, so what another instance changed is there for it.
REFRESH_SECONDS = 0.25
_WORDLIKE = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Actor:
    """Who is asking, where, and (for Telegram) which update carries the request."""

    user_id: int | None
    chat_id: int | None = None
    message_id: int | None = None
    update_id: int | None = None

    @property
    def source(self) -> Source:
        return Source(user_id=self.user_id, chat_id=self.chat_id, message_id=self.message_id)


def _kin(body: dict[str, Any], bodies: list[dict[str, Any]]) -> tuple[str, ...]:
    """Bodies that carry on a stopped body's work: those that started when or after it
    stopped, sharing most of its partners and themes (the AZ-fabriek -> overleg W13-STAM)."""
    until = (body.get("active") or {}).get("until")
    if until is None:
        return ()
    mine = set(body.get("partners") or []) | {f"t:{t}" for t in body.get("themes") or []}
    scored: list[tuple[int, str]] = []
    for other in bodies:
        began = (other.get("active") or {}).get("from") or 0
        if other["id"] == body["id"] or began < until:
            continue
        theirs = set(other.get("partners") or []) | {f"t:{t}" for t in other.get("themes") or []}
        shared = len(mine & theirs)
        if shared >= 2:
            scored.append((-shared, other["id"]))
    return tuple(body_id for _, body_id in sorted(scored)[:3])


def _related_names(snapshot: dict[str, Any], bodies: list[dict[str, Any]]) -> list[RelatedName]:
    """Partners, themes and actions with the bodies each belongs to."""
    by_partner: dict[str, list[str]] = {}
    by_theme: dict[str, list[str]] = {}
    for body in bodies:
        for partner_id in body.get("partners") or []:
            by_partner.setdefault(partner_id, []).append(body["id"])
        for theme_id in body.get("themes") or []:
            by_theme.setdefault(theme_id, []).append(body["id"])
    related: list[RelatedName] = []
    for action in snapshot.get("actions", []):
        linked = tuple(action.get("bodies") or [])
        for theme_id in action.get("themes") or []:
            by_theme.setdefault(theme_id, []).extend(linked)
        code = str(action.get("code") or "")
        if code:
            related.append(RelatedName("action", action["id"], (code,), linked))
    for partner in snapshot.get("partners", []):
        if not partner.get("retired"):
            names = (partner["name"], *(partner.get("aliases") or ()))
            bodies_of = tuple(dict.fromkeys(by_partner.get(partner["id"], [])))
            related.append(RelatedName("partner", partner["id"], names, bodies_of))
    for theme in snapshot.get("themes", []):
        names = (theme["name"], *(theme.get("synonyms") or ()))
        bodies_of = tuple(dict.fromkeys(by_theme.get(theme["id"], [])))
        related.append(RelatedName("theme", theme["id"], names, bodies_of))
    return related


@dataclass
class Regie:
    """The core of regiebot, built once at start-up."""

    store: Store
    settings: Settings
    index: SearchIndex
    snapshot: dict[str, Any]
    clock: Clock
    bodies: list[BodyName] = field(default_factory=list)
    partners: list[BodyName] = field(default_factory=list)
    # partners, themes and actions: named where a body is expected, they offer their bodies
    related: list[RelatedName] = field(default_factory=list)
    # the themes' names and synonyms, compiled once, not for every signal
    themes: ThemeDetector = field(default_factory=ThemeDetector)
    # what of the change feed (the audit log) this process has applied to its index
    changes: ChangeReader = field(default_factory=ChangeReader)
    # entries this process created and indexed itself: their feed rows need no reload
    own_creates: set[tuple[str, str]] = field(default_factory=set)
    refreshed_at: float = -1e9  # time.monotonic() of the last read of the change feed
    refresh_seconds: float = REFRESH_SECONDS
    kb: KnowledgeBase = field(default_factory=KnowledgeBase)
    # user id -> (when looked up, role): the gate asks for every update
    roles: dict[int, tuple[float, str | None]] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> Regie:
        store = await Store.open(settings.database_url, kb_dir=settings.kb_dir)
        tz = ZoneInfo(settings.timezone)
        the_clock = clock or (lambda: dt.datetime.now(tz))
        changes = ChangeReader()
        async with store.sessions() as session:
            await changes.start(session)  # before the reads: a change in between is re-applied
            kb = knowledge_from_rows(await knowledge_rows(session))
        # Only the knowledge base is held: logged entries are searched in the database.
        snapshot: dict[str, Any] = dict(kb.as_records())
        index = SearchIndex.build(snapshot, today=the_clock().date())
        regie = cls(
            store=store,
            settings=settings,
            index=index,
            snapshot=snapshot,
            clock=the_clock,
            changes=changes,
            kb=kb,
        )
        regie._learn_names()
        await regie.catch_up_entry_index()
        return regie

    async def catch_up_entry_index(self, *, batch: int = 500) -> int:
        """Index the entries that are not in the database's search index yet (logged before
        it existed, or imported), and learn the indexed terms; returns how many were added.
        One query when there is nothing to do."""
        added = 0
        for kind in entry_index.KINDS:
            while True:
                async with self.store.sessions() as session:
                    if await entry_index.in_step(session, kind):
                        break
                    ids = await entry_index.unindexed(session, kind, limit=batch)
                    gone = await entry_index.stale(session, kind, limit=batch)
                    records = await entries.records_by_ids(session, kind, ids)
                if not ids and not gone:
                    break

                def unit(
                    session: Session,
                    kind: str = kind,
                    gone: list[int] = gone,
                    records: dict[int, dict[str, Any]] = records,
                ) -> None:
                    for entry_id in gone:
                        entry_index.unindex_entry_now(session, kind=kind, entry_id=entry_id)
                    for record in records.values():
                        self._index_entry_now(session, kind, record)

                await self.store.write(unit)
                added += len(records)
                if len(ids) < batch and len(gone) < batch:
                    break
        if added:
            logger.info("search index: %d logged entries indexed", added)
        async with self.store.sessions() as session:
            self.index.logged_terms = await entry_index.terms_in_use(session)
        return added

    async def reindex_entries(self) -> None:
        """Index every entry again (after an erasure scrubbed names from their texts); the
        in-memory index starts anew too, so no word of the old texts stays in its vocabulary."""
        await self.reload_knowledge_base()
        self.index.logged_terms = {}
        await self.store.write(entry_index.clear_now)
        await self.catch_up_entry_index()

    def _index_entry_now(self, session: Session, kind: str, record: dict[str, Any]) -> None:
        """Write an entry's terms to the database's search index, in the caller's unit."""
        impacts = self.index.logged_impacts(kind, record)
        day = str(record.get("date") or "")
        entry_index.index_entry_now(
            session,
            kind=kind,
            entry_id=int(record["id"]),
            day=dt.date.fromisoformat(day).toordinal() if len(day) == 10 else 0,
            status=record.get("status"),
            impacts=impacts,
        )
        self.index.learn_logged(impacts)

    def _indexed(self, kind: str, stored: Stored) -> None:
        """Note an entry this process created (and indexed in its transaction)."""
        if stored.created:
            if len(self.own_creates) > 10_000:
                self.own_creates.clear()  # only costs a reload of each when the feed comes by
            self.own_creates.add((stored.entity, str(stored.id)))

    async def refresh(self) -> None:
        """Apply what other instances (or other processes) changed since the last call.

        One query when nothing changed. Entries logged, edited or undone elsewhere are
        re-read into the search index; a member added, changed or removed is looked up again.
        """
        now = time.monotonic()
        if now - self.refreshed_at < self.refresh_seconds:
            return
        self.refreshed_at = now
        async with self.store.sessions() as session:
            fresh = await self.changes.new(session)
            if not fresh:
                return
            to_load: dict[tuple[str, str], None] = {}
            reload_all = False
            for change in fresh:
                key = (change.entity, change.entity_id)
                if change.action == "create" and key in self.own_creates:
                    self.own_creates.discard(key)
                    continue
                if change.entity == "member":
                    if change.entity_id.isdigit():
                        self.forget_role(int(change.entity_id))
                    if change.action == "erase":
                        reload_all = True  # names were scrubbed from entries
                elif change.entity in ("meeting", "signal") and change.entity_id.isdigit():
                    to_load[key] = None
            if reload_all:
                self.roles.clear()
                # names were scrubbed: start the words of the logs anew (their index in the
                # database was rebuilt by the instance that erased)
                self.index.rebuild(self.snapshot)
                self.index.logged_terms = await entry_index.terms_in_use(session)
            # The entries themselves are searched in the database; what this process keeps
            # of them is their words, for the question reader's typo tolerance.
            for kind in entry_index.KINDS:
                ids = [int(i) for e, i in to_load if f"{e}s" == kind]
                for record in (await entries.records_by_ids(session, kind, ids)).values():
                    self.index.learn_logged(self.index.logged_impacts(kind, record))

    async def close(self) -> None:
        await self.store.close()

    def today(self) -> dt.date:
        return self.clock().date()

    def _learn_names(self) -> None:
        self.themes = ThemeDetector.build(self.snapshot.get("themes", []))
        live_bodies = [b for b in self.snapshot.get("bodies", []) if not b.get("retired")]
        self.bodies = [
            BodyName(
                id=b["id"],
                name=b["name"],
                aliases=tuple(b.get("aliases") or ()),
                first_year=(b.get("active") or {}).get("from"),
                last_year=(b.get("active") or {}).get("until"),
                organised=b.get("role") == "organiser",
                kin=_kin(b, live_bodies),
            )
            for b in live_bodies
        ]
        self.related = _related_names(self.snapshot, live_bodies)
        self.partners = [
            BodyName(id=p["id"], name=p["name"], aliases=tuple(p.get("aliases") or ()))
            for p in self.snapshot.get("partners", [])
            if not p.get("retired")
        ]

    def body(self, body_id: str) -> dict[str, Any] | None:
        return next((b for b in self.snapshot.get("bodies", []) if b["id"] == body_id), None)

    def record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        return next((r for r in self.snapshot.get(kind, []) if r["id"] == record_id), None)

    async def reload_knowledge_base(self) -> None:
        """Re-seed from data/ when it changed and rebuild the index (no restart)."""
        await self.store.seed_if_changed(self.settings.kb_dir)
        async with self.store.sessions() as session:
            self.kb = knowledge_from_rows(await knowledge_rows(session))
        self.snapshot = dict(self.kb.as_records())
        logged_terms = self.index.logged_terms
        self.index.rebuild(self.snapshot)
        self.index.logged_terms = logged_terms
        self._learn_names()
        if gc.get_freeze_count():
            # Start-up objects were frozen out of the collector
            # (bot.interface.application.settle_memory). The old index holds reference cycles:
            # thaw so that it can go (with any erased name in it), then freeze what is alive now.
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    # --- access -------------------------------------------------------------------------------

    async def role_of(self, user_id: int | None) -> str | None:
        """'admin', 'member' or None (not allowed)."""
        if user_id is None:
            return None
        if user_id in self.settings.admins:
            return "admin"
        cached = self.roles.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < ROLE_TTL_SECONDS:
            return cached[1]
        async with self.store.sessions() as session:
            stored = await entries.member_role(session, user_id)
        role = stored or ("member" if user_id in self.settings.allowed_users else None)
        if len(self.roles) > 10_000:
            self.roles.clear()
        self.roles[user_id] = (time.monotonic(), role)
        return role

    def forget_role(self, user_id: int) -> None:
        """Look the user's role up again next time (after /lid changed it)."""
        self.roles.pop(user_id, None)

    async def discard_update(self, update_id: int | None) -> None:
        """Forget a stored update entirely: one from someone who may not use the bot."""
        if update_id is None:
            return
        async with self.store.writing() as session:
            await inbox.discard(session, update_id)
            await session.commit()

    # --- questions ----------------------------------------------------------------------------

    def ask_knowledge(self, question: str) -> SearchAnswer:
        """The knowledge base's part of an answer only (no logged entries): no database."""
        return self.index.search(question, today=self.today())

    async def ask(self, question: str, *, limit: int = 10) -> SearchAnswer:
        """Answer a question from the knowledge base and what the team logged (read from the
        database's search index, so what any instance logged is found at once)."""
        known = self.index.logged_terms

        async def fetch(
            kinds: Sequence[str], terms: Sequence[str], cap: int
        ) -> dict[str, entry_index.Fetched]:
            # Terms no entry holds need no read (the known terms are kept current by this
            # process's writes and by the change feed).
            wanted = [t for t in terms if t in known]
            if not wanted:
                return {kind: entry_index.Fetched(kind=kind, entries=0) for kind in kinds}
            return await self.store.read(
                lambda session: {
                    kind: entry_index.fetch_now(session, kind, wanted, cap) for kind in kinds
                }
            )

        async def load(
            wanted: Mapping[str, Sequence[int]],
        ) -> dict[str, dict[int, dict[str, Any]]]:
            return await self.store.read(
                lambda session: {
                    kind: entries.records_by_ids_now(session, kind, list(ids))
                    for kind, ids in wanted.items()
                }
            )

        return await self.index.search_db(question, fetch, load, limit=limit, today=self.today())

    # --- meetings -----------------------------------------------------------------------------

    def read_body_answer(self, text: str, *, year: int) -> BodyAnswer:
        """A body's name typed in answer to "which body?"."""
        return read_body_answer(text, bodies=self.bodies, related=self.related, year=year)

    def parse_meeting(self, text: str) -> MeetingDraft:
        return parse_meeting_line(
            text, today=self.today(), bodies=self.bodies, related=self.related
        )

    async def save_meeting(
        self,
        actor: Actor,
        *,
        body_id: str,
        date: dt.date,
        topics: list[str],
        notes: str | None = None,
        attendees: list[str] | None = None,
        start_time: dt.time | None = None,
    ) -> Stored:
        def unit(session: Session) -> Stored:
            stored = self._log_meeting_now(
                session,
                actor.source,
                body_id=body_id,
                date=date,
                topics=topics,
                notes=notes,
                attendees=attendees,
                start_time=start_time,
            )
            self._mark_now(session, actor)
            return stored

        stored = await self.store.write(unit)
        self._indexed("meetings", stored)
        return stored

    async def update_meeting(self, actor: Actor, meeting_id: int, **changes: Any) -> Stored:
        return await self._update_entry(actor, "meetings", meeting_id, changes)

    async def _update_entry(
        self, actor: Actor, kind: str, entry_id: int, changes: dict[str, Any]
    ) -> Stored:
        """Change a meeting or signal, re-index it and mark the update, in one transaction."""
        update = entries.update_meeting if kind == "meetings" else entries.update_signal
        async with self.store.writing() as session:
            stored = await update(session, entry_id, actor=actor.user_id, **changes)
            record = stored.record
            await session.run_sync(lambda s: self._index_entry_now(s, kind, record))
            await self._mark(session, actor)
            await session.commit()
        return stored

    def _log_meeting_now(
        self,
        session: Session,
        source: Source,
        *,
        body_id: str,
        date: dt.date,
        topics: list[str],
        notes: str | None = None,
        attendees: list[str] | None = None,
        start_time: dt.time | None = None,
    ) -> Stored:
        body = self.body(body_id)
        stored = entries.log_meeting_now(
            session,
            body_id=body_id,
            date=date,
            status="planned" if date > self.today() else "held",
            topics=topics,
            notes=notes,
            attendees=attendees,
            source=source,
            body_name=body["name"] if body is not None else None,
            start_time=start_time.strftime("%H:%M") if start_time is not None else None,
        )
        if stored.created:
            self._index_entry_now(session, "meetings", stored.record)
        return stored

    # --- plain messages -----------------------------------------------------------------------

    def read_plain(self, text: str) -> PlainReading | None:
        """A plain message that reports a meeting or a signal; None for a question or search."""
        signal_text = read_signal(text)
        if signal_text is not None:
            return PlainReading(kind="signal", text=signal_text)
        if is_question(text):
            return None
        draft = self.parse_meeting(text)
        if reads_as_meeting(draft):
            return PlainReading(kind="meeting", text=text, draft=draft)
        return None

    async def propose(self, actor: Actor, reading: PlainReading, typed: str) -> ProposalRecord:
        """Keep what a plain message would store until the user taps; marks its update."""
        if actor.chat_id is None or actor.message_id is None:
            raise EntryError("Dit bericht kan ik niet als voorstel bewaren.")
        payload: dict[str, Any]
        if reading.kind == "signal":
            payload = {"text": reading.text, "themes": self.detect_themes(reading.text)}
        else:
            draft = reading.draft
            assert draft is not None
            assert draft.date is not None
            payload = {
                "body_id": draft.body_id,
                "candidates": [c for c, _ in draft.body_candidates],
                "date": draft.date.isoformat(),
                "time": draft.time.strftime("%H:%M") if draft.time else None,
                "topics": draft.topics,
            }
        chat_id, message_id = actor.chat_id, actor.message_id

        def unit(session: Session) -> ProposalRecord:
            made = proposals.propose_now(
                session,
                chat_id=chat_id,
                message_id=message_id,
                user_id=actor.user_id,
                kind=reading.kind,
                payload=payload,
                text=typed,
            )
            self._mark_now(session, actor)
            return made

        return await self.store.write(unit)

    async def proposal(self, proposal_id: int) -> ProposalRecord | None:
        async with self.store.sessions() as session:
            return await session.run_sync(lambda s: proposals.get_now(s, proposal_id))

    async def accept_proposal(
        self, actor: Actor, proposal_id: int, *, body_id: str | None = None, admin: bool = False
    ) -> Stored:
        """Store what the proposal holds ([Opslaan], or a body button): once, however often
        it is tapped, and only by who proposed it (or an admin) in that chat."""
        found = await self.proposal(proposal_id)
        if found is None or found.chat_id != actor.chat_id:
            raise EntryError("Dit voorstel bestaat niet (meer).")
        if not admin and found.user_id != actor.user_id:
            raise EntryError("Enkel wie het bericht stuurde, kan dit opslaan.")
        if found.status == "declined":
            raise EntryError("Dit voorstel werd al afgewezen; stuur het bericht opnieuw.")
        source = Source(user_id=found.user_id, chat_id=found.chat_id, message_id=found.message_id)
        data = found.payload
        if found.kind == "meeting":
            chosen = body_id or data.get("body_id")
            if chosen is None or self.body(chosen) is None:
                raise EntryError("Kies eerst het overlegorgaan.")
            offered = [*(data.get("candidates") or []), data.get("body_id")]
            if body_id is not None and body_id not in offered:
                raise EntryError("Dat overlegorgaan hoort niet bij dit voorstel.")
            day = dt.date.fromisoformat(data["date"])
            moment = dt.time.fromisoformat(data["time"]) if data.get("time") else None

            def unit(session: Session) -> Stored:
                _close_for_saving(session, proposal_id, "meeting", source)
                stored = self._log_meeting_now(
                    session,
                    source,
                    body_id=chosen,
                    date=day,
                    topics=list(data.get("topics") or []),
                    start_time=moment,
                )
                self._mark_now(session, actor)
                return stored

            stored = await self.store.write(unit)
            self._indexed("meetings", stored)
            return stored
        text = str(data.get("text") or "")
        themes = list(data.get("themes") or [])

        def signal_unit(session: Session) -> Stored:
            _close_for_saving(session, proposal_id, "signal", source)
            stored = self._record_signal_now(session, source, text=text, themes=themes)
            self._mark_now(session, actor)
            return stored

        stored = await self.store.write(signal_unit)
        self._indexed("signals", stored)
        return stored

    async def decline_proposal(self, actor: Actor, proposal_id: int) -> ProposalRecord:
        """[Nee, zoeken]: the proposal is closed unsaved; returns it (for its text)."""
        found = await self.proposal(proposal_id)
        if found is None or found.chat_id != actor.chat_id:
            raise EntryError("Dit voorstel bestaat niet (meer).")

        def unit(session: Session) -> None:
            proposals.close_now(session, proposal_id, "declined")
            self._mark_now(session, actor)

        await self.store.write(unit)
        return found

    # --- signals ------------------------------------------------------------------------------

    def detect_themes(self, text: str) -> list[str]:
        """Theme ids the text names (bot.domain.signal_themes: words, inflections, compounds)."""
        return self.themes.detect(text)

    async def record_signal(self, text: str, actor: Actor) -> Stored:
        if not _WORDLIKE.search(text):  # empty, or only punctuation or emoji: nothing to pass on
            raise EntryError(
                "Een signaal heeft tekst nodig: wat stelde je vast? "
                "Bv. /signaal instroom ligt lager."
            )
        themes = self.detect_themes(text)  # before taking the write lock: it is held briefly

        def unit(session: Session) -> Stored:
            stored = self._record_signal_now(session, actor.source, text=text, themes=themes)
            self._mark_now(session, actor)
            return stored

        stored = await self.store.write(unit)
        self._indexed("signals", stored)
        return stored

    def _record_signal_now(
        self, session: Session, source: Source, *, text: str, themes: list[str]
    ) -> Stored:
        """Store a signal dated today and index it, in the caller's unit."""
        stored = entries.record_signal_now(
            session, text=text, date=self.today(), themes=themes, source=source
        )
        if stored.created:
            self._index_entry_now(session, "signals", stored.record)
        return stored

    async def update_signal(self, actor: Actor, signal_id: int, **changes: Any) -> Stored:
        return await self._update_entry(actor, "signals", signal_id, changes)

    async def signals(self) -> list[dict[str, Any]]:
        """Every signal as stored now, newest first."""
        async with self.store.sessions() as session:
            return await entries.list_signals(session)

    async def meeting(self, meeting_id: int) -> dict[str, Any] | None:
        async with self.store.sessions() as session:
            return await entries.get_meeting(session, meeting_id)

    async def signal(self, signal_id: int) -> dict[str, Any] | None:
        async with self.store.sessions() as session:
            return await entries.get_signal(session, signal_id)

    async def signals_page(
        self,
        *,
        open_only: bool = False,
        theme_ids: list[str] | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[int, list[dict[str, Any]]]:
        async with self.store.sessions() as session:
            return await entries.page_signals(
                session, open_only=open_only, theme_ids=theme_ids, offset=offset, limit=limit
            )

    async def check_may_change(
        self, actor: Actor, entity: str, entry_id: int, *, admin: bool
    ) -> None:
        """Raise EntryError unless the entry exists and is the actor's own (admins: any)."""
        async with self.store.sessions() as session:
            exists, owner = await entries.entry_owner(session, entity, entry_id)
        if not exists:
            raise EntryError("Dat staat niet (meer) in de lijst.")
        if not admin and owner != actor.user_id:
            raise EntryError("Je kan enkel je eigen invoer wijzigen.")

    def match_partners(self, text: str) -> tuple[list[str], list[str]]:
        """Partner ids named in a comma-separated list, and the names not recognised."""
        found: list[str] = []
        unknown: list[str] = []
        for name in split_names(text):
            partner_id = pick_body(match_body(name, self.partners))
            if partner_id is None:
                unknown.append(name)
            elif partner_id not in found:
                found.append(partner_id)
        return found, unknown

    async def recent_meetings(self, body_id: str, *, limit: int = 5) -> list[dict[str, Any]]:
        async with self.store.sessions() as session:
            return await entries.recent_meetings(session, body_id=body_id, limit=limit)

    # --- members ------------------------------------------------------------------------------

    async def set_member(self, actor: Actor, telegram_id: int, name: str | None) -> bool:
        """Allow a member (True when new); the change is audited."""
        async with self.store.writing() as session:
            created = await entries.add_member(
                session, telegram_id=telegram_id, name=name, role="member", actor=actor.user_id
            )
            await self._mark(session, actor)
            await session.commit()
        self.forget_role(telegram_id)
        return created

    async def remove_member(self, actor: Actor, telegram_id: int) -> bool:
        """Remove a member added with /lid (True when there was one)."""
        async with self.store.writing() as session:
            removed = await entries.remove_member(
                session, telegram_id=telegram_id, actor=actor.user_id
            )
            await self._mark(session, actor)
            await session.commit()
        self.forget_role(telegram_id)
        return removed

    # --- undo ---------------------------------------------------------------------------------

    async def undo(
        self,
        actor: Actor,
        *,
        entity: str | None = None,
        entry_id: int | None = None,
        admin: bool = False,
    ) -> dict[str, Any]:
        """Remove an entry: the given one, or the actor's newest. Only one's own unless admin."""
        async with self.store.writing() as session:
            if entity is None or entry_id is None:
                last = await entries.last_entry(session, user_id=actor.user_id)
                if last is None:
                    raise EntryError("Je hebt nog niets gelogd dat ik ongedaan kan maken.")
                entity, entry_id = last
            if entity == "meeting":
                await _check_owner(session, entries._meeting, entry_id, actor, admin)
                before = await entries.delete_meeting(session, entry_id, actor=actor.user_id)
            else:
                await _check_owner(session, entries._signal, entry_id, actor, admin)
                before = await entries.delete_signal(session, entry_id, actor=actor.user_id)
            kind, gone = ("meetings" if entity == "meeting" else "signals"), entry_id
            await session.run_sync(
                lambda s: entry_index.unindex_entry_now(s, kind=kind, entry_id=gone)
            )
            await self._mark(session, actor)
            await session.commit()
        return {"entity": entity, **before}

    # --- the inbox ----------------------------------------------------------------------------

    async def _mark(self, session: Any, actor: Actor) -> None:
        """Mark the update handled in the transaction of its effects: both or neither."""
        if actor.update_id is not None:
            await inbox.mark_handled(session, actor.update_id)

    def _mark_now(self, session: Session, actor: Actor) -> None:
        """_mark for a synchronous unit (Store.write): in the same transaction as well.

        A new entry's unique source message alone would not do: after an undo the entry is
        gone, and an unmarked update replayed after a crash would store it again.
        """
        if actor.update_id is not None:
            inbox.mark_handled_now(session, actor.update_id)


def _close_for_saving(session: Session, proposal_id: int, kind: str, source: Source) -> None:
    """Close the proposal as saved; a second tap finds the entry of the first, but an entry
    that was saved and then undone does not come back."""
    if not proposals.close_now(session, proposal_id, "saved") and (
        entries.stored_from_now(session, kind, source) is None
    ):
        raise EntryError("Dit voorstel werd al opgeslagen en daarna ongedaan gemaakt.")


async def _check_owner(session: Any, load: Any, entry_id: int, actor: Actor, admin: bool) -> None:
    record = await load(session, entry_id)
    if record is None:
        raise EntryError("Dat staat niet (meer) in de lijst.")
    if not admin and record.logged_by != actor.user_id:
        raise EntryError("Je kan enkel je eigen invoer ongedaan maken.")
