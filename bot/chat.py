"""`regiebot chat`: the real Application in the terminal, through an in-process Bot API.

Your lines become a local admin's Telegram messages; the bot's replies are printed as plain
text (HTML rendered to text) and inline keyboards as numbered choices: type the number to press
the button. Works on the embedded SQLite with no configuration, and from a script:
`regiebot chat < lines.txt` prints the replies and stops at the end of input.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from telegram.request import BaseRequest, RequestData

from bot.app import InboxRunner, build_application
from bot.config import Settings
from bot.core import Regie
from storage import inbox

LOCAL_USER_ID = 1
LOCAL_CHAT_ID = 1
BOT_USER = {"id": 1_000_000, "is_bot": True, "first_name": "regiebot", "username": "regiebot"}
LOCAL_TOKEN = "1000000:LOCAL-terminal-chat-token"
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """Telegram HTML as the terminal shows it: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


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
        result = self._answer(api_method, {k: _decode(v) for k, v in params.items()})
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


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class TerminalChat:
    """Feeds lines to the Application and prints what it answered."""

    def __init__(self, regie: Regie, out: TextIO) -> None:
        self.api = LocalBotApi()
        self.regie = regie
        self.out = out
        self.app = build_application(regie, token=LOCAL_TOKEN, request=self.api,
                                     get_updates_request=self.api, rate_limiter=False)
        self.runner = InboxRunner(self.app, regie)
        self.update_id = int(time.time() * 1000) % 1_000_000_000
        self.choices: list[tuple[int, dict[str, Any], str]] = []

    async def start(self) -> None:
        await self.app.initialize()

    async def stop(self) -> None:
        await self.app.shutdown()

    async def send(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if line.isdigit() and self.choices and 1 <= int(line) <= len(self.choices):
            _, message, data = self.choices[int(line) - 1]
            raw = self._callback(message, data)
        else:
            raw = self._message(line)
        before = len(self.api.outbox)
        async with self.regie.store.sessions() as session:
            await inbox.store_updates(session, [raw])
            await session.commit()
        await self.runner.handle(raw["update_id"], raw)
        self._print(self.api.outbox[before:])

    def _next_update(self) -> int:
        self.update_id += 1
        return self.update_id

    def _message(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.api.new_message_id(),
            "date": int(time.time()),
            "chat": {"id": LOCAL_CHAT_ID, "type": "private", "first_name": "Lokaal"},
            "from": {"id": LOCAL_USER_ID, "is_bot": False, "first_name": "Lokaal"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self._next_update(), "message": message}

    def _callback(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        return {
            "update_id": self._next_update(),
            "callback_query": {
                "id": f"local-{self.update_id}",
                "from": {"id": LOCAL_USER_ID, "is_bot": False, "first_name": "Lokaal"},
                "message": message,
                "chat_instance": "local",
                "data": data,
            },
        }

    def _print(self, sent: list[dict[str, Any]]) -> None:
        self.choices = []
        for message in sent:
            if message.get("alert"):
                self.out.write(f"(!) {message['text']}\n")
                continue
            self.out.write(html_to_text(message.get("text", "")) + "\n")
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                labels = []
                for button in row:
                    self.choices.append(
                        (message["message_id"], message, button.get("callback_data", ""))
                    )
                    labels.append(f"[{len(self.choices)}] {button['text']}")
                self.out.write("   " + "   ".join(labels) + "\n")
        self.out.write("\n")
        self.out.flush()


async def run_chat(settings: Settings, *, stdin: TextIO = sys.stdin,
                   stdout: TextIO = sys.stdout) -> None:
    """The REPL: a local admin talks to the real bot until end of input (or /stop)."""
    local = settings.model_copy(update={"admins": [*settings.admins, LOCAL_USER_ID]})
    regie = await Regie.open(local)
    chat = TerminalChat(regie, stdout)
    await chat.start()
    interactive = stdin.isatty()
    if interactive:
        stdout.write("regiebot in de terminal - typ /help, of Ctrl-D om te stoppen.\n\n")
    try:
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not interactive:
                stdout.write(f"> {line.rstrip()}\n")
            await chat.send(line)
    finally:
        await chat.stop()
        await regie.close()
