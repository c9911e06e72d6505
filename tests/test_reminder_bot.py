"""Status and reminders through the bot (process_update over the Bot API fake), the daily job
across daylight-saving changes, and `regiebot remind` against the loopback fake server."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from telegram.ext import CallbackContext

from handlers.reminders import CATCH_UP_JOB, DEFERRED_JOB, SWEEP_JOB, start_jobs, sweep_job
from storage import reminders as rstore
from storage.models import Body, Meeting, ReminderChatBody, ReminderOutbox, ReminderSnooze
from storage.store import Store
from tests.bot_harness import ADMIN_ID, Harness, close_harness, make_harness
from tests.fakes import DEFAULT_USER_ID, FakeBotApi, FakeBotApiServer
from tests.test_status import log_2022

pytestmark = pytest.mark.asyncio

BRUSSELS = ZoneInfo("Europe/Brussels")
# Wednesday 17 June 2026, 10:00: past the first quarter, so bodies with none held are behind.
JUNE = dt.datetime(2026, 6, 17, 10, 0, tzinfo=BRUSSELS)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url, now=JUNE)
    try:
        yield h
    finally:
        await close_harness(h)


def alerts(h: Harness) -> list[str]:
    return [
        c.params.get("text", "")
        for c in h.api.calls_of("answerCallbackQuery")
        if c.params.get("show_alert")
    ]


def keyboard_of(call: Any) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = call.params["reply_markup"]["inline_keyboard"]
    return rows


async def press_data(h: Harness, data: str, message: dict[str, Any]) -> list[str]:
    """Press a button by its callback_data on a message as the user's client still shows it."""
    from tests.fakes import make_callback_query

    raw = make_callback_query(
        h.api.next_update_id(), data, chat_id=message["chat"]["id"], message=message
    )
    h.api.push_update(raw)
    h.api.updates.clear()
    return await h.deliver(raw)


async def count(h: Harness, model: type) -> int:
    async with h.regie.store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def remind_now(h: Harness) -> list[str]:
    return await h.say("/herinner_nu", user_id=ADMIN_ID)


# --- /stand and /grafiek ----------------------------------------------------------------------


async def test_stand_shows_one_line_per_body_with_a_cadence(bot: Harness) -> None:
    [text] = await bot.say("/stand")
    assert "Vergaderritme op 17/06/2026" in text
    assert "⚠️ <b>ROSE-actiegroep</b>: 0/4 gehouden, verwacht tegen nu: 1" in text
    assert "Diensthoofdenoverleg" not in text  # W13 only attends
    assert "LDE-fabriek" not in text  # stopped after 2022
    assert not bot.errors()


async def test_stand_of_an_older_year_gives_the_verdicts(bot: Harness) -> None:
    await log_2022(bot.regie.store)
    [text] = await bot.say("/stand 2022")
    assert "Vergaderritme 2022" in text
    assert "❌ <b>ROSE-actiegroep</b>: niet gehaald (2 van 6)" in text
    assert "❌ <b>LDE-fabriek</b>: niet gehaald (4 van 6)" in text
    assert "❌ <b>ROSE algemene vergadering</b>: niet gehaald (0 van 3)" in text
    assert "AZ-fabriek" not in text
    assert not bot.errors()


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/stand 1899", "Geef een jaar tussen 2000 en 2026"),
        ("/stand morgen", "18/06/2026 ligt in de toekomst"),
        ("/stand 31/02/2026", "31/02/2026"),
        ("/stand over een tijdje", "Dat begrijp ik niet"),
        ("/grafiek 1899", "Geef een jaar tussen 2000 en 2026"),
    ],
)
async def test_stand_with_bad_input_answers_in_dutch(
    bot: Harness, command: str, answer: str
) -> None:
    [text] = await bot.say(command)
    assert answer in text
    assert not bot.api.calls_of("sendPhoto")
    assert not bot.errors()


async def test_grafiek_sends_a_png_chart_as_a_photo(bot: Harness) -> None:
    await bot.say("/grafiek")
    [call] = bot.api.calls_of("sendPhoto")
    assert "Vergaderritme 2026 (tot 17/06/2026)" in call.params["caption"]
    upload = bot.api.files[call.result["photo"][0]["file_id"]]
    assert not isinstance(upload, str)
    assert upload.content.startswith(b"\x89PNG\r\n\x1a\n")
    await bot.say("/grafiek 2022")
    assert "Vergaderritme 2022" in bot.api.calls_of("sendPhoto")[-1].params["caption"]
    assert not bot.errors()


# --- settings ---------------------------------------------------------------------------------


async def test_herinneringen_shows_and_switches_the_chat_setting(bot: Harness) -> None:
    [text] = await bot.say("/herinneringen")
    assert "Herinneringen in deze chat: <b>uit</b>" in text
    assert "Elke werkdag om 09:00 (Europe/Brussels), niet tussen 20:00 en 08:00" in text
    [text] = await bot.say("/herinneringen aan")
    assert "Herinneringen staan aan" in text
    async with bot.regie.store.sessions() as session:
        assert (await rstore.chat_settings(session, DEFAULT_USER_ID)).enabled
    [text] = await bot.say("/herinneringen misschien")
    assert "Gebruik /herinneringen aan" in text
    [text] = await bot.say("/herinneringen uit")
    assert "staan uit" in text
    assert not bot.errors()


async def test_volg_and_ontvolg_narrow_the_chat_and_an_unknown_body_changes_nothing(
    bot: Harness,
) -> None:
    [text] = await bot.say("/volg Nergensraad")
    assert "Dat overlegorgaan ken ik niet" in text
    assert "Er is niets veranderd" in text
    assert await count(bot, ReminderChatBody) == 0
    [text] = await bot.say("/volg ROA")
    assert "Deze chat volgt Regionaal Overleg Activering (ROA)" in text
    assert "Herinneringen staan nog uit" in text
    [text] = await bot.say("/volg ROA")
    assert "volgde Regionaal Overleg Activering (ROA) al" in text
    [text] = await bot.say("/volg diensthoofdenoverleg")
    assert "geen vergaderritme" in text
    [text] = await bot.say("/herinneringen")
    assert "Organen: enkel" in text
    assert "ROA" in text
    [text] = await bot.say("/ontvolg ROA")
    assert "Geen herinneringen meer over" in text
    [text] = await bot.say("/ontvolg ROA")
    assert "niets veranderd" in text
    [text] = await bot.say("/ontvolg Nergensraad")
    assert "ken ik niet" in text
    [text] = await bot.say("/volg alles")
    assert "volgt weer alle organen" in text
    assert await count(bot, ReminderChatBody) == 0
    assert not bot.errors()


# --- reminders through the bot --------------------------------------------------------------


async def subscribed(bot: Harness, *bodies: str) -> None:
    await bot.say("/herinneringen aan")
    for body in bodies:
        await bot.say(f"/volg {body}")


def reminder_call(bot: Harness) -> Any:
    return next(
        c
        for c in reversed(bot.api.calls_of("sendMessage"))
        if c.params["chat_id"] == DEFAULT_USER_ID and "achter op schema" in c.params["text"]
    )


async def test_herinner_nu_is_for_admins_and_sends_the_reminder_once(bot: Harness) -> None:
    await subscribed(bot, "ROA")
    [text] = await bot.say("/herinner_nu")
    assert "Enkel beheerders" in text
    texts = await remind_now(bot)
    call = reminder_call(bot)
    assert "Regionaal Overleg Activering (ROA)" in call.params["text"]
    assert "0 gehouden, 1 verwacht tegen nu, doel 4 per jaar" in call.params["text"]
    labels = [b["text"] for row in keyboard_of(call) for b in row]
    assert labels == ["Vergadering loggen", "2 weken uitstellen", "Dit jaar niet meer"]
    assert "Herinnering verstuurd naar 1 chat, over 1 orgaan." in texts[-1]
    before = len(bot.api.calls_of("sendMessage"))
    texts = await remind_now(bot)  # the same day again: nothing new
    assert len(bot.api.calls_of("sendMessage")) == before + 1  # only the summary
    assert "Geen nieuwe herinneringen" in texts[-1]
    assert not bot.errors()


async def test_snooze_buttons_confirm_and_a_second_press_changes_nothing(bot: Harness) -> None:
    await subscribed(bot, "ROA")
    await remind_now(bot)
    texts = await bot.press("2 weken uitstellen")
    assert texts == ["⏸ Geen herinneringen over ROA tot en met 01/07/2026."]
    await bot.press("2 weken uitstellen")
    assert "Dat was al gebeurd" in alerts(bot)[-1]
    texts = await bot.press("Dit jaar niet meer")  # extends the snooze to 31/12
    assert texts == ["🔕 Geen herinneringen meer over ROA in 2026."]
    await bot.press("Dit jaar niet meer")
    assert "tot en met 31/12/2026" in alerts(bot)[-1]
    async with bot.regie.store.sessions() as session:
        [snooze] = list(await session.scalars(select(ReminderSnooze)))
    assert (snooze.body_id, snooze.until, snooze.kind) == ("roa", dt.date(2026, 12, 31), "year")
    [text] = await bot.say("/herinneringen")
    assert "Uitgesteld: ROA tot en met 31/12/2026" in text
    assert not bot.errors()


async def test_vergadering_loggen_starts_the_meeting_conversation_for_that_body(
    bot: Harness,
) -> None:
    await subscribed(bot, "ROA")
    await remind_now(bot)
    texts = await bot.press("Vergadering loggen")
    assert texts == [
        "Vergadering van <b>Regionaal Overleg Activering (ROA)</b> loggen. Op welke datum? "
        "(stoppen met /annuleer)"
    ]
    texts = await bot.press("Vandaag")
    assert any("agenda" in t for t in texts)
    texts = await bot.say("jaarplanning, doelgroepanalyse")
    assert any("Vergadering opgeslagen" in t for t in texts)
    async with bot.regie.store.sessions() as session:
        [meeting] = list(await session.scalars(select(Meeting)))
    assert (meeting.body_id, meeting.date, meeting.status) == ("roa", JUNE.date(), "held")
    assert meeting.topics == ["jaarplanning", "doelgroepanalyse"]
    [text] = await bot.say("/stand")
    assert "✅ <b>Regionaal Overleg Activering (ROA)</b>: 1/4 gehouden" in text
    assert not bot.errors()


async def test_a_reminder_button_for_a_removed_body_says_so_and_changes_nothing(
    bot: Harness,
) -> None:
    await subscribed(bot, "ROA")
    await remind_now(bot)
    async with bot.regie.store.sessions() as session:
        body = await session.get(Body, "roa")
        assert body is not None
        body.retired = True
        await session.commit()
    for label in ("Dit jaar niet meer", "Vergadering loggen"):
        texts = await bot.press(label)
        assert texts == []
        assert "bestaat niet meer" in alerts(bot)[-1]
    assert await count(bot, ReminderSnooze) == 0
    assert await count(bot, Meeting) == 0
    assert not bot.errors()


async def test_a_chat_that_blocked_the_bot_is_unsubscribed(bot: Harness) -> None:
    await subscribed(bot, "ROA")
    bot.api.block(DEFAULT_USER_ID)
    texts = await remind_now(bot)
    assert "1 chat kon niet bereikt worden." in texts[-1]
    async with bot.regie.store.sessions() as session:
        assert not (await rstore.chat_settings(session, DEFAULT_USER_ID)).enabled
    assert [c.error.error_code for c in bot.errors() if c.error] == [403]


async def test_the_planned_meeting_question_records_the_answer(bot: Harness) -> None:
    await bot.say("/vergadering ROA 20/06/2026 jaarplanning")
    await bot.say("/vergadering actiegroep 19/06/2026 beleidsnieuws")
    bot.regie.clock = lambda: dt.datetime(2026, 6, 22, 10, 0, tzinfo=BRUSSELS)
    await remind_now(bot)
    questions = [c for c in bot.api.calls_of("sendMessage") if "doorgegaan?" in c.params["text"]]
    assert [c.params["text"] for c in questions] == [
        "📅 Is de vergadering van <b>ROSE-actiegroep</b> op 19/06 doorgegaan?",
        "📅 Is de vergadering van <b>ROA</b> op 20/06 doorgegaan?",
    ]
    assert all(c.params["chat_id"] == DEFAULT_USER_ID for c in questions)
    roa_question = questions[1].result
    texts = await press_data(bot, keyboard_of(questions[1])[0][0]["callback_data"], roa_question)
    assert texts == ["✅ Genoteerd: de vergadering van <b>ROA</b> op 20/06/2026 is doorgegaan."]
    texts = await press_data(
        bot, keyboard_of(questions[0])[0][1]["callback_data"], questions[0].result
    )
    assert "niet doorgegaan (uitgesteld)" in texts[0]
    async with bot.regie.store.sessions() as session:
        statuses = dict((await session.execute(select(Meeting.body_id, Meeting.status))).all())
    assert statuses == {"roa": "held", "rose-actiegroep": "cancelled"}
    # The same button pressed again (an old copy of the message): nothing changes.
    texts = await press_data(bot, keyboard_of(questions[1])[0][1]["callback_data"], roa_question)
    assert texts == []
    assert "al genoteerd" in alerts(bot)[-1]
    async with bot.regie.store.sessions() as session:
        assert await session.scalar(select(Meeting.status).where(Meeting.body_id == "roa")) == (
            "held"
        )
    await remind_now(bot)  # asked once only
    assert (
        len([c for c in bot.api.calls_of("sendMessage") if "doorgegaan?" in c.params["text"]]) == 2
    )
    assert not bot.errors()


# --- the job ------------------------------------------------------------------------------------


async def test_the_daily_job_fires_at_nine_local_time_on_working_days_across_dst(
    bot: Harness,
) -> None:
    await start_jobs(bot.app)
    queue = bot.app.job_queue
    assert queue is not None
    [job] = queue.get_jobs_by_name(SWEEP_JOB)
    trigger = job.job.trigger
    fires: list[dt.datetime] = []
    for start in (
        dt.datetime(2026, 3, 25, 12, 0, tzinfo=BRUSSELS),
        dt.datetime(2026, 10, 21, 12, 0, tzinfo=BRUSSELS),
    ):
        previous = None
        moment = start
        for _ in range(5):
            fire = trigger.get_next_fire_time(previous, moment)
            fires.append(fire)
            previous, moment = fire, fire + dt.timedelta(seconds=1)
    local = [f.astimezone(BRUSSELS) for f in fires]
    assert all((f.hour, f.minute) == (9, 0) for f in local)
    assert [f.date() for f in local] == [
        dt.date(2026, 3, 26),
        dt.date(2026, 3, 27),
        dt.date(2026, 3, 30),  # DST on Sunday 29/03
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 1),
        dt.date(2026, 10, 22),
        dt.date(2026, 10, 23),
        dt.date(2026, 10, 26),  # back on 25/10
        dt.date(2026, 10, 27),
        dt.date(2026, 10, 28),
    ]
    offsets = [f.utcoffset() for f in local]
    assert offsets[1] == dt.timedelta(hours=1)  # Friday 27 March, winter time: 08:00 UTC
    assert offsets[2] == dt.timedelta(hours=2)  # Monday 30 March, summer time: 07:00 UTC
    assert offsets[6] == dt.timedelta(hours=2)
    assert offsets[7] == dt.timedelta(hours=1)


async def test_a_run_missed_while_the_bot_was_down_runs_once_at_start_up(bot: Harness) -> None:
    await start_jobs(bot.app)
    queue = bot.app.job_queue
    assert queue is not None
    assert len(queue.get_jobs_by_name(CATCH_UP_JOB)) == 1  # 10:00, nothing ran today
    for job in queue.jobs():
        job.schedule_removal()
    async with bot.regie.store.sessions() as session:
        await rstore.set_last_sweep(session, JUNE.date())
        await session.commit()
    await start_jobs(bot.app)
    assert not queue.get_jobs_by_name(CATCH_UP_JOB)


async def test_the_sweep_job_respects_working_days_and_quiet_hours(bot: Harness) -> None:
    await subscribed(bot, "ROA")
    context = CallbackContext(bot.app)  # type: ignore[arg-type]
    queue = bot.app.job_queue
    assert queue is not None
    bot.regie.clock = lambda: dt.datetime(2026, 6, 20, 10, 0, tzinfo=BRUSSELS)  # Saturday
    await sweep_job(context)
    bot.regie.clock = lambda: dt.datetime(2026, 6, 17, 21, 0, tzinfo=BRUSSELS)  # quiet
    await sweep_job(context)
    assert await count(bot, ReminderOutbox) == 0
    [deferred] = queue.get_jobs_by_name(DEFERRED_JOB)
    first = deferred.job.trigger.get_next_fire_time(None, JUNE)
    assert first == dt.datetime(2026, 6, 18, 8, 0, tzinfo=BRUSSELS)
    bot.regie.clock = lambda: dt.datetime(2026, 6, 18, 8, 0, tzinfo=BRUSSELS)
    await sweep_job(context)
    assert "Regionaal Overleg Activering (ROA)" in reminder_call(bot).params["text"]
    assert await count(bot, ReminderOutbox) == 1
    assert not bot.errors()


# --- regiebot remind ----------------------------------------------------------------------------


def regiebot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.interface.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


async def test_regiebot_remind_sends_through_the_bot_api_once_per_date(
    cli_env: dict[str, str], database_url: str
) -> None:
    store = await Store.open(database_url, migrate=True, seed_kb=False)
    try:
        async with store.sessions() as session:
            await rstore.set_enabled(
                session, chat_id=DEFAULT_USER_ID, enabled=True, chat_type="private", by=1
            )
            await rstore.follow(session, chat_id=DEFAULT_USER_ID, body_id="roa", by=1)
            await session.commit()
    finally:
        await store.close()
    proc = regiebot(cli_env, "remind", "--at", "2026-06-17", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    preview = json.loads(proc.stdout)
    assert preview["reminders"] == [
        {
            "chat_id": DEFAULT_USER_ID,
            "bodies": ["roa"],
            "status": "would_send",
            "message_id": None,
            "error": None,
        }
    ]
    proc = regiebot(cli_env, "remind", "--at", "2026-06-17")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "regiebot: error: TELEGRAM_BOT_TOKEN is not set (--dry-run works without it)"
    )
    api = FakeBotApi()
    with FakeBotApiServer(api, lifetime=120) as server:
        env = {**cli_env, **server.env()}
        proc = regiebot(env, "remind", "--at", "2026-06-17")
        assert proc.returncode == 0, proc.stderr
        assert f"chat {DEFAULT_USER_ID}: sent: roa" in proc.stdout
        again = regiebot(env, "remind", "--at", "2026-06-17", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["reminders"] == []
    [call] = api.calls_of("sendMessage")
    assert call.params["chat_id"] == DEFAULT_USER_ID
    assert "Regionaal Overleg Activering (ROA)" in call.params["text"]
    assert [b["text"] for row in keyboard_of(call) for b in row] == [
        "Vergadering loggen",
        "2 weken uitstellen",
        "Dit jaar niet meer",
    ]
    assert not [c for c in api.calls if c.error is not None]
