"""The wiring of the Telegram Application: handlers, defaults, limits, and the durable inbox.

python-telegram-bot's Updater confirms a fetched batch (the next getUpdates moves the offset)
before its handlers ran, so a crash would lose what was fetched but not handled. regiebot polls
itself instead: each batch is stored in the inbox and committed, only then is the offset moved
on, and every update is handled from the inbox and marked handled with its effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import re
import time
import warnings
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
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
from bot.webhook import MAX_CONNECTIONS, WebhookConfig, WebhookServer, webhook_config
from handlers import browse, commands, meetings, reminders, reports, signals
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
    reports.register(app)  # /jaarverslag, /export, /mijngegevens, /geschiedenis
    reminders.register(app)  # /stand, /grafiek, /herinneringen, /volg, reminder buttons
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
        # 30 sends/s overall, 20/min a group; 429 after retry_after, 502 with back-off.
        builder = builder.rate_limiter(FloodControl(max_retries=3))
    app = builder.build()
    app.bot_data["regie"] = regie
    register_handlers(app)
    return app


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


async def set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in commands.COMMANDS])


class InboxRunner:
    """Handles stored updates: one chat at a time in order, different chats concurrently.

    An update that changed something was marked handled in the transaction of its effects
    (Regie._mark), except a new meeting or signal, which its unique source message guards.
    The rest (questions, button presses that only show something, new entries) are marked
    in batches, `batch_seconds` apart, one UPDATE for all: a crash in between means those few
    are answered once more after the restart ("was al opgeslagen" for an entry), never that
    anything is stored twice.
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
        if batch:
            async with self.regie.store.writing() as session:
                await inbox.mark_many_handled(session, batch)
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


GC_YOUNG_THRESHOLD = 10_000


def settle_memory() -> None:
    """Take what start-up built out of the garbage collector's sight, and collect less often.

    The knowledge base, the search index and the libraries' own objects live as long as the
    process; without this every full collection walks all of them again (hundreds of
    thousands of objects), which shows as latency spikes under load. Frozen objects are still
    freed by reference counting when they go (e.g. the old index after a reload).

    Every update makes thousands of short-lived objects (python-telegram-bot's, SQLAlchemy's),
    almost all freed by reference counting; with the default threshold the collector ran
    every 700 allocations to look for cycles among them. Every 10,000 costs a little memory
    and measured about a fifth more updates per second in benchmarks/bot_bench.py.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


async def run_bot(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """`regiebot run`: open the core, start the Application, poll or serve the webhook."""
    token = check_token(settings)
    install_redactor(token)
    webhook = webhook_settings(settings)
    if webhook is not None:
        install_redactor(webhook.secret)
    regie = await Regie.open(settings)
    app = build_application(regie, token=token)
    stop = stop or asyncio.Event()
    try:
        try:
            await app.initialize()
        except InvalidToken:
            raise ValueError("Telegram rejected TELEGRAM_BOT_TOKEN (unauthorized)") from None
        await app.start()
        # The daily reminder sweep (and a missed one, once) on this instance's own JobQueue.
        await reminders.start_jobs(app)
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                prune_inbox, interval=dt.timedelta(days=1), first=60, name="inbox-prune"
            )
        runner = InboxRunner(app, regie, batch_seconds=0.05)
        settle_memory()
        if webhook is None:
            with contextlib.suppress(Forbidden):
                # Telegram refuses getUpdates while a webhook is set.
                await app.bot.delete_webhook(drop_pending_updates=False)
            await _register_commands(app)
            resumed = await runner.resume()
            logger.info(
                "regiebot @%s is polling (%d stored updates resumed)", app.bot.username, resumed
            )
            if on_ready is not None:
                await on_ready()
            await poll(app, runner, stop)
        else:
            await serve_webhook(app, runner, stop, webhook, on_ready=on_ready)
        await runner.drain()
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
        await regie.close()


# Handled updates hold what people typed (names, text): kept this long for resends, then gone.
INBOX_KEEP = dt.timedelta(days=30)


async def prune_inbox(context: Any) -> int:
    """The daily job that forgets handled updates older than INBOX_KEEP."""
    regie: Regie = context.bot_data["regie"]
    async with regie.store.writing() as session:
        removed = await inbox.prune(session, older_than=INBOX_KEEP)
        await session.commit()
    if removed:
        logger.info("inbox: %d handled updates older than %s removed", removed, INBOX_KEEP)
    return removed


def webhook_settings(settings: Settings) -> WebhookConfig | None:
    """Webhook mode when REGIEBOT_WEBHOOK_URL is set (a random secret when none is)."""
    if not settings.webhook_url:
        return None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    return webhook_config(
        settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret=secret,
    )


async def serve_webhook(
    app: Application[Any, Any, Any, Any, Any, Any],
    runner: InboxRunner,
    stop: asyncio.Event,
    config: WebhookConfig,
    *,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Webhook mode: resume the inbox, listen, point Telegram here, serve until stopped.

    The stored backlog is submitted before the listener opens, so a chat's old updates are
    handled before its new ones. At stop the webhook stays set: Telegram keeps what arrives
    meanwhile and delivers it to the next start.
    """
    resumed = await runner.resume()
    server = WebhookServer(
        sessions=runner.regie.store.writing,  # a write: on SQLite, one at a time
        submit=runner.submit,
        secret=config.secret,
        path=config.path,
        listen=config.listen,
        port=config.port,
    )
    try:
        await server.start()
    except OSError as exc:
        where = f"{config.listen}:{config.port}"
        raise ValueError(f"cannot listen on {where} for the webhook: {exc.strerror}") from None
    try:
        try:
            await app.bot.set_webhook(
                url=config.url,
                secret_token=config.secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=MAX_CONNECTIONS,
                drop_pending_updates=False,
            )
        except BadRequest as exc:
            raise ValueError(f"Telegram refused the webhook {config.url}: {exc.message}") from None
        await _register_commands(app)
        logger.info(
            "regiebot @%s receives updates at %s (listening on %s:%d, %d resumed)",
            app.bot.username,
            config.url,
            config.listen,
            server.port,
            resumed,
        )
        if on_ready is not None:
            await on_ready()
        await stop.wait()
    finally:
        await server.stop()


async def _register_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    try:
        await set_commands(app)
    except Forbidden:
        logger.warning("could not register the command menu")


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
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
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
