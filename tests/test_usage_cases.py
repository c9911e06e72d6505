"""The usage cases of tests/usage/cases.yaml, each driven through the real Application.

The cases were written from the team's documents and from how people type (see
tests/usage/README.md). Every case runs in a private chat of its own on one database seeded
from data/, and is judged by what the database holds afterwards and by the bot's last reply.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.interface.polling import InboxRunner
from bot.services.core import Regie
from storage import inbox
from storage.models import Meeting, Signal
from tests.bot_harness import close_harness, make_harness
from tests.fakes import FakeBotApi

USAGE_DIR = Path(__file__).parent / "usage"
# Thursday 3 December 2026, 10:00 in Brussels: the "today" the cases were written for.
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
FIRST_USER = 500_000
CANDIDATE_DATA = re.compile(r"^(?:mb|pp:\d+:b):([a-z0-9-]+)$")


def load_cases() -> list[dict[str, Any]]:
    """Every case of tests/usage/cases*.yaml (or of the file USAGE_CASES_FILE names)."""
    chosen = os.environ.get("USAGE_CASES_FILE")
    files = [Path(chosen)] if chosen else sorted(USAGE_DIR.glob("cases*.yaml"))
    cases: list[dict[str, Any]] = []
    for path in files:
        cases.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return cases


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(plain.split())


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


@dataclass
class Outcome:
    """What one case left behind: new rows, and the bot's last message with its buttons."""

    meetings: list[Meeting] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    last_text: str = ""
    last_buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, data)
    refused_calls: int = 0
    missing_button: str | None = None


class Driver:
    def __init__(self, regie: Regie, api: FakeBotApi, runner: InboxRunner) -> None:
        self.regie, self.api, self.runner = regie, api, runner

    async def _deliver(self, raw: dict[str, Any]) -> None:
        async with self.regie.store.sessions() as session:
            await inbox.store_updates(session, [raw])
            await session.commit()
        await self.runner.handle(int(raw["update_id"]), raw)

    def _bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        mine = [m for (c, _), m in self.api.messages.items() if c == chat_id]
        return sorted((m for m in mine if m.get("from", {}).get("is_bot")), key=_message_key)

    def _find_button(self, chat_id: int, wanted: str) -> tuple[int, str] | None:
        for message in reversed(self._bot_messages(chat_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for key in row:
                    label = key.get("text", "")
                    if fold(wanted) in fold(label) and "callback_data" in key:
                        return message["message_id"], key["callback_data"]
        return None

    async def run(self, case: dict[str, Any], user_id: int) -> Outcome:
        async with self.regie.store.sessions() as session:
            last_meeting = await session.scalar(select(func.max(Meeting.id))) or 0
            last_signal = await session.scalar(select(func.max(Signal.id))) or 0
        before_calls = len(self.api.calls)
        missing_button: str | None = None
        for step in case["steps"]:
            if "say" in step:
                raw = self.api.push_message(str(step["say"]), user_id=user_id)
            else:
                found = self._find_button(user_id, str(step["press"]))
                if found is None:
                    missing_button = str(step["press"])
                    break
                message_id, data = found
                raw = self.api.press(data, chat_id=user_id, message_id=message_id)
            self.api.updates.clear()
            await self._deliver(raw)
        outcome = Outcome(missing_button=missing_button)
        async with self.regie.store.sessions() as session:
            outcome.meetings = list(
                (
                    await session.scalars(
                        select(Meeting)
                        .where(Meeting.id > last_meeting)
                        .options(selectinload(Meeting.attendees))
                    )
                ).all()
            )
            outcome.signals = list(
                (
                    await session.scalars(
                        select(Signal)
                        .where(Signal.id > last_signal)
                        .options(selectinload(Signal.themes))
                    )
                ).all()
            )
        messages = self._bot_messages(user_id)
        if messages:
            last = messages[-1]
            outcome.last_text = last.get("text", "")
            outcome.last_buttons = [
                (key.get("text", ""), key.get("callback_data", ""))
                for row in last.get("reply_markup", {}).get("inline_keyboard", [])
                for key in row
            ]
        outcome.refused_calls = sum(
            1 for c in self.api.calls[before_calls:] if c.error is not None
        )
        # Leave no conversation open for the next case (each case has its own chat anyway).
        await self._deliver(self.api.push_message("/annuleer", user_id=user_id))
        self.api.updates.clear()
        return outcome


def _message_key(message: dict[str, Any]) -> tuple[int, int]:
    return (int(message.get("edit_date") or message.get("date") or 0), message["message_id"])


def judge(case: dict[str, Any], out: Outcome) -> tuple[list[str], bool]:
    """The ways the outcome differs from the case's expectation, and whether a meeting was
    stored under a body or date other than the expected one (the worst kind of error)."""
    expect = case["expect"]
    result = expect["result"]
    wrong: list[str] = []
    wrong_record = False
    if out.missing_button is not None:
        wrong.append(f"no button like {out.missing_button!r} to press")
    if out.refused_calls:
        wrong.append(f"{out.refused_calls} Bot API call(s) refused")
    stored = out.meetings + out.signals
    if result != "stored":
        if stored:
            wrong.append(f"stored {len(stored)} entr(ies) but expected {result}")
            wrong_record = bool(out.meetings)
        if result == "asks":
            if not out.last_buttons:
                wrong.append("the last reply asks nothing with buttons")
            offered = {
                m.group(1) for _, data in out.last_buttons if (m := CANDIDATE_DATA.match(data))
            }
            missing = set(expect.get("candidates") or []) - offered
            if missing:
                wrong.append(f"candidates {sorted(missing)} not offered (got {sorted(offered)})")
            unwanted = set(expect.get("not_candidates") or []) & offered
            if unwanted:
                wrong.append(f"candidates {sorted(unwanted)} offered")
        elif result == "refuses":
            if not out.last_text:
                wrong.append("no reply")
        elif result == "answers":
            if any(data.startswith("pp:") for _, data in out.last_buttons):
                wrong.append("proposed to store a question")
            if not out.last_text:
                wrong.append("no answer")
        return wrong, wrong_record
    kind = expect.get("kind", "meeting")
    rows: list[Any] = out.meetings if kind == "meeting" else out.signals
    if len(rows) != 1 or len(stored) != 1:
        wrong.append(
            f"expected one {kind}, got {len(out.meetings)} meetings, {len(out.signals)} signals"
        )
        wrong_record = bool(out.meetings) and kind != "meeting"
        return wrong, wrong_record
    row = rows[0]
    if "date" in expect and row.date != dt.date.fromisoformat(str(expect["date"])):
        wrong.append(f"date {row.date} instead of {expect['date']}")
        wrong_record = kind == "meeting"
    if kind == "meeting":
        if "body" in expect and row.body_id != expect["body"]:
            wrong.append(f"body {row.body_id} instead of {expect['body']}")
            wrong_record = True
        if "status" in expect and row.status != expect["status"]:
            wrong.append(f"status {row.status} instead of {expect['status']}")
        if "time" in expect and row.start_time != expect["time"]:
            wrong.append(f"time {row.start_time} instead of {expect['time']}")
        agenda = fold(" ; ".join(row.topics or []))
        agenda_words = words(agenda)
        for phrase in expect.get("agenda") or []:
            if fold(str(phrase)) not in agenda and not _words_in_order(
                words(str(phrase)), agenda_words
            ):
                wrong.append(f"agenda {row.topics!r} lacks {phrase!r}")
        for phrase in expect.get("not_agenda") or []:
            if _words_in_order(words(str(phrase)), agenda_words) or (
                not words(str(phrase)) and str(phrase) in " ".join(row.topics or [])
            ):
                wrong.append(f"agenda {row.topics!r} holds {phrase!r}")
    else:
        themes = {t.id for t in row.themes}
        missing = set(expect.get("themes") or []) - themes
        if missing:
            wrong.append(f"themes {sorted(themes)} lack {sorted(missing)}")
        extra = set(expect.get("not_themes") or []) & themes
        if extra:
            wrong.append(f"themes {sorted(themes)} hold {sorted(extra)}")
    return wrong, wrong_record


def _words_in_order(needle: list[str], haystack: list[str]) -> bool:
    if not needle:
        return False
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@pytest.fixture
async def driver(database_url: str) -> AsyncIterator[Driver]:
    cases = load_cases()
    h = await make_harness(
        database_url,
        now=NOW,
        allowed_users=list(range(FIRST_USER, FIRST_USER + len(cases) + 1)),
        admins=[],
    )
    try:
        yield Driver(h.regie, h.api, h.runner)
    finally:
        await close_harness(h)


def test_the_case_file_is_well_formed_and_large_enough() -> None:
    cases = load_cases()
    assert len(cases) >= 200
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids))
    for case in cases:
        assert case["expect"]["result"] in ("stored", "asks", "refuses", "answers"), case["id"]
        assert case["steps"], case["id"]


async def test_every_usage_case_does_what_the_team_expects(driver: Driver) -> None:
    cases = load_cases()
    failures: list[str] = []
    wrong_records: list[str] = []
    for number, case in enumerate(cases):
        outcome = await driver.run(case, FIRST_USER + number)
        wrong, wrong_record = judge(case, outcome)
        if wrong:
            failures.append(f"{case['id']}: {'; '.join(wrong)}")
        if wrong_record:
            wrong_records.append(case["id"])
    right = len(cases) - len(failures)
    report = (
        f"usage cases: {right}/{len(cases)} right ({100 * right / len(cases):.1f} %), "
        f"{len(wrong_records)} meeting(s) stored under a wrong body or date"
    )
    print(report)
    assert not failures, report + "\n" + "\n".join(failures)
