"""`regiebot chat` end to end: a whole transcript on stdin, the printed replies, stored rows."""

from __future__ import annotations

import io
import json
import logging
import warnings

import pytest

from bot.config import Settings
from bot.interface.chat import LOCAL_USER_ID, TerminalChat, run_chat
from bot.services.core import Regie
from storage.store import Store
from tests.conftest import DATA_DIR
from tests.test_cli import regiebot


def test_a_scripted_chat_logs_a_meeting_via_buttons_and_answers_a_question(
    cli_env: dict[str, str],
) -> None:
    transcript = (
        "\n".join(
            [
                "/vergadering ROA over capacity building, doelgroepanalyse",
                "2",  # [2] Gisteren
                "wat loopt er rond mobiliteit?",
                "/signaal instroom doelgroepmedewerkers ligt lager <b>dringend</b>",
                "/vergadering Onbestaand orgaan 31/02/2026",
                "/annuleer",
            ]
        )
        + "\n"
    )
    proc = regiebot(cli_env, "chat", stdin=transcript)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Op welke datum?" in out
    assert "[1] Vandaag   [2] Gisteren   [3] Andere datum" in out
    assert "Vergadering opgeslagen" in out
    assert "Acties" in out
    assert "2.3.2 Mobiliteit" in out
    assert "Signaal opgeslagen" in out
    assert "<b>dringend</b>" in out  # the user's own text comes back as typed, not as markup
    assert "31/02/2026 bestaat niet" in out
    assert "niets opgeslagen" in out
    export = json.loads(regiebot(cli_env, "export", "--json").stdout)
    assert [(m["body"], m["topics"]) for m in export["meetings"]] == [
        ("roa", ["capacity building", "doelgroepanalyse"])
    ]
    assert len(export["signals"]) == 1


def test_the_first_vergadering_prints_no_library_warning_and_annuleer_alone_is_answered(
    cli_env: dict[str, str],
) -> None:
    proc = regiebot(cli_env, "chat", stdin="/vergadering\n/annuleer\n/annuleer\n")
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr
    assert "Warning" not in proc.stdout
    assert "Geannuleerd; er is niets opgeslagen." in proc.stdout
    assert "Er is niets om te annuleren." in proc.stdout
    assert "ken ik niet" not in proc.stdout


async def _chat(database_url: str, out: io.StringIO) -> TerminalChat:
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    settings = Settings(
        database_url=database_url, admins=[LOCAL_USER_ID], kb_dir=DATA_DIR, telegram_base_url=None
    )
    chat = TerminalChat(await Regie.open(settings), out)
    await chat.start()
    return chat


async def test_the_chats_job_queue_ends_an_abandoned_meeting_conversation(
    database_url: str,
) -> None:
    out = io.StringIO()
    chat = await _chat(database_url, out)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any library warning fails the test
            await chat.send("/vergadering")
        assert "Welk overlegorgaan" in out.getvalue()
        assert chat.app.job_queue is not None
        [timeout] = chat.app.job_queue.jobs()  # the conversation's 15-minute timeout
        await timeout.run(chat.app)  # as if the quarter of an hour has passed
        await chat.send("/annuleer")
        assert out.getvalue().rstrip().endswith("Er is niets om te annuleren.")
    finally:
        await chat.stop()
        await chat.regie.close()
    assert not chat.app.running


async def test_a_warning_during_the_chat_goes_to_the_log_and_not_the_terminal(
    database_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    await (await Store.open(database_url, migrate=True, seed_kb=False)).close()
    settings = Settings(database_url=database_url, kb_dir=DATA_DIR, telegram_base_url=None)
    out = io.StringIO()

    class WarnsOnReadline(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            warnings.warn("something a library says", UserWarning, stacklevel=1)
            return super().readline()

    with caplog.at_level(logging.DEBUG, logger="bot.interface.chat"):
        await run_chat(settings, stdin=WarnsOnReadline("/help\n"), stdout=out)
    assert "something a library says" not in out.getvalue()
    assert "something a library says" not in capsys.readouterr().err
    assert "UserWarning: something a library says" in caplog.text
