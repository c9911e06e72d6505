"""The stock echo bot that bot_bench.py measures regiebot against, and the harness both share.

The echo bot is python-telegram-bot with the library's defaults (`Application.builder()`, one
update at a time, its own Updater polling with `start_polling()`'s defaults) and one
MessageHandler that replies with the text. It talks to a FakeBotApi in its own process through
RecordingRequest; nothing of regiebot is imported here, so that process holds none of
regiebot's modules or heap and keeps the garbage collector's default settings.

The reply is the text HTML-escaped with parse_mode HTML: regiebot sends every reply as HTML,
which the fake parses, and the echo bot pays for the same parsing.

    bot_bench.py starts `python benchmarks/echo_bot.py` and writes one JSON line per round
    (a list of [text, user, chat]); the process answers one JSON line with the round's time
    and latencies.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from telegram import Update  # noqa: E402
from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from tests.fakes import DEFAULT_TOKEN, FakeBotApi, RecordingRequest  # noqa: E402


@dataclass(frozen=True)
class Message:
    text: str
    user: int
    chat: int


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        return (
            f"{self.name:<11} {len(ms):>5} updates in {self.seconds:5.2f} s: "
            f"{self.rate:7.1f} updates/s, median {statistics.median(ms):6.1f} ms, "
            f"p99 {p99:6.1f} ms"
        )


Done = dict[int, "asyncio.Future[float]"]


def mark_done(waiting: Done, update_id: int) -> None:
    """The benchmark's note that an update is done (its reply sent)."""
    done = waiting.pop(update_id, None)
    if done is not None and not done.done():
        done.set_result(time.perf_counter())


async def send_all(
    name: str, api: FakeBotApi, waiting: Done, messages: list[Message], in_flight: int
) -> Result:
    """Users send messages to a fake; each chat sends its next one once the last is done."""
    by_chat: dict[int, list[Message]] = {}
    for message in messages:
        by_chat.setdefault(message.chat, []).append(message)
    latencies: list[float] = []
    slots = asyncio.Semaphore(in_flight)
    loop = asyncio.get_running_loop()

    async def chat(queue: list[Message]) -> None:
        for m in queue:
            async with slots:
                kind: Any = "supergroup" if m.chat < 0 else "private"
                sent = time.perf_counter()
                raw = api.push_message(m.text, user_id=m.user, chat_id=m.chat, chat_type=kind)
                done = waiting[raw["update_id"]] = loop.create_future()
                latencies.append(await done - sent)

    start = time.perf_counter()
    await asyncio.gather(*(chat(queue) for queue in by_chat.values()))
    return Result(name, time.perf_counter() - start, latencies)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the text back, as HTML like regiebot's replies."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(html.escape(message.text), parse_mode=ParseMode.HTML)


def stock_echo_bot(api: FakeBotApi, waiting: Done) -> Application[Any, Any, Any, Any, Any, Any]:
    """python-telegram-bot's echo bot with the library's defaults, talking to the fake."""
    app = (
        Application.builder()
        .token(DEFAULT_TOKEN)
        .request(RecordingRequest(api))
        .get_updates_request(RecordingRequest(api))
        .build()
    )

    async def timed_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The echo, then the benchmark's note that this update is done."""
        await echo(update, context)
        mark_done(waiting, update.update_id)

    app.add_handler(MessageHandler(filters.TEXT, timed_echo))
    return app


async def serve(in_flight: int) -> None:
    """One round per JSON line on stdin, one JSON line back, until stdin closes."""
    logging.basicConfig(level=logging.WARNING)
    api = FakeBotApi()
    waiting: Done = {}
    app = stock_echo_bot(api, waiting)
    await app.initialize()
    updater = app.updater
    if updater is None:
        raise RuntimeError("the stock Application has an Updater")
    await updater.start_polling()
    await app.start()
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            messages = [Message(*m) for m in json.loads(line)]
            api.clear_records()
            result = await send_all("stock echo", api, waiting, messages, in_flight)
            failed = sum(1 for c in api.calls if c.error is not None)
            answer = {"seconds": result.seconds, "latencies": result.latencies, "failed": failed}
            print(json.dumps(answer), flush=True)
    finally:
        await updater.stop()
        await app.stop()
        await app.shutdown()


class EchoProcess:
    """bot_bench.py's handle on the echo bot's process."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.refused = 0  # calls the echo bot's fake refused

    @classmethod
    async def start(cls, in_flight: int) -> EchoProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            str(in_flight),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def round(self, messages: list[Message]) -> Result:
        """Send the messages to the echo bot's fake, as bot_bench does to regiebot's."""
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the echo bot's process has no pipes")
        rows = [[m.text, m.user, m.chat] for m in messages]
        stdin.write((json.dumps(rows) + "\n").encode())
        await stdin.drain()
        line = await stdout.readline()
        if not line:
            raise RuntimeError("the echo bot's process ended")
        answer = json.loads(line)
        self.refused += answer["failed"]
        return Result("stock echo", answer["seconds"], answer["latencies"])

    async def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        await self.proc.wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
