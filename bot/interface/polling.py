"""Long polling through the durable inbox, and the runner that handles what the inbox holds.

Each fetched batch is stored in the inbox and committed before the next getUpdates confirms
it; every update is handled from there, one chat at a time, and marked handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter
from telegram.ext import Application

from bot.services.core import Regie
from storage import inbox

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLL_TIMEOUT = 30


class InboxRunner:
    """Handles stored updates: one chat at a time in order, different chats concurrently.

    An update that changed something was marked handled in the transaction of its effects
    (Regie._mark). The rest (questions, button presses that only show something) are marked
    in batches, `batch_seconds` apart, one UPDATE for all: a crash in between means those few
    are answered once more after the restart, never that anything is stored twice.
    """

    SEEN_MEMORY = 50_000

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        regie: Regie,
        *,
        batch_seconds: float = 0.0,
    ) -> None:
        self.app = app
        self.regie = regie
        self.batch_seconds = batch_seconds
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.tasks: set[asyncio.Task[None]] = set()
        self.started: dict[int, None] = {}  # ids taken up by this process (insertion ordered)
        self.done: list[int] = []
        self.flusher: asyncio.Task[None] | None = None

    async def handle(self, update_id: int, payload: dict[str, Any]) -> None:
        if update_id in self.started:
            return
        self.started[update_id] = None
        while len(self.started) > self.SEEN_MEMORY:
            del self.started[next(iter(self.started))]
        update = Update.de_json(payload, self.app.bot)
        chat = update.effective_chat
        async with self.locks[chat.id if chat else 0]:
            try:
                await self.app.process_update(update)
            except Exception as exc:  # process_update reports handler errors itself
                logger.exception("update %s could not be processed", update_id)
                async with self.regie.store.writing() as session:
                    await inbox.mark_failed(session, update_id, repr(exc))
                    await session.commit()
                return
        await self._done(update_id)

    async def _done(self, update_id: int) -> None:
        self.done.append(update_id)
        if self.batch_seconds <= 0:
            await self.flush()
        elif self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.batch_seconds)
        await self.flush()

    async def flush(self) -> None:
        """Mark the updates handled since the last flush, in one statement."""
        batch, self.done = self.done, []
        if not batch:
            return
        try:
            async with self.regie.store.writing() as session:
                await inbox.mark_many_handled(session, batch)
                await session.commit()
        except Exception:
            # Kept for the next flush: left unmarked, they would be answered again at the next
            # start (their effects, if any, were marked with them and are not repeated).
            self.done[:0] = batch
            logger.exception(
                "could not mark %d handled updates; retried with the next", len(batch)
            )

    def submit(self, update_id: int, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self.handle(update_id, payload))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def resume(self) -> int:
        """Handle what was stored but not handled before the last stop."""
        async with self.regie.store.sessions() as session:
            waiting = await inbox.pending(session, limit=10_000)
        for update_id, payload in waiting:
            self.submit(update_id, payload)
        return len(waiting)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if self.flusher is not None:
            await asyncio.gather(self.flusher, return_exceptions=True)
        await self.flush()


async def poll(
    app: Application[Any, Any, Any, Any, Any, Any],
    runner: InboxRunner,
    stop: asyncio.Event,
    *,
    poll_timeout: int = POLL_TIMEOUT,
) -> None:
    """Long polling: store each batch in the inbox before confirming it, then handle it."""
    async with runner.regie.store.sessions() as session:
        offset = await inbox.next_offset(session)
    backoff = 1.0
    while not stop.is_set():
        kwargs: dict[str, Any] = {"timeout": poll_timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            kwargs["offset"] = offset
        try:
            raw = await _until_stopped(
                stop,
                app.bot.do_api_request(
                    "get_updates", api_kwargs=kwargs, read_timeout=poll_timeout + 10
                ),
            )
        except _Stopped:
            break
        except RetryAfter as exc:
            wait = exc.retry_after
            await _sleep(stop, wait if isinstance(wait, int | float) else wait.total_seconds())
            continue
        except (NetworkError, Conflict) as exc:  # TimedOut is a NetworkError
            if isinstance(exc, Conflict):
                logger.error("another bot instance polls with this token; retrying")
            else:
                logger.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, 60.0)
            continue
        backoff = 1.0
        updates = [u for u in raw or [] if isinstance(u, dict)]
        if not updates:
            continue
        async with runner.regie.store.writing() as session:
            new_ids = await inbox.store_updates(session, updates)
            await session.commit()
        # Committed: only now may the next getUpdates confirm this batch.
        offset = max(int(u["update_id"]) for u in updates) + 1
        by_id = {int(u["update_id"]): u for u in updates}
        for update_id in new_ids:
            runner.submit(update_id, by_id[update_id])


class _Stopped(Exception):
    """The stop event was set while waiting."""


async def _until_stopped(stop: asyncio.Event, work: Awaitable[Any]) -> Any:
    """Await work, or cancel it and raise _Stopped as soon as stop is set (long polls)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise _Stopped
    return task.result()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
