"""Flood control for sends: Telegram's limits kept on our side, and retries of what failed.

Telegram allows about 30 messages a second overall and 20 a minute in one group, and answers
429 with retry_after beyond that. python-telegram-bot's AIORateLimiter let a burst of 40
replies to one group draw a 429 against the fake; this one keeps sliding windows instead.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)


# Calls that post a message: what Telegram's flood limits count (chat actions and edits aside).
_FORWARDS = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def _is_send(endpoint: str) -> bool:
    return endpoint in _FORWARDS or (endpoint.startswith("send") and endpoint != "sendChatAction")


def retry_after_seconds(exc: RetryAfter) -> float:
    """The server's retry_after in seconds (PTB 22 warns that it becomes a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()


def _may_retry(exc: NetworkError, endpoint: str) -> bool:
    """A 502 or a network failure, unless Telegram may already have done what was asked."""
    if isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # the request never left
    if isinstance(cause, httpx.TransportError) or isinstance(exc, TimedOut):
        # It may have reached Telegram: sending it again could post the reply twice.
        return endpoint.startswith(("get", "set"))
    return True  # an error answer such as 502 Bad Gateway: nothing was done


def _window_wait(window: deque[float], limit: int, period: float, now: float) -> float:
    """Seconds until the sliding window has room for one more."""
    while window and now - window[0] >= period:
        window.popleft()
    return 0.0 if len(window) < limit else window[0] + period - now


class FloodControl(BaseRateLimiter[int]):
    """Telegram's flood limits and retries, for every call but getUpdates.

    Sends are paced with sliding windows, which is the rule as Telegram states it (30 messages
    a second overall, 20 a minute in one group): AIORateLimiter's leaky bucket lets a full
    bucket through and then keeps dripping, up to twice the limit in the first window. A 429 is
    retried after the server's retry_after (the chat waits, other chats go on), a 502 or a
    network error with exponential back-off; a send that may have reached Telegram is not sent
    again, since a duplicate reply is worse than a logged error.
    """

    OVERALL: ClassVar[tuple[int, float]] = (30, 1.0)  # messages, seconds: the whole bot
    PER_GROUP: ClassVar[tuple[int, float]] = (20, 60.0)  # messages, seconds: one group
    # Telegram counts a message when it arrives, a little after it was counted here.
    MARGIN: ClassVar[float] = 0.02

    def __init__(
        self, *, max_retries: int = 3, network_retries: int = 4, backoff: float = 0.5
    ) -> None:
        self.max_retries = max_retries
        self.network_retries = network_retries
        self.backoff = backoff
        self.overall = (self.OVERALL[0], self.OVERALL[1] * (1 + self.MARGIN))
        self.per_group = (self.PER_GROUP[0], self.PER_GROUP[1] * (1 + self.MARGIN))
        self._sent: deque[float] = deque()
        self._group_sent: dict[int | str, deque[float]] = {}
        self._paused: dict[int | str | None, float] = {}  # chat -> loop time it may go on

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a turn, make the call, retry it when that is safe."""
        chat = _chat_key(data.get("chat_id"))
        counted = _is_send(endpoint)
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args
        floods = failures = 0
        while True:
            await self._wait_turn(chat, counted=counted)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if floods >= max_retries:
                    raise
                floods += 1
                wait = retry_after_seconds(exc) + 0.1
                logger.info("%s hit the flood limit; retrying in %.1f s", endpoint, wait)
                until = asyncio.get_running_loop().time() + wait
                self._paused[chat] = max(self._paused.get(chat, 0.0), until)
            except NetworkError as exc:
                if failures >= self.network_retries or not _may_retry(exc, endpoint):
                    raise
                wait = self.backoff * 2**failures
                failures += 1
                logger.warning("%s failed (%s); retry %d in %.1f s", endpoint, exc, failures, wait)
                await asyncio.sleep(wait)

    async def _wait_turn(self, chat: int | str | None, *, counted: bool) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            wait = self._paused.get(chat, now) - now
            if wait <= 0:
                self._paused.pop(chat, None)
            group = self._group_window(chat, now) if counted else None
            if counted:
                wait = max(wait, _window_wait(self._sent, *self.overall, now))
            if group is not None:
                wait = max(wait, _window_wait(group, *self.per_group, now))
            if wait <= 0:
                if counted:
                    self._sent.append(now)
                if group is not None:
                    group.append(now)
                return
            await asyncio.sleep(wait)

    def _group_window(self, chat: int | str | None, now: float) -> deque[float] | None:
        """The send times of a group or channel (negative id or @username); None otherwise."""
        if chat is None or (isinstance(chat, int) and chat > 0):
            return None
        if chat not in self._group_sent and len(self._group_sent) > 512:
            period = self.per_group[1]
            for key, window in list(self._group_sent.items()):
                if not window or now - window[-1] >= period:
                    del self._group_sent[key]
        return self._group_sent.setdefault(chat, deque())


def _chat_key(chat_id: Any) -> int | str | None:
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)
