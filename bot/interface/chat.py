"""`regiebot chat`: the real Application in the terminal, through an in-process Bot API.

Your lines become a local admin's Telegram messages; the bot's replies are printed as plain
text (HTML rendered to text) and inline keyboards as numbered choices: type the number to press
the button. Works on the embedded SQLite with no configuration, and from a script:
`regiebot chat < lines.txt` prints the replies and stops at the end of input.

The lines go through the inbox like Telegram's updates, but under local (negative) update ids,
so a chat on the database of `regiebot run` never moves its getUpdates offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import logging
import re
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

from bot.config import Settings
from bot.interface.application import LOCAL_CHAT_ID, LOCAL_USER_ID, LocalBotApi, build_application
from bot.interface.polling import InboxRunner
from bot.services.core import Regie
from storage import inbox

logger = logging.getLogger(__name__)

LOCAL_TOKEN = "1000000:LOCAL-terminal-chat-token"
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """Telegram HTML as the terminal shows it: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


class TerminalChat:
    """Feeds lines to the Application and prints what it answered."""

    def __init__(self, regie: Regie, out: TextIO) -> None:
        self.api = LocalBotApi()
        self.regie = regie
        self.out = out
        self.app = build_application(
            regie,
            token=LOCAL_TOKEN,
            request=self.api,
            get_updates_request=self.api,
            rate_limiter=False,
        )
        self.runner = InboxRunner(self.app, regie)
        self.query_ids = itertools.count(1)
        self.choices: list[tuple[int, dict[str, Any], str]] = []

    async def start(self) -> None:
        """Initialize and start the Application: its JobQueue runs the conversation timeouts."""
        await self.app.initialize()
        await self.app.start()

    async def stop(self) -> None:
        if self.app.running:
            await self.app.stop()
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
        async with self.regie.store.writing() as session:
            raw = await inbox.store_local_update(session, raw)
            await session.commit()
        await self.runner.handle(raw["update_id"], raw)
        self._print(self.api.outbox[before:])

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
        return {"message": message}  # the inbox gives it its local update_id

    def _callback(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        return {
            "callback_query": {
                "id": f"local-{next(self.query_ids)}",
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


@contextlib.contextmanager
def warnings_to_log() -> Iterator[None]:
    """Python warnings (a library's PTBUserWarning, ...) go to the debug log, shown with -v.

    The terminal is the conversation: a warning printed there reads as if the bot said it.
    """

    def log_warning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        logger.debug("%s: %s (%s:%d)", category.__name__, message, filename, lineno)

    with warnings.catch_warnings():
        warnings.showwarning = log_warning
        yield


async def run_chat(
    settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """The REPL: a local admin talks to the real bot until end of input (or /stop)."""
    with warnings_to_log():
        await _run_chat(settings, stdin=stdin, stdout=stdout)


async def _run_chat(settings: Settings, *, stdin: TextIO, stdout: TextIO) -> None:
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
