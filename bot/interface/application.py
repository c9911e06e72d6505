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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
)
from telegram.ext import (
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
from bot.interface.flood import FloodControl
from bot.interface.polling import ALLOWED_UPDATES, InboxRunner, poll
from bot.interface.webhook import MAX_CONNECTIONS, WebhookConfig, WebhookServer, webhook_config
from bot.services.core import Regie
from handlers import browse, commands, meetings, proposals, reminders, reports, signals
from handlers.common import gate, on_error
from storage import inbox

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^\d{3,12}:[A-Za-z0-9_-]{30,}$")


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
    # After every conversation: their own /annuleer comes first while one is going on.
    app.add_handler(CommandHandler(["annuleer", "cancel", "stop"], commands.nothing_to_cancel))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(proposals.proposal_button, pattern=proposals.PATTERN))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, proposals.plain_text))
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


async def set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in commands.COMMANDS])


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
    # Meetings, signals and proposals are stored once per (chat, message id), as Telegram never
    # repeats an id in a chat. The local chat is one chat for every run on a database, also two
    # runs at once, so a per-run count from 1 would hand a new meeting the id of an old one.
    # The largest id already stored would not keep two simultaneous runs apart, and a counter
    # in the database needs a table; microseconds since the epoch do both: a run mints a few
    # ids a second, so two runs minting the same microsecond does not happen in practice, and
    # within a run each id is above the last even if the clock stands still or steps back.
    # They fit a BigInteger and JSON's exact integers, far above the small ids of older runs.
    clock_ns: Callable[[], int] = time.time_ns
    last_message_id: int = 0

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
        """An id for a message in the local chat that no run on this database used before."""
        self.last_message_id = max(self.last_message_id + 1, self.clock_ns() // 1000)
        return self.last_message_id

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
