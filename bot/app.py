"""The wiring of the Telegram Application: handlers, defaults, limits, and the durable inbox.

python-telegram-bot's Updater confirms a fetched batch (the next getUpdates moves the offset)
before its handlers ran, so a crash would lose what was fetched but not handled. regiebot polls
itself instead: each batch is stored in the inbox and committed, only then is the offset moved
on, and every update is handled from the inbox and marked handled with its effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.core import Regie
from handlers import browse, commands, meetings, signals
from handlers.common import gate, on_error
from storage import inbox

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^\d{3,12}:[A-Za-z0-9_-]{30,}$")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLL_TIMEOUT = 30


class TokenRedactor(logging.Filter):
    """Replace the bot token in every log record (httpx logs request URLs, which contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        return True


def install_redactor(token: str) -> None:
    redactor = TokenRedactor(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    for name in ("httpx", "telegram", "telegram.ext", "regiebot", "bot", "handlers"):
        logging.getLogger(name).addFilter(redactor)


def check_token(settings: Settings) -> str:
    """The token, or a one-line error saying what is wrong with it."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
    token = settings.telegram_bot_token.get_secret_value().strip()
    if not TOKEN_RE.match(token):
        raise ValueError("TELEGRAM_BOT_TOKEN is malformed (expected 123456789:ABC...)")
    return token


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Order matters: the access gate runs first (group -1) and stops anyone not allowed.
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(meetings.conversation())
    app.add_handler(CommandHandler("start", commands.start))
    app.add_handler(CommandHandler(["help", "hulp"], commands.help_command))
    app.add_handler(CommandHandler("signaal", signals.signal))
    app.add_handler(CommandHandler("signalen", signals.signals_list))
    app.add_handler(CommandHandler("zoek", browse.search))
    app.add_handler(CommandHandler(["actie", "orgaan", "partner"], browse.details))
    app.add_handler(CommandHandler("ongedaan", commands.undo))
    app.add_handler(CommandHandler("wijzig", meetings.edit))
    app.add_handler(CommandHandler("lid", commands.member))
    app.add_handler(CallbackQueryHandler(commands.undo_button, pattern=r"^u:[ms]:\d+$"))
    app.add_handler(CallbackQueryHandler(signals.status_button, pattern=r"^ss:\d+:"))
    app.add_handler(CallbackQueryHandler(signals.choices_button, pattern=r"^sv:\d+:"))
    app.add_handler(CallbackQueryHandler(signals.source_button, pattern=r"^sb:\d+:[bp]:"))
    app.add_handler(CallbackQueryHandler(signals.addressee_button, pattern=r"^sa:\d+:"))
    app.add_handler(CallbackQueryHandler(signals.signals_more, pattern=r"^sl:\d+:"))
    app.add_handler(CallbackQueryHandler(browse.search_more, pattern=r"^zt?:\d+:"))
    app.add_handler(CallbackQueryHandler(browse.details_button, pattern=r"^d:[abpmsd]:"))
    app.add_handler(CallbackQueryHandler(meetings.edit_button, pattern=r"^w:m:\d+$"))
    app.add_handler(CallbackQueryHandler(meetings.expired_button, pattern=r"^m[bd]:"))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, browse.search))
    app.add_error_handler(on_error)


async def unknown_command(update: Update, context: Any) -> None:
    """A command the bot does not know."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            "Dat commando ken ik niet. Zie /help voor wat ik kan.", do_quote=True
        )


def build_application(
    regie: Regie,
    *,
    token: str,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application with every handler; the Updater is replaced by the inbox poller."""
    settings = regie.settings
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .updater(None)
        .concurrent_updates(True)
    )
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/").removesuffix("/bot")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limiter:
        # Retries 429 after the server's retry_after; keeps under 30/s overall, 20/min a group.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.bot_data["regie"] = regie
    register_handlers(app)
    return app


async def set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in commands.COMMANDS])


class InboxRunner:
    """Handles stored updates: one chat at a time in order, different chats concurrently."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], regie: Regie) -> None:
        self.app = app
        self.regie = regie
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.tasks: set[asyncio.Task[None]] = set()

    async def handle(self, update_id: int, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.app.bot)
        chat = update.effective_chat
        async with self.locks[chat.id if chat else 0]:
            async with self.regie.store.sessions() as session:
                if await inbox.is_handled(session, update_id):
                    return
            try:
                await self.app.process_update(update)
            except Exception as exc:  # process_update reports handler errors itself
                logger.exception("update %s could not be processed", update_id)
                async with self.regie.store.sessions() as session:
                    await inbox.mark_failed(session, update_id, repr(exc))
                    await session.commit()
                return
            async with self.regie.store.sessions() as session:
                await inbox.mark_handled(session, update_id)
                await session.commit()

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
        async with runner.regie.store.sessions() as session:
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


async def run_bot(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`regiebot run`: open the core, start the Application, poll until stopped."""
    token = check_token(settings)
    install_redactor(token)
    regie = await Regie.open(settings)
    app = build_application(regie, token=token)
    stop = stop or asyncio.Event()
    try:
        try:
            await app.initialize()
        except InvalidToken:
            raise ValueError("Telegram rejected TELEGRAM_BOT_TOKEN (unauthorized)") from None
        await app.start()
        try:
            await app.bot.delete_webhook(drop_pending_updates=False)
            await set_commands(app)
        except Forbidden:
            logger.warning("could not register the command menu")
        runner = InboxRunner(app, regie)
        resumed = await runner.resume()
        logger.info("regiebot @%s is running (%d stored updates resumed)",
                    app.bot.username, resumed)
        if on_ready is not None:
            await on_ready()
        await poll(app, runner, stop)
        await runner.drain()
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
        await regie.close()


# --- an in-process Bot API for `regiebot chat` ------------------------------------------------

LOCAL_USER_ID = 1
LOCAL_CHAT_ID = 1
BOT_USER = {"id": 1_000_000, "is_bot": True, "first_name": "regiebot", "username": "regiebot"}


@dataclass
class LocalBotApi(BaseRequest):
    """Answers the Bot API calls the bot makes, in-process, and collects what it 'sends'."""

    outbox: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.json_parameters) if request_data else {}
        result = self._answer(api_method, {k: _decode_param(v) for k, v in params.items()})
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def new_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            message: dict[str, Any] = {
                "message_id": self.new_message_id(),
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", LOCAL_CHAT_ID)), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text") or params.get("caption") or "[bestand]",
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            self.messages[message["message_id"]] = message
            self.outbox.append(message)
            return message
        if method == "editMessageText":
            edited = self.messages.get(int(params.get("message_id", 0)))
            if edited is None:
                return True
            edited["text"] = params.get("text", "")
            edited.pop("reply_markup", None)
            if "reply_markup" in params:
                edited["reply_markup"] = params["reply_markup"]
            self.outbox.append(dict(edited, edited=True))
            return edited
        if method == "answerCallbackQuery":
            if params.get("text"):
                self.outbox.append({"text": params["text"], "alert": True})
            return True
        return True  # setMyCommands, sendChatAction, deleteWebhook, ...


def _decode_param(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
