"""`regiebot run` as a subprocess against the loopback fake Bot API server.

Covers polling, a meeting conversation with button presses, a question and a signal, and the
inbox's promise: 50 signals queued at once, the bot killed with SIGKILL after 10 replies and
restarted, and all 50 are stored, each once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.fakes import DEFAULT_USER_ID, FakeBotApi, FakeBotApiServer

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:fake-token-for-tests-only-0123456789abc"


def _count_signals(database_url: str) -> tuple[int, int]:
    """(signals, distinct source messages) via a plain synchronous connection."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url.set(drivername="sqlite"))
    else:
        import asyncio

        from sqlalchemy.ext.asyncio import create_async_engine

        async def count() -> tuple[int, int]:
            aengine = create_async_engine(url)
            try:
                async with aengine.connect() as conn:
                    row = (
                        await conn.execute(
                            text("SELECT count(*), count(DISTINCT source_message_id) FROM signals")
                        )
                    ).one()
                    return int(row[0]), int(row[1])
            finally:
                await aengine.dispose()

        return asyncio.run(count())
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT count(*), count(DISTINCT source_message_id) FROM signals")
            ).one()
            return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server() -> Iterator[tuple[FakeBotApi, FakeBotApiServer]]:
    api = FakeBotApi(token=TOKEN)
    with FakeBotApiServer(api, lifetime=300) as srv:
        yield api, srv


def start_bot(
    srv: FakeBotApiServer, cli_env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    # PostgreSQL is migrated explicitly, as in production (SQLite upgrades itself).
    subprocess.run(
        [sys.executable, "-m", "bot.interface.cli", "db", "upgrade"],
        env=cli_env,
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {
        **cli_env,
        **srv.env(),
        "REGIEBOT_ALLOWED_USERS": str(DEFAULT_USER_ID),
        "REGIEBOT_LOG_LEVEL": "DEBUG",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.interface.cli", "run"],
        env=env,
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def texts(api: FakeBotApi) -> list[str]:
    return api.sent_texts()


def test_a_full_conversation_through_polling(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    api, srv = server
    log = tmp_path / "bot.log"
    proc = start_bot(srv, cli_env, log)
    try:
        wait_for(lambda: bool(api.calls_of("setMyCommands")), "the command menu", 60)
        names = [c["command"] for c in api.calls_of("setMyCommands")[-1].params["commands"]]
        assert "vergadering" in names
        api.push_message("/vergadering ROA over capacity building, doelgroepanalyse")
        wait_for(lambda: any("Op welke datum" in t for t in texts(api)), "the date question")
        api.press("Gisteren")
        wait_for(lambda: any("Vergadering opgeslagen" in t for t in texts(api)), "the meeting")
        api.push_message("wat loopt er rond mobiliteit?")
        wait_for(lambda: any("<b>Acties</b>" in t for t in texts(api)), "the answer")
        api.push_message("/signaal instroom doelgroepmedewerkers ligt lager")
        wait_for(lambda: any("Signaal opgeslagen" in t for t in texts(api)), "the signal")
        assert [c for c in api.calls if c.error is not None] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()
    assert TOKEN not in log.read_text(), "the token leaked into a log line"
    assert TOKEN.split(":")[1] not in log.read_text()


def test_no_update_is_lost_when_the_bot_is_killed(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    api, srv = server
    for i in range(50):
        api.push_message(f"/signaal signaal nummer {i} over mobiliteit en taal")
    log = tmp_path / "bot.log"
    first = start_bot(srv, cli_env, log)
    try:
        wait_for(lambda: len(api.calls_of("sendMessage")) >= 10, "ten replies", 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    second = start_bot(srv, cli_env, log)
    try:
        wait_for(lambda: _count_signals(cli_env["DATABASE_URL"])[0] >= 50, "all 50 signals", 90)
        time.sleep(0.5)  # anything stored twice would show up now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    total, distinct = _count_signals(cli_env["DATABASE_URL"])
    assert (total, distinct) == (50, 50)
    assert api.pending_updates() == 0 or all(u["update_id"] > 50 for u in api.updates)


def test_a_missing_or_malformed_token_is_a_one_line_error(cli_env: dict[str, str]) -> None:
    for token in ("", "not-a-token"):
        env = {**cli_env, "TELEGRAM_BOT_TOKEN": token}
        proc = subprocess.run(
            [sys.executable, "-m", "bot.interface.cli", "run"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        assert "TELEGRAM_BOT_TOKEN" in proc.stderr.strip().splitlines()[-1]
        if token:
            assert token not in proc.stderr


del os


def test_a_conflict_from_another_poller_does_not_stop_the_bot(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    from tests.fakes import ApiError

    api, srv = server
    api.fail_next(
        "getUpdates", ApiError(409, "Conflict: terminated by other getUpdates request"), times=1
    )
    log = tmp_path / "bot.log"
    proc = start_bot(srv, cli_env, log)
    try:
        wait_for(lambda: bool(api.calls_of("setMyCommands")), "the command menu", 60)
        api.push_message("/zoek mobiliteit")
        wait_for(lambda: any("<b>Acties</b>" in t for t in texts(api)), "the answer after 409")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()
