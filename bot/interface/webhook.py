"""The webhook listener: every update is stored in the inbox before Telegram hears 200.

python-telegram-bot's own webhook server answers 200 as soon as the update is queued in
memory, so a crash right after loses it: Telegram never sends an update again once it was
answered 200. This server commits the raw update to the inbox first and only then answers;
anything that fails before the commit gets an error status and Telegram delivers it again.
Handling happens afterwards, from the inbox, through the same runner as long polling.

Telegram-free on purpose (the core may not import `telegram`): it deals in raw JSON updates,
and the caller passes how to hand one over for handling.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
MAX_BODY = 1024 * 1024  # an update is a few kB; anything this large is not from Telegram
# Telegram's default is 40 parallel deliveries; a team bot needs few, and fewer concurrent
# requests keep one chat's updates closer to their order and SQLite's writer less contended.
MAX_CONNECTIONS = 10
STOP_GRACE = 5.0  # seconds a stopping server waits for requests that are storing an update

Submit = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram sends updates (url) and where this process listens for them."""

    url: str
    listen: str
    port: int
    secret: str

    @property
    def path(self) -> str:
        """The URL's path, which the listener serves (a reverse proxy may sit in between)."""
        return urlsplit(self.url).path or "/"


def webhook_config(url: str, *, listen: str, port: int, secret: str | None) -> WebhookConfig:
    """Check the settings; without a configured secret a random one is made for this run."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"REGIEBOT_WEBHOOK_URL is not a URL: {url!r}")
    if secret is None or not secret.strip():
        secret = secrets.token_urlsafe(32)  # only A-Z a-z 0-9 _ -, as Telegram requires
    elif not SECRET_RE.match(secret.strip()):
        raise ValueError(
            "REGIEBOT_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return WebhookConfig(url=url, listen=listen, port=port, secret=secret.strip())


class WebhookServer:
    """An HTTP server for Telegram's update POSTs: verify, store and commit, answer, hand over."""

    def __init__(
        self,
        *,
        sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        submit: Submit,
        secret: str,
        path: str = "/",
        listen: str = "127.0.0.1",
        port: int = 0,
        max_body: int = MAX_BODY,
    ) -> None:
        self.sessions = sessions
        self.submit = submit
        self.secret = secret.encode("utf-8")
        self.path = path
        self.listen = listen
        self.port = port  # 0: any free port; the real one is known after start()
        self.max_body = max_body
        self.inflight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        app = tornado.web.Application(
            [(re.escape(self.path), _UpdateHandler, {"server": self})],
            # tornado logs every request at INFO; keep the errors (4xx/5xx are WARNING/ERROR).
            log_function=_log_request,
        )
        # Bodies a little over max_body get a 400 from the handler; far larger ones are cut
        # off by tornado while still arriving (the sender sees the connection close).
        self._server = tornado.httpserver.HTTPServer(
            app, max_body_size=4 * self.max_body, xheaders=True
        )
        sockets = tornado.netutil.bind_sockets(self.port, self.listen)
        self.port = int(sockets[0].getsockname()[1])
        self._server.add_sockets(sockets)
        logger.info("webhook listener on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop listening; let requests that are storing an update finish (or time out)."""
        if self._server is None:
            return
        self._server.stop()
        try:
            await asyncio.wait_for(self.idle.wait(), STOP_GRACE)
        except TimeoutError:
            # Not answered 200, so Telegram sends those again; nothing is lost.
            logger.warning("stopping with %d webhook requests unanswered", self.inflight)
        await self._server.close_all_connections()
        self._server = None

    def secret_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode("utf-8"), self.secret)

    async def accept(self, raw: dict[str, Any]) -> bool:
        """Store and commit one raw update; True when it is new (and so must be handled)."""
        try:
            return await self._store(raw)
        except IntegrityError:
            # The same update in two concurrent deliveries, and the other one committed first:
            # storing again now finds it (False), unless that commit failed after all.
            return await self._store(raw)

    async def _store(self, raw: dict[str, Any]) -> bool:
        async with self.sessions() as session:
            new = await inbox.store_updates(session, [raw])
            await session.commit()
        return bool(new)


class _UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    async def post(self) -> None:
        server = self.server
        if not server.secret_matches(self.request.headers.get(SECRET_HEADER)):
            self._answer(403, "wrong or missing secret token")
            return
        body = self.request.body
        content_type = self.request.headers.get("Content-Type", "")
        raw = _parse_update(content_type, body) if len(body) <= server.max_body else None
        if raw is None:
            self._answer(400, "expected one JSON update")
            return
        server.inflight += 1
        server.idle.clear()
        try:
            try:
                new = await server.accept(raw)
            except Exception:
                # No 200: Telegram keeps the update and delivers it again later.
                logger.exception("could not store update %s", raw["update_id"])
                self._answer(500, "could not store the update")
                return
            if new:
                # Handled later, as a task; handed over first so that a connection lost while
                # answering cannot leave it waiting for the next start.
                server.submit(int(raw["update_id"]), raw)
            # Committed: only now may Telegram forget the update.
            self._answer(200, "")
        finally:
            server.inflight -= 1
            if server.inflight == 0:
                server.idle.set()

    def _answer(self, status: int, reason: str) -> None:
        self.set_status(status)
        if reason:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.write(reason)
        self.finish()


def _parse_update(content_type: str, body: bytes) -> dict[str, Any] | None:
    """The update as a dict with an integer update_id, or None for anything else."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        return None
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    update_id = raw.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return raw


def _log_request(handler: tornado.web.RequestHandler) -> None:
    status = handler.get_status()
    if status >= 400:
        logger.warning(
            "webhook %s %s from %s: %d",
            handler.request.method,
            handler.request.path,
            handler.request.remote_ip,
            status,
        )
