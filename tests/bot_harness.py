"""A running Application over the in-process Bot API fake, driven one update at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application

from bot.config import Settings
from bot.interface.application import build_application
from bot.interface.polling import InboxRunner
from bot.services.core import Regie
from storage import inbox
from storage.store import Store
from tests.conftest import DATA_DIR, DatabaseFactory
from tests.fakes import DEFAULT_TOKEN, DEFAULT_USER_ID, FakeBotApi, RecordingRequest

ADMIN_ID = 777
STRANGER_ID = 666
# Wednesday 18 March 2026, 10:00 in Brussels: "gisteren" is 17/03, "vorige dinsdag" too.
NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@dataclass
class Harness:
    api: FakeBotApi
    app: Application[Any, Any, Any, Any, Any, Any]
    regie: Regie
    runner: InboxRunner
    seen: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)

    async def deliver(self, raw: dict[str, Any]) -> list[str]:
        """Store one raw update in the inbox and handle it; returns the texts the bot sent."""
        before = len(self.api.sent)
        async with self.regie.store.sessions() as session:
            await inbox.store_updates(session, [raw])
            await session.commit()
        await self.runner.handle(int(raw["update_id"]), raw)
        return [
            c.params.get("text", "")
            for c in self.api.sent[before:]
            if c.method in ("sendMessage", "editMessageText")
        ]

    async def say(self, text: str, **kwargs: Any) -> list[str]:
        raw = self.api.push_message(text, **kwargs)
        self.api.updates.clear()  # delivered by hand, not by getUpdates
        self.updates.append(raw)
        return await self.deliver(raw)

    async def press(self, label: str, **kwargs: Any) -> list[str]:
        raw = self.api.press(label, **kwargs)
        self.api.updates.clear()
        return await self.deliver(raw)

    def errors(self) -> list[Any]:
        """Calls the fake rejected (what the real server would have refused)."""
        return [c for c in self.api.calls if c.error is not None]


async def make_harness(
    database_url: str,
    *,
    now: dt.datetime = NOW,
    allowed_users: list[int] | None = None,
    admins: list[int] | None = None,
) -> Harness:
    settings = Settings(
        database_url=database_url,
        allowed_users=[DEFAULT_USER_ID] if allowed_users is None else allowed_users,
        admins=[ADMIN_ID] if admins is None else admins,
        kb_dir=DATA_DIR,
        telegram_base_url=None,
    )
    # A test's new database becomes a copy of the run's seeded template: what migrating here
    # and seeding in Regie.open would make, for the price of a file copy.
    await DatabaseFactory.seed_if_new(database_url)
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    regie = await Regie.open(settings, clock=lambda: now)
    api = FakeBotApi()
    app = build_application(
        regie,
        token=DEFAULT_TOKEN,
        request=RecordingRequest(api),
        get_updates_request=RecordingRequest(api),
        rate_limiter=False,
    )
    await app.initialize()
    return Harness(api=api, app=app, regie=regie, runner=InboxRunner(app, regie))


async def close_harness(h: Harness) -> None:
    await h.app.shutdown()
    await h.regie.close()
