"""Telegram's errors on sends and its flood limits, through the running Application.

The Application is built as in production (FloodControl on) over the in-process fake; updates
go the production way, stored in the inbox and handled by the InboxRunner. The fake injects
429, 502 and network failures, and with FloodLimits on it counts every send like the server
does (30 a second, 20 a minute per group) and answers 429 to one too many.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from telegram.error import TimedOut
from telegram.ext import Application

import tests.fakes.botapi as fake_botapi
from bot.config import Settings
from bot.interface.application import build_application
from bot.interface.flood import FloodControl
from bot.interface.polling import InboxRunner
from bot.services.core import Regie
from storage import inbox
from storage.models import Signal
from storage.store import Store
from tests.conftest import DATA_DIR
from tests.fakes import (
    DEFAULT_GROUP_ID,
    DEFAULT_TOKEN,
    DEFAULT_USER_ID,
    FakeBotApi,
    FloodLimits,
    RecordingRequest,
)
from tests.fakes.request import split_url

TEAM = [DEFAULT_USER_ID, *range(900_001, 900_041)]  # allowed users, 40 besides the default


class FlakyRequest(RecordingRequest):
    """The fake's transport, failing chosen calls the way httpx does under python-telegram-bot."""

    def __init__(self, api: FakeBotApi) -> None:
        super().__init__(api)
        self.failures: dict[str, list[str]] = {}  # API method -> "connect" / "read-timeout"
        self.attempts: list[str] = []

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        api_method = split_url(url)[1]
        self.attempts.append(api_method)
        pending = self.failures.get(api_method)
        failure = pending.pop(0) if pending else None
        if failure == "connect":  # refused before anything was sent
            raise httpx.ConnectError("connection refused")
        answer = await super().do_request(url, method, *args, **kwargs)
        if failure == "read-timeout":  # Telegram got it, the answer never came back
            raise TimedOut from httpx.ReadTimeout("timed out")
        return answer


@dataclass
class RunningBot:
    api: FakeBotApi
    request: FlakyRequest
    app: Application[Any, Any, Any, Any, Any, Any]
    regie: Regie
    runner: InboxRunner

    async def deliver(self, raws: list[dict[str, Any]]) -> None:
        """Store the updates in the inbox, hand them to the runner, wait until all are handled."""
        self.api.updates.clear()  # delivered here, not through getUpdates
        async with self.regie.store.sessions() as session:
            new = await inbox.store_updates(session, raws)
            await session.commit()
        by_id = {raw["update_id"]: raw for raw in raws}
        for update_id in new:
            self.runner.submit(update_id, by_id[update_id])
        await self.runner.drain()

    def replies(self, chat_id: int, containing: str) -> list[str]:
        return [t for t in self.api.sent_texts(chat_id) if containing in t]

    def refused(self, status: int) -> list[Any]:
        return [c for c in self.api.calls if c.error is not None and c.error.error_code == status]


@asynccontextmanager
async def running_bot(database_url: str, api: FakeBotApi) -> AsyncIterator[RunningBot]:
    """The Application as `regiebot run` builds it (FloodControl on), started, over the fake."""
    settings = Settings(
        database_url=database_url, allowed_users=TEAM, kb_dir=DATA_DIR, telegram_base_url=None
    )
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    regie = await Regie.open(settings)
    request = FlakyRequest(api)
    app = build_application(
        regie, token=DEFAULT_TOKEN, request=request, get_updates_request=RecordingRequest(api)
    )
    assert isinstance(app.bot.rate_limiter, FloodControl)
    await app.initialize()
    await app.start()
    try:
        yield RunningBot(api, request, app, regie, InboxRunner(app, regie))
    finally:
        await app.stop()
        await app.shutdown()
        await regie.close()


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(database_url, FakeBotApi()) as running:
        yield running


async def signals_stored(bot: RunningBot) -> int:
    async with bot.regie.store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Signal)) or 0)


async def test_a_429_on_a_reply_is_retried_after_retry_after_and_the_user_gets_one_reply(
    bot: RunningBot,
) -> None:
    bot.api.flood("sendMessage", retry_after=1)
    await bot.deliver([bot.api.push_message("/signaal te weinig vervoer naar de werkplek")])
    assert len(bot.replies(DEFAULT_USER_ID, "Signaal opgeslagen")) == 1
    [flooded] = bot.refused(429)
    [sent] = bot.api.calls_of("sendMessage")
    assert sent.at - flooded.at >= 1.0, "retried before the server's retry_after"
    assert await signals_stored(bot) == 1


async def test_a_502_on_a_reply_is_retried_and_the_user_gets_one_reply(bot: RunningBot) -> None:
    bot.api.bad_gateway("sendMessage")
    await bot.deliver([bot.api.push_message("/signaal taalcoaching op de werkvloer ontbreekt")])
    assert len(bot.refused(502)) == 1
    assert len(bot.replies(DEFAULT_USER_ID, "Signaal opgeslagen")) == 1
    assert await signals_stored(bot) == 1


async def test_a_refused_connection_is_retried_with_back_off_and_the_user_gets_one_reply(
    bot: RunningBot,
) -> None:
    bot.request.failures["sendMessage"] = ["connect", "connect"]
    await bot.deliver([bot.api.push_message("wat loopt er rond mobiliteit?")])
    assert bot.request.attempts.count("sendMessage") == 3
    assert len(bot.replies(DEFAULT_USER_ID, "<b>Acties</b>")) == 1


async def test_a_reply_that_timed_out_after_reaching_telegram_is_not_sent_twice(
    bot: RunningBot,
) -> None:
    bot.request.failures["sendMessage"] = ["read-timeout"]
    await bot.deliver([bot.api.push_message("/signaal geen kinderopvang tijdens de opleiding")])
    # Telegram posted it; sending it again would show the user the same reply twice.
    assert len(bot.replies(DEFAULT_USER_ID, "Signaal opgeslagen")) == 1
    assert await signals_stored(bot) == 1


async def test_a_burst_of_forty_replies_to_one_group_stays_within_twenty_a_minute(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A minute of the fake's clock passes in two real seconds, and the limiter's windows are
    # shortened by the same factor: the same rule, checked without waiting a minute.
    scale = 30.0
    real = time.monotonic
    monkeypatch.setattr(fake_botapi, "time", SimpleNamespace(monotonic=lambda: real() * scale))
    monkeypatch.setattr(FloodControl, "OVERALL", (30, 1.0 / scale))
    monkeypatch.setattr(FloodControl, "PER_GROUP", (20, 60.0 / scale))
    texts = [
        "/zoek mobiliteit",
        "/signaal te weinig vervoer naar de werkplek",
        "/zoek taal",
        "/signaal wachtlijst voor taalcoaching in Kortrijk",
    ]
    async with running_bot(database_url, FakeBotApi(flood_limits=FloodLimits())) as bot:
        raws = [bot.api.push_message(texts[i % 4], chat_type="supergroup") for i in range(40)]
        await bot.deliver(raws)
        assert len(bot.api.sent_texts(DEFAULT_GROUP_ID)) == 40
        assert bot.refused(429) == [], "the fake saw more than 20 messages a minute in a group"


async def test_a_burst_of_replies_to_forty_chats_stays_within_thirty_a_second(
    database_url: str,
) -> None:
    async with running_bot(database_url, FakeBotApi(flood_limits=FloodLimits())) as bot:
        raws = [bot.api.push_message("/zoek mobiliteit", user_id=user) for user in TEAM[1:]]
        await bot.deliver(raws)
        assert len(bot.api.calls_of("sendMessage")) == 40
        assert bot.refused(429) == [], "the fake saw more than 30 messages in one second"
