"""Reminders on a real database: who is told what, the outbox's exactly-once, snoozes, follow
lists, planned-meeting questions, and the scheduling rules."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from bot.config import Settings
from bot.services.reminder_buttons import (
    button_target,
    open_question,
    record_answer,
    snooze_from_button,
)
from bot.services.reminder_rules import (
    OutgoingMessage,
    catch_up_due,
    in_quiet_hours,
    quiet_hours_end,
    scheduled_decision,
)
from bot.services.reminders import (
    ChatBlocked,
    ReminderError,
    ReminderPolicy,
    SendFailed,
    record_due,
    run_check,
)
from bot.services.status import build_status
from storage import reminders as rstore
from storage.models import Body, Meeting, MeetingQuestion, ReminderOutbox
from storage.store import Store
from tests.conftest import DATA_DIR, DatabaseFactory
from tests.fakes import parse_html

pytestmark = pytest.mark.asyncio

D = dt.date
BRUSSELS = ZoneInfo("Europe/Brussels")
# Wednesday 17 June 2026: ROA, ROSE-actiegroep, ... are behind (1 expected, none held).
DAY = D(2026, 6, 17)
NOW = dt.datetime(2026, 6, 17, 7, 0, tzinfo=dt.UTC)
TEAM = 1001
GROUP = -100200300
POLICY = ReminderPolicy()


class FakeSender:
    """Records what would go to Telegram; can block chats or fail like a flaky network."""

    def __init__(
        self, *, blocked: set[int] | None = None, failures: int = 0, delay: float = 0.0
    ) -> None:
        self.sent: list[OutgoingMessage] = []
        self.blocked = blocked or set()
        self.failures = failures
        self.delay = delay

    async def __call__(self, message: OutgoingMessage) -> int:
        if self.delay:
            await asyncio.sleep(self.delay)
        if message.chat_id in self.blocked:
            raise ChatBlocked("Forbidden: bot was blocked by the user")
        if self.failures:
            self.failures -= 1
            raise SendFailed("Bad Gateway")
        parse_html(message.text)  # what Telegram would accept
        self.sent.append(message)
        return len(self.sent)

    def bodies(self, chat_id: int | None = None) -> list[str]:
        return [
            data.split(":")[2]
            for m in self.sent
            if chat_id is None or m.chat_id == chat_id
            for row in m.buttons
            for _, data in row
            if data.startswith("rm:l:")
        ]


async def subscribe(store: Store, chat_id: int, *bodies: str) -> None:
    async with store.sessions() as session:
        await rstore.set_enabled(
            session, chat_id=chat_id, enabled=True, chat_type="private", by=TEAM
        )
        for body_id in bodies:
            await rstore.follow(session, chat_id=chat_id, body_id=body_id, by=TEAM)
        await session.commit()


async def add_meeting(
    store: Store,
    body_id: str,
    day: dt.date,
    *,
    status: str = "held",
    chat: int | None = None,
    by: int | None = TEAM,
) -> int:
    async with store.sessions() as session:
        meeting = Meeting(
            body_id=body_id,
            date=day,
            status=status,
            topics=[],
            logged_by=by,
            source_chat_id=chat,
        )
        session.add(meeting)
        await session.commit()
        return meeting.id


async def outbox(store: Store) -> list[ReminderOutbox]:
    async with store.sessions() as session:
        return list(await session.scalars(select(ReminderOutbox).order_by(ReminderOutbox.id)))


async def check(
    store: Store, send: FakeSender, *, day: dt.date = DAY, now: dt.datetime = NOW, **kw: object
) -> object:
    return await run_check(store, today=day, now=now, send=send, policy=POLICY, **kw)  # type: ignore[arg-type]


# --- who is told what -----------------------------------------------------------------------


async def test_a_subscribed_chat_gets_one_message_listing_the_behind_bodies(store: Store) -> None:
    await subscribe(store, TEAM)
    await add_meeting(store, "roa", D(2026, 3, 1))  # ROA is on schedule
    send = FakeSender()
    report = await run_check(store, today=DAY, now=NOW, send=send, policy=POLICY)
    assert len(send.sent) == 1
    message = send.sent[0]
    assert message.chat_id == TEAM
    status = await build_status(store, on=DAY)
    behind = {r.id for r in status.behind}
    assert "roa" not in behind
    assert "rose-actiegroep" in behind
    assert set(report.behind) == behind  # type: ignore[attr-defined]
    assert (
        "<b>ROSE-actiegroep</b>: 0 gehouden, 1 verwacht tegen nu, doel 4 per jaar" in message.text
    )
    assert "laatste vergadering: nog geen" in message.text
    rows = await outbox(store)
    assert {r.body_id for r in rows} == behind
    assert all(r.status == "sent" and r.message_id == 1 for r in rows)
    assert all(r.period == "2026-06-17" for r in rows)
    # One [Vergadering loggen] per body, each with the outbox row inside, within 64 bytes.
    assert sorted(int(i) for i in send.bodies()) == sorted(r.id for r in rows)
    for row in message.buttons:
        for label, data in row:
            assert len(data.encode()) <= 64
            assert label


async def test_a_single_behind_body_gets_the_three_plain_buttons(store: Store) -> None:
    await subscribe(store, TEAM, "roa")
    send = FakeSender()
    await check(store, send)
    [message] = send.sent
    labels = [label for row in message.buttons for label, _ in row]
    assert labels == ["Vergadering loggen", "2 weken uitstellen", "Dit jaar niet meer"]
    assert "Regionaal Overleg Activering (ROA)" in message.text


async def test_chats_with_reminders_off_or_never_on_get_nothing(store: Store) -> None:
    await subscribe(store, TEAM)
    async with store.sessions() as session:
        await rstore.set_enabled(session, chat_id=TEAM, enabled=False, chat_type=None, by=TEAM)
        await session.commit()
    send = FakeSender()
    await check(store, send)
    assert send.sent == []
    assert await outbox(store) == []


async def test_nothing_is_sent_when_no_body_is_behind(store: Store) -> None:
    await subscribe(store, TEAM)
    send = FakeSender()
    await check(store, send, day=D(2026, 1, 15))  # within the grace period
    assert send.sent == []


async def test_follow_narrows_and_unfollow_excludes(store: Store) -> None:
    await subscribe(store, TEAM, "roa")
    await subscribe(store, GROUP)
    async with store.sessions() as session:
        await rstore.unfollow(session, chat_id=GROUP, body_id="roa", by=TEAM)
        await session.commit()
    send = FakeSender()
    await check(store, send)
    bodies = {m.chat_id: m.text for m in send.sent}
    assert "ROA" in bodies[TEAM]
    assert "ROSE-actiegroep" not in bodies[TEAM]
    assert "ROSE-actiegroep" in bodies[GROUP]
    assert "ROA" not in bodies[GROUP]


async def test_unfollowing_the_last_followed_body_leaves_the_chat_following_none(
    store: Store,
) -> None:
    await subscribe(store, TEAM, "roa")
    async with store.sessions() as session:
        assert await rstore.unfollow(session, chat_id=TEAM, body_id="roa", by=TEAM)
        assert not await rstore.unfollow(session, chat_id=TEAM, body_id="roa", by=TEAM)
        await session.commit()
    send = FakeSender()
    await check(store, send)
    assert send.sent == []
    async with store.sessions() as session:
        await rstore.follow_all(session, chat_id=TEAM, by=TEAM)
        await session.commit()
    await check(store, send)
    assert len(send.sent) == 1


# --- exactly once -----------------------------------------------------------------------------


async def test_a_second_run_for_the_same_date_sends_nothing_new(store: Store) -> None:
    await subscribe(store, TEAM)
    send = FakeSender()
    first = await check(store, send)
    second = await check(store, send)
    assert len(send.sent) == 1
    assert first.recorded > 0  # type: ignore[attr-defined]
    assert second.recorded == 0  # type: ignore[attr-defined]
    assert second.reminders == []  # type: ignore[attr-defined]


async def test_a_chat_is_not_reminded_about_the_same_body_within_seven_days(store: Store) -> None:
    await subscribe(store, TEAM)
    send = FakeSender()
    await check(store, send)
    for offset in range(1, 7):
        await check(store, send, day=DAY + dt.timedelta(days=offset))
    assert len(send.sent) == 1
    await check(store, send, day=DAY + dt.timedelta(days=7))
    assert len(send.sent) == 2
    policy = ReminderPolicy(every_days=2)
    await run_check(store, today=DAY + dt.timedelta(days=9), now=NOW, send=send, policy=policy)
    assert len(send.sent) == 3


async def test_two_instances_on_one_database_send_each_reminder_once(
    store: Store, database_url: str
) -> None:
    for chat in range(5):
        await subscribe(store, 5000 + chat)
    other = await Store.open(database_url, kb_dir=DATA_DIR)
    try:
        send_a, send_b = FakeSender(delay=0.01), FakeSender(delay=0.01)
        await asyncio.gather(
            run_check(store, today=DAY, now=NOW, send=send_a, policy=POLICY, instance="a"),
            run_check(other, today=DAY, now=NOW, send=send_b, policy=POLICY, instance="b"),
            run_check(store, today=DAY, now=NOW, send=send_a, policy=POLICY, instance="a2"),
        )
    finally:
        await other.close()
    chats = [m.chat_id for m in send_a.sent + send_b.sent]
    assert sorted(chats) == [5000, 5001, 5002, 5003, 5004]
    rows = await outbox(store)
    assert all(r.status == "sent" for r in rows)
    assert len({(r.chat_id, r.body_id, r.period) for r in rows}) == len(rows)


async def test_a_crash_between_recording_and_sending_sends_once_on_the_next_run(
    store: Store,
) -> None:
    await subscribe(store, TEAM)
    status = await build_status(store, on=DAY)
    assert await record_due(store, status, POLICY) > 0  # recorded, then the process died
    assert all(r.status == "pending" for r in await outbox(store))
    send = FakeSender()
    await check(store, send, day=DAY + dt.timedelta(days=1))
    await check(store, send, day=DAY + dt.timedelta(days=1))
    assert len(send.sent) == 1
    assert all(r.status == "sent" for r in await outbox(store))


async def test_a_crash_after_claiming_is_taken_over_once_the_lease_expires(store: Store) -> None:
    await subscribe(store, TEAM)
    status = await build_status(store, on=DAY)
    await record_due(store, status, POLICY)
    async with store.sessions() as session:  # claimed by an instance that then died
        _, taken = await rstore.claim(
            session, ReminderOutbox, chat_id=TEAM, instance="dead", now=NOW, lease=POLICY.lease
        )
    assert taken
    send = FakeSender()
    await check(store, send, now=NOW + dt.timedelta(minutes=5))
    assert send.sent == []  # the claim may still be alive
    await check(store, send, now=NOW + dt.timedelta(minutes=11))
    await check(store, send, now=NOW + dt.timedelta(minutes=30))
    assert len(send.sent) == 1


async def test_a_failed_send_is_retried_on_the_next_run_and_given_up_after_five(
    store: Store,
) -> None:
    await subscribe(store, TEAM)
    send = FakeSender(failures=1)
    report = await check(store, send)
    assert report.reminders[0].status == "failed"  # type: ignore[attr-defined]
    assert send.sent == []
    await check(store, send)  # same day: the row is retried, not recorded again
    assert len(send.sent) == 1
    rows = await outbox(store)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    await subscribe(store, GROUP)
    failing = FakeSender(failures=99)
    for _ in range(7):
        await check(store, failing)
    assert all(r.status == "failed" for r in await outbox(store) if r.chat_id == GROUP)


async def test_a_chat_that_blocked_the_bot_is_unsubscribed(store: Store) -> None:
    await subscribe(store, TEAM)
    await subscribe(store, GROUP)
    send = FakeSender(blocked={TEAM})
    report = await check(store, send)
    statuses = {r.chat_id: r.status for r in report.reminders}  # type: ignore[attr-defined]
    assert statuses == {TEAM: "blocked", GROUP: "sent"}
    async with store.sessions() as session:
        assert not (await rstore.chat_settings(session, TEAM)).enabled
        assert (await rstore.chat_settings(session, GROUP)).enabled
    assert all(r.status == "skipped" for r in await outbox(store) if r.chat_id == TEAM)


async def test_a_reminder_recorded_earlier_is_dropped_when_the_body_caught_up(
    store: Store,
) -> None:
    await subscribe(store, TEAM, "roa")
    await record_due(store, await build_status(store, on=DAY), POLICY)
    await add_meeting(store, "roa", DAY)  # logged before the message went out
    send = FakeSender()
    await check(store, send)
    assert send.sent == []
    [row] = await outbox(store)
    assert row.status == "skipped"


async def test_a_dry_run_shows_what_would_be_sent_and_changes_nothing(store: Store) -> None:
    await subscribe(store, TEAM, "roa")
    report = await run_check(store, today=DAY, now=NOW, send=None, policy=POLICY, dry_run=True)
    assert [(r.chat_id, r.bodies, r.status) for r in report.reminders] == [
        (TEAM, ["roa"], "would_send")
    ]
    assert await outbox(store) == []


# --- snoozes and buttons --------------------------------------------------------------------


async def first_row(store: Store, body_id: str = "roa", chat_id: int = TEAM) -> int:
    return next(r.id for r in await outbox(store) if (r.body_id, r.chat_id) == (body_id, chat_id))


async def test_two_weeks_snooze_silences_a_body_for_fourteen_days(store: Store) -> None:
    await subscribe(store, TEAM, "roa")
    send = FakeSender()
    await check(store, send)
    row_id = await first_row(store)
    text = await snooze_from_button(
        store, row_id=row_id, chat_id=TEAM, kind="snooze", today=DAY, by=TEAM
    )
    assert text == "⏸ Geen herinneringen over ROA tot en met 01/07/2026."
    with pytest.raises(ReminderError, match="Dat was al gebeurd"):  # pressed twice
        await snooze_from_button(
            store, row_id=row_id, chat_id=TEAM, kind="snooze", today=DAY, by=TEAM
        )
    await check(store, send, day=D(2026, 6, 26))  # 9 days later, past the 7-day rule
    await check(store, send, day=D(2026, 7, 1))
    assert len(send.sent) == 1
    await check(store, send, day=D(2026, 7, 2))
    assert len(send.sent) == 2


async def test_dit_jaar_niet_meer_silences_a_body_until_the_new_year(store: Store) -> None:
    await subscribe(store, TEAM, "roa")
    send = FakeSender()
    await check(store, send)
    text = await snooze_from_button(
        store, row_id=await first_row(store), chat_id=TEAM, kind="year", today=DAY, by=TEAM
    )
    assert text == "🔕 Geen herinneringen meer over ROA in 2026."
    await check(store, send, day=D(2026, 9, 1))
    await check(store, send, day=D(2026, 12, 31))
    assert len(send.sent) == 1
    await check(store, send, day=D(2027, 6, 16))
    assert len(send.sent) == 2


async def test_a_reminder_button_for_a_body_that_was_removed_changes_nothing(
    store: Store,
) -> None:
    await subscribe(store, TEAM, "stuurgroep-samenwerkingsovereenkomst")
    send = FakeSender()
    await check(store, send)
    row_id = await first_row(store, "stuurgroep-samenwerkingsovereenkomst")
    async with store.sessions() as session:  # gone from data/ and re-seeded
        body = await session.get(Body, "stuurgroep-samenwerkingsovereenkomst")
        assert body is not None
        body.retired = True
        await session.commit()
    with pytest.raises(ReminderError, match="bestaat niet meer"):
        await button_target(store, row_id=row_id, chat_id=TEAM)
    with pytest.raises(ReminderError, match="bestaat niet meer"):
        await snooze_from_button(
            store, row_id=row_id, chat_id=TEAM, kind="year", today=DAY, by=TEAM
        )
    async with store.sessions() as session:
        assert (await rstore.chat_settings(session, TEAM)).snoozes == {}
    with pytest.raises(ReminderError, match="bestaat niet meer"):
        await button_target(store, row_id=999_999, chat_id=TEAM)
    with pytest.raises(ReminderError):  # a button from another chat's message
        await button_target(
            store,
            row_id=await first_row(store, "stuurgroep-samenwerkingsovereenkomst"),
            chat_id=GROUP,
        )


# --- planned meetings -----------------------------------------------------------------------


async def questions(store: Store) -> list[MeetingQuestion]:
    async with store.sessions() as session:
        return list(await session.scalars(select(MeetingQuestion)))


async def test_the_day_after_a_planned_meeting_whoever_logged_it_is_asked_once(
    store: Store,
) -> None:
    meeting_id = await add_meeting(store, "roa", D(2026, 12, 12), status="planned", chat=TEAM)
    send = FakeSender()
    await check(store, send, day=D(2026, 12, 12))
    assert send.sent == []  # the meeting is today: not yet
    await check(store, send, day=D(2026, 12, 14))
    await check(store, send, day=D(2026, 12, 15))
    [message] = send.sent
    assert message.chat_id == TEAM
    assert message.text == ("📅 Is de vergadering van <b>ROA</b> op 12/12 doorgegaan?")
    [[yes, no]] = message.buttons
    assert yes[0] == "Ja"
    assert no[0] == "Nee, uitgesteld"
    [question] = await questions(store)
    assert question.meeting_id == meeting_id
    target = await open_question(store, question_id=question.id)
    assert target.meeting_id == meeting_id
    await record_answer(store, question_id=question.id, answer="held", by=TEAM, now=NOW)
    with pytest.raises(ReminderError, match="al genoteerd"):
        await open_question(store, question_id=question.id)


async def test_meetings_no_longer_planned_are_not_asked_about(store: Store) -> None:
    meeting_id = await add_meeting(store, "roa", D(2026, 6, 10), status="planned", chat=TEAM)
    await add_meeting(store, "roa", D(2026, 1, 10), status="planned", chat=TEAM)  # too old
    await add_meeting(store, "roa", D(2026, 6, 11), status="planned", by=None)  # nobody to ask
    status = await build_status(store, on=DAY)
    from bot.services.reminders import record_questions_due

    assert await record_questions_due(store, DAY, POLICY) == 1
    async with store.sessions() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.status = "held"
        await session.commit()
    send = FakeSender()
    await check(store, send)
    assert send.sent == []
    [question] = await questions(store)
    assert question.status == "skipped"
    assert status.on == DAY


async def test_a_question_about_a_deleted_meeting_says_so(store: Store) -> None:
    meeting_id = await add_meeting(store, "roa", D(2026, 6, 10), status="planned", chat=TEAM)
    send = FakeSender()
    await check(store, send)
    [question] = await questions(store)
    async with store.sessions() as session:
        await session.execute(delete(Meeting).where(Meeting.id == meeting_id))
        await session.commit()
    with pytest.raises(ReminderError, match="bestaat niet meer"):
        await open_question(store, question_id=question.id)
    with pytest.raises(ReminderError, match="bestaat niet meer"):
        await open_question(store, question_id=424242)


# --- export and import ----------------------------------------------------------------------


async def test_export_then_import_keeps_reminder_settings_and_the_outbox(
    store: Store, databases: DatabaseFactory
) -> None:
    from storage.transfer import export_store, import_store

    await subscribe(store, TEAM, "roa")
    await subscribe(store, GROUP)
    async with store.sessions() as session:
        await rstore.unfollow(
            session, chat_id=GROUP, body_id="lerend-netwerk-trajectbegeleiders", by=TEAM
        )
        await session.commit()
    await add_meeting(store, "roa", D(2026, 6, 10), status="planned", chat=TEAM)
    await check(store, FakeSender())
    await snooze_from_button(
        store, row_id=await first_row(store), chat_id=TEAM, kind="year", today=DAY, by=TEAM
    )
    async with store.sessions() as session:
        first = await export_store(session)
    assert len(first["reminder_chats"]) == 2
    assert first["reminder_outbox"]
    assert first["meeting_questions"]
    assert first["reminder_snoozes"]
    other = await Store.open(await databases.new(), migrate=True, seed_kb=False)
    try:
        async with other.sessions() as session:
            counts = await import_store(session, first, origin="x.json")
            await session.commit()
        assert counts["reminder_chats"] == 2
        async with other.sessions() as session:
            second = await export_store(session)
        assert second == first
        async with other.sessions() as session:  # sequences moved on (PostgreSQL)
            session.add(
                ReminderOutbox(chat_id=1, body_id="roa", period="x", run_date=DAY, status="sent")
            )
            await session.commit()
            assert await session.scalar(select(func.count()).select_from(ReminderOutbox)) > 1
    finally:
        await other.close()


# --- scheduling rules -----------------------------------------------------------------------

T = dt.time


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (T(7, 59), True),
        (T(8, 0), False),
        (T(9, 0), False),
        (T(19, 59), False),
        (T(20, 0), True),
        (T(23, 30), True),
        (T(0, 0), True),
    ],
)
async def test_quiet_hours_span_midnight(moment: dt.time, quiet: bool) -> None:
    assert in_quiet_hours(moment, T(20, 0), T(8, 0)) is quiet
    assert in_quiet_hours(moment, T(8, 0), T(8, 0)) is False  # no quiet hours at all


async def test_quiet_hours_within_one_day() -> None:
    assert in_quiet_hours(T(13, 0), T(12, 0), T(14, 0))
    assert not in_quiet_hours(T(14, 0), T(12, 0), T(14, 0))


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)


async def test_the_scheduled_sweep_runs_on_working_days_outside_quiet_hours() -> None:
    settings = Settings(database_url="sqlite://", quiet_start=T(20, 0), quiet_end=T(8, 0))
    assert scheduled_decision(_at(2026, 6, 17, 9, 0), settings) == "run"  # Wednesday
    assert scheduled_decision(_at(2026, 6, 20, 9, 0), settings) == "skip"  # Saturday
    assert scheduled_decision(_at(2026, 6, 21, 9, 0), settings) == "skip"  # Sunday
    # In quiet hours: deferred to the end of them, when that is a working day.
    assert scheduled_decision(_at(2026, 6, 17, 21, 0), settings) == _at(2026, 6, 18, 8, 0)
    assert scheduled_decision(_at(2026, 6, 17, 6, 30), settings) == _at(2026, 6, 17, 8, 0)
    assert scheduled_decision(_at(2026, 6, 19, 21, 0), settings) == "skip"  # Friday night
    assert quiet_hours_end(_at(2026, 3, 28, 22, 0), T(20, 0), T(8, 0)) == _at(2026, 3, 29, 8, 0)


async def test_a_missed_run_is_caught_up_once_at_start_up() -> None:
    nine = T(9, 0)
    assert catch_up_due(_at(2026, 6, 17, 10, 0), None, nine)
    assert catch_up_due(_at(2026, 6, 17, 10, 0), D(2026, 6, 16), nine)
    assert not catch_up_due(_at(2026, 6, 17, 10, 0), D(2026, 6, 17), nine)  # ran today
    assert not catch_up_due(_at(2026, 6, 17, 8, 0), D(2026, 6, 16), nine)  # not yet time
    assert not catch_up_due(_at(2026, 6, 20, 10, 0), D(2026, 6, 19), nine)  # Saturday


async def test_the_last_sweep_date_is_kept_and_never_moves_back(store: Store) -> None:
    await check(store, FakeSender())
    async with store.sessions() as session:
        assert await rstore.last_sweep(session) == DAY
    await check(store, FakeSender(), day=D(2026, 6, 1))
    async with store.sessions() as session:
        assert await rstore.last_sweep(session) == DAY
