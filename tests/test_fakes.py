"""The offline Telegram kit refuses what the real Bot API refuses and serves python-telegram-bot.

Three layers: the FakeBotApi rules on their own, a real `telegram.Bot` through
RecordingRequest, and the same Bot over HTTP through FakeBotApiServer.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fakes import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    FakeBotApi,
    FakeBotApiServer,
    RecordingRequest,
    UploadedFile,
    make_callback_query,
    make_update_message,
)

REPO = Path(__file__).resolve().parent.parent
CHAT = 4242
# python-telegram-bot itself warns when it builds RetryAfter (int -> timedelta in v23).
IGNORE_RETRY_AFTER_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="ja")]])


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


def send(api: FakeBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    return api.respond(method, params)


def inline(*data: str) -> str:
    rows = [[{"text": f"knop {i}", "callback_data": d}] for i, d in enumerate(data)]
    return json.dumps({"inline_keyboard": rows})


# ----- the rules of the real server ---------------------------------------------------------


def test_an_unknown_method_is_answered_404_not_found(api: FakeBotApi) -> None:
    assert send(api, "sendTelepathy", chat_id=CHAT) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


def test_method_names_are_case_insensitive_like_the_real_server(api: FakeBotApi) -> None:
    assert send(api, "SENDMESSAGE", chat_id=CHAT, text="hallo")[0] == 200
    assert api.sent[-1].method == "sendMessage"


def test_an_unknown_parameter_is_refused(api: FakeBotApi) -> None:
    status, body = send(api, "sendMessage", chat_id=CHAT, text="hallo", colour="red")
    assert status == 400
    assert "colour" in body["description"]
    assert api.sent == []


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": CHAT}, "Bad Request: message text is empty"),
        ({"chat_id": CHAT, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": CHAT, "text": "<b> </b>", "parse_mode": "HTML"}, "message text is empty"),
        ({"text": "hallo"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "not-a-chat", "text": "hallo"}, "Bad Request: chat not found"),
    ],
)
def test_a_missing_or_empty_required_parameter_is_a_bad_request(
    api: FakeBotApi, params: dict[str, Any], description: str
) -> None:
    status, body = api.respond("sendMessage", params)
    assert status == 400
    assert description in body["description"]


def test_text_is_measured_in_code_points_after_entity_parsing(api: FakeBotApi) -> None:
    assert send(api, "sendMessage", chat_id=CHAT, text="x" * 4096)[0] == 200
    # Tags and entities do not count; astral emoji count once (not as two UTF-16 units).
    html = "<b>" + "&lt;" * 4000 + "</b>" + "😀" * 96
    assert send(api, "sendMessage", chat_id=CHAT, text=html, parse_mode="HTML")[0] == 200
    status, body = send(api, "sendMessage", chat_id=CHAT, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    too_long = "<i>" + "&amp;" * 4097 + "</i>"
    assert send(api, "sendMessage", chat_id=CHAT, text=too_long, parse_mode="HTML")[0] == 400


def test_a_caption_over_1024_characters_is_refused(api: FakeBotApi) -> None:
    ok = send(api, "sendPhoto", chat_id=CHAT, photo="file-1", caption="c" * 1024)
    assert ok[0] == 200
    status, body = send(api, "sendPhoto", chat_id=CHAT, photo="file-1", caption="c" * 1025)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<x>hoi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("é<p>hoi</p>", 'Unsupported start tag "p" at byte offset 2'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("1<2", "Unclosed start tag at byte offset 1"),
        ("<b>vet", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="rood">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", 'must have attribute "emoji-id"'),
        ('<a href="https://x.be">x', 'Can\'t find end tag corresponding to start tag "a"'),
        ("tot&nbsp;morgen", 'Unsupported HTML entity "&nbsp;"'),
    ],
)
def test_malformed_html_is_refused_with_the_servers_reason(
    api: FakeBotApi, html: str, reason: str
) -> None:
    status, body = send(api, "sendMessage", chat_id=CHAT, text=html, parse_mode="HTML")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert reason in body["description"]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>", "bsieun"),
        ("<s>s</s><strike>t</strike><del>d</del><tg-spoiler>g</tg-spoiler>", "stdg"),
        ('<span class="tg-spoiler">x</span><a href="https://w13.be/?a=1&amp;b=2">w</a>', "xw"),
        ('<pre><code class="language-python">x = 1</code></pre><code>y</code>', "x = 1y"),
        ("<blockquote>q</blockquote><blockquote expandable>r</blockquote>", "qr"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ('<tg-time unix="1700000000" format="wDT">morgen</tg-time>', "morgen"),
        ("&lt;&gt;&amp;&quot;&#64;&#x41; R&D", '<>&"@A R&D'),
        ("<B>hoofdletters</B>", "hoofdletters"),
    ],
)
def test_every_supported_tag_and_entity_is_accepted(api: FakeBotApi, html: str, text: str) -> None:
    status, body = send(api, "sendMessage", chat_id=CHAT, text=html, parse_mode="HTML")
    assert status == 200, body
    assert body["result"]["text"] == text


def test_callback_data_must_be_1_to_64_bytes_of_utf8(api: FakeBotApi) -> None:
    for data in ("x" * 64, "é" * 32):
        status, body = send(api, "sendMessage", chat_id=CHAT, text="t", reply_markup=inline(data))
        assert status == 200, body
    for data in ("x" * 65, "é" * 33, ""):
        status, body = send(api, "sendMessage", chat_id=CHAT, text="t", reply_markup=inline(data))
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


def test_the_sent_message_echoes_the_inline_keyboard(api: FakeBotApi) -> None:
    message = send(api, "sendMessage", chat_id=CHAT, text="kies", reply_markup=inline("a"))[1][
        "result"
    ]
    assert message["from"]["username"] == DEFAULT_BOT_USERNAME
    assert message["chat"] == {"id": CHAT, "type": "private", "first_name": "Tester"}
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"


def test_failures_can_be_injected_per_method_and_per_chat(api: FakeBotApi) -> None:
    api.flood("sendMessage", retry_after=3)
    status, body = send(api, "sendMessage", chat_id=CHAT, text="a")
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    assert body["description"] == "Too Many Requests: retry after 3"
    assert send(api, "sendMessage", chat_id=CHAT, text="a")[0] == 200
    api.bad_gateway("sendMessage", times=2)
    assert [send(api, "sendMessage", chat_id=CHAT, text="a")[0] for _ in range(3)] == [
        502,
        502,
        200,
    ]
    api.block(CHAT)
    status, body = send(api, "sendMessage", chat_id=CHAT, text="a")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert send(api, "sendMessage", chat_id=CHAT + 1, text="a")[0] == 200
    assert [c.error.error_code for c in api.calls if c.error] == [429, 502, 502, 403]


def update_ids(api: FakeBotApi, **params: Any) -> list[int]:
    status, body = api.respond("getUpdates", params)
    assert status == 200, body
    return [u["update_id"] for u in body["result"]]


def test_get_updates_confirms_below_offset_and_resends_the_rest(api: FakeBotApi) -> None:
    for i in range(1, 4):
        api.push_update(make_update_message(i, f"bericht {i}"))
    assert update_ids(api) == [1, 2, 3]
    assert update_ids(api, limit="2") == [1, 2]  # unconfirmed: sent again
    assert update_ids(api, limit=0) == [1]  # limit is clamped to 1-100
    assert update_ids(api, offset=2) == [2, 3]
    assert update_ids(api) == [2, 3]  # 1 was confirmed and is gone
    assert update_ids(api, offset=-1) == [3]
    assert update_ids(api, offset=4) == []
    assert api.pending_updates() == 0


def test_get_updates_conflicts_with_an_active_webhook(api: FakeBotApi) -> None:
    api.push_update(make_update_message(1, "x"))
    send(api, "setWebhook", url="https://bot.example/hook")
    assert send(api, "getUpdates")[0] == 409
    assert send(api, "deleteWebhook", drop_pending_updates=True)[0] == 200
    assert send(api, "getUpdates")[1]["result"] == []


def test_editing_without_a_change_is_refused_like_the_real_server(api: FakeBotApi) -> None:
    sent = send(api, "sendMessage", chat_id=CHAT, text="<b>a</b>", parse_mode="HTML")[1]
    message_id = sent["result"]["message_id"]
    edit = {"chat_id": CHAT, "message_id": message_id, "text": "<b>a</b>", "parse_mode": "HTML"}
    status, body = api.respond("editMessageText", edit)
    assert status == 400
    assert "message is not modified" in body["description"]
    edit["text"] = "<b>b</b>"
    assert api.respond("editMessageText", edit)[1]["result"]["text"] == "b"
    assert api.chat_messages(CHAT)[-1]["text"] == "b"


def test_a_callback_query_can_be_answered_once(api: FakeBotApi) -> None:
    assert send(api, "answerCallbackQuery", callback_query_id="q1")[0] == 200
    assert send(api, "answerCallbackQuery", callback_query_id="q1")[0] == 400


def test_chat_actions_and_commands_are_checked(api: FakeBotApi) -> None:
    assert send(api, "sendChatAction", chat_id=CHAT, action="typing")[0] == 200
    assert send(api, "sendChatAction", chat_id=CHAT, action="dreaming")[0] == 400
    good = json.dumps([{"command": "signaal", "description": "Signaal noteren"}])
    assert send(api, "setMyCommands", commands=good)[0] == 200
    assert send(api, "getMyCommands")[1]["result"][0]["command"] == "signaal"
    bad = json.dumps([{"command": "Signaal!", "description": "x"}])
    assert send(api, "setMyCommands", commands=bad)[1]["description"].endswith(
        "BOT_COMMAND_INVALID"
    )


def test_builders_make_updates_python_telegram_bot_understands() -> None:
    bot = Bot(DEFAULT_TOKEN)
    raw = make_update_message(7, "/vergadering@regiebot_test_bot ROA", chat_type="group")
    update = Update.de_json(raw, bot)
    assert update.effective_chat is not None
    assert update.effective_chat.type == "group"
    assert update.message is not None
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/vergadering@regiebot_test_bot")
    query = Update.de_json(make_callback_query(8, "ja", message_id=3, user_id=5, chat_id=5), bot)
    assert query.callback_query is not None
    assert query.callback_query.data == "ja"


def test_press_finds_the_button_in_the_bots_last_message(api: FakeBotApi) -> None:
    send(api, "sendMessage", chat_id=CHAT, text="Opslaan?", reply_markup=inline("save:1"))
    raw = api.press("knop 0", chat_id=CHAT)
    assert raw["callback_query"]["data"] == "save:1"
    assert raw["callback_query"]["message"]["text"] == "Opslaan?"
    with pytest.raises(LookupError):
        api.press("bestaat niet", chat_id=CHAT)


# ----- python-telegram-bot through RecordingRequest -----------------------------------------


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        DEFAULT_TOKEN, request=RecordingRequest(api), get_updates_request=RecordingRequest(api)
    ) as bot:
        yield bot


async def check_bot_against_fake(bot: Bot, api: FakeBotApi) -> None:
    """The checks both transports must pass."""
    assert bot.username == DEFAULT_BOT_USERNAME
    message = await bot.send_message(
        CHAT, "<b>Vergadering</b> &amp; notities", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert message.text == "Vergadering & notities"
    assert message.reply_markup == KEYBOARD
    sent = api.calls_of("sendMessage")[-1].params
    assert sent["text"] == "<b>Vergadering</b> &amp; notities"
    assert sent["reply_markup"] == KEYBOARD.to_dict()

    api.push_message("eerste")
    api.push_message("tweede")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["eerste", "tweede"]
    again = await bot.get_updates(offset=first[1].update_id, timeout=0)
    assert [u.update_id for u in again] == [first[1].update_id]
    assert await bot.get_updates(offset=first[1].update_id + 1, timeout=0) == ()

    api.flood("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(CHAT, "te snel")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(CHAT, "1 < 2", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "x", reply_markup=too_long)
    api.bad_gateway("sendMessage")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "x")
    api.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "x")
    api.unblock(CHAT)

    photo = await bot.send_photo(
        CHAT, b"\x89PNG fake bytes", caption="<i>foto</i>", parse_mode="HTML"
    )
    assert photo.caption == "foto"
    upload = api.files[photo.photo[0].file_id]
    assert isinstance(upload, UploadedFile)
    assert upload.content == b"\x89PNG fake bytes"


@IGNORE_RETRY_AFTER_DEPRECATION
async def test_a_bot_through_recording_request_behaves_as_against_telegram(
    bot: Bot, api: FakeBotApi
) -> None:
    await check_bot_against_fake(bot, api)


async def test_every_method_the_bot_uses_is_answered_without_unknown_parameters(
    bot: Bot, api: FakeBotApi
) -> None:
    await bot.set_my_commands([BotCommand("signaal", "Een signaal noteren")])
    assert [c.command for c in await bot.get_my_commands()] == ["signaal"]
    assert await bot.delete_webhook(drop_pending_updates=False)
    assert await bot.send_chat_action(CHAT, ChatAction.TYPING)
    document = await bot.send_document(CHAT, b"notulen", filename="notulen.txt", caption="ok")
    assert document.document is not None
    assert document.document.file_name == "notulen.txt"
    message = await bot.send_message(CHAT, "a", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("b", CHAT, message.message_id, reply_markup=KEYBOARD)
    assert isinstance(edited, Message)
    assert edited.text == "b"
    assert await bot.answer_callback_query("q-1", text="Opgeslagen")
    assert await bot.delete_message(CHAT, message.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHAT, message.message_id)
    assert await bot.close()
    assert await bot.log_out()
    assert [c.error for c in api.calls if c.error and "unknown" in c.error.description] == []


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    bot: Bot, api: FakeBotApi
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, api.push_message, "nu")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates if u.message] == ["nu"]
    assert time.monotonic() - started < 2


async def test_a_second_poll_terminates_the_first_with_409(bot: Bot, api: FakeBotApi) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    api.push_message("voor de tweede")
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first
    assert len(await second) == 1


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back as a reply."""
    assert update.message is not None
    assert update.message.text is not None
    await update.message.reply_text(update.message.text, do_quote=True)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press and show which one it was."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"Gekozen: {query.data}")


async def test_an_application_echo_handler_records_exactly_one_send_message(
    api: FakeBotApi,
) -> None:
    app = (
        Application.builder()
        .token(DEFAULT_TOKEN)
        .request(RecordingRequest(api))
        .get_updates_request(RecordingRequest(api))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.process_update(Update.de_json(make_update_message(1, "hallo"), app.bot))
        sends = api.calls_of("sendMessage")
        assert len(sends) == 1
        assert sends[0].params["text"] == "hallo"
        assert sends[0].params["reply_parameters"]["message_id"] == 1

        reply = sends[0].result
        await app.bot.edit_message_reply_markup(
            reply["chat"]["id"], reply["message_id"], reply_markup=KEYBOARD
        )
        raw = api.press("Ja", chat_id=reply["chat"]["id"])
        await app.process_update(Update.de_json(raw, app.bot))
        assert [c.method for c in api.sent[-2:]] == ["answerCallbackQuery", "editMessageText"]
        assert api.chat_messages(reply["chat"]["id"])[-1]["text"] == "Gekozen: ja"


async def test_an_application_polling_the_in_process_fake_handles_queued_updates(
    api: FakeBotApi,
) -> None:
    app = (
        Application.builder()
        .token(DEFAULT_TOKEN)
        .request(RecordingRequest(api))
        .get_updates_request(RecordingRequest(api))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    for text in ("een", "twee", "drie"):
        api.push_message(text)
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        for _ in range(100):
            if len(api.calls_of("sendMessage")) == 3:
                break
            await asyncio.sleep(0.02)
        await app.updater.stop()
        await app.stop()
    assert api.sent_texts() == ["een", "twee", "drie"]
    # Long polling, not a tight loop: a handful of getUpdates, not hundreds.
    assert len(api.calls_of("getUpdates")) < 10


# ----- the same over HTTP -------------------------------------------------------------------


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def server(api: FakeBotApi, no_proxy: None) -> AsyncIterator[FakeBotApiServer]:
    async with FakeBotApiServer(api, lifetime=60) as server:
        yield server


@IGNORE_RETRY_AFTER_DEPRECATION
async def test_a_bot_over_http_behaves_as_against_telegram(
    server: FakeBotApiServer, api: FakeBotApi
) -> None:
    async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as bot:
        await check_bot_against_fake(bot, api)
    assert ("POST", "sendPhoto", 200) in server.log


async def test_the_server_long_polls_and_honours_the_timeout(
    server: FakeBotApiServer, api: FakeBotApi
) -> None:
    async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert 0.9 < time.monotonic() - started < 3
        asyncio.get_running_loop().call_later(0.2, api.push_message, "nu")
        started = time.monotonic()
        assert len(await bot.get_updates(timeout=5)) == 1
        assert time.monotonic() - started < 2
        # A second bot process polling the same token: the older poll is terminated.
        first = asyncio.create_task(bot.get_updates(offset=2, timeout=5))
        await asyncio.sleep(0.2)
        async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as other:
            second = asyncio.create_task(other.get_updates(offset=2, timeout=1))
            with pytest.raises(Conflict, match="terminated by other getUpdates"):
                await first
            assert await second == ()


async def test_the_server_refuses_a_wrong_token_with_401(server: FakeBotApiServer) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=server.base_url):
            pass
    assert server.log == [("POST", "getMe", 401)]
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{server.base_url}999:WRONG/getMe")
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_the_server_reads_every_encoding_and_answers_status_equals_error_code(
    server: FakeBotApiServer, api: FakeBotApi
) -> None:
    url = f"{server.base_url}{DEFAULT_TOKEN}"
    async with httpx.AsyncClient() as client:
        by_get = await client.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "q"})
        by_json = await client.post(f"{url}/sendMessage", json={"chat_id": CHAT, "text": "j"})
        by_form = await client.post(f"{url}/sendMessage", data={"chat_id": str(CHAT), "text": "f"})
        by_multipart = await client.post(
            f"{url}/sendDocument",
            data={"chat_id": str(CHAT)},
            files={"document": ("notulen.txt", b"inhoud", "text/plain")},
        )
        api.flood("sendMessage", retry_after=2)
        flooded = await client.post(f"{url}/sendMessage", json={"chat_id": CHAT, "text": "x"})
        unknown = await client.post(f"{url}/fly", json={})
    assert [r.status_code for r in (by_get, by_json, by_form, by_multipart)] == [200] * 4
    assert api.sent_texts(CHAT) == ["q", "j", "f"]
    assert by_multipart.json()["result"]["document"]["file_name"] == "notulen.txt"
    assert flooded.status_code == flooded.json()["error_code"] == 429
    assert flooded.headers["Retry-After"] == "2"
    assert unknown.status_code == unknown.json()["error_code"] == 404


@pytest.fixture
def sync_server(api: FakeBotApi, no_proxy: None) -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(api, lifetime=60) as server:
        yield server


BOT_SCRIPT = """
import asyncio, os, sys
from telegram import Bot

async def main():
    token, base_url = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_BASE_URL"]
    async with Bot(token, base_url=base_url) as b:
        updates = await b.get_updates(timeout=5)
        for u in updates:
            await b.send_message(u.effective_chat.id, "echo: " + u.message.text)
        await b.get_updates(offset=updates[-1].update_id + 1, timeout=0)

asyncio.run(main())
"""


def test_a_bot_in_a_subprocess_polls_the_server_started_from_a_sync_test(
    sync_server: FakeBotApiServer, api: FakeBotApi
) -> None:
    api.push_message("hoi")
    subprocess.run(
        [sys.executable, "-c", BOT_SCRIPT],
        env={"PATH": "/usr/bin:/bin", **sync_server.env()},
        cwd=REPO,
        check=True,
        timeout=60,
    )
    assert api.sent_texts() == ["echo: hoi"]
    assert api.pending_updates() == 0


def test_the_server_stops_by_itself_after_its_lifetime(no_proxy: None) -> None:
    server = FakeBotApiServer(lifetime=0.2).start()
    assert server._thread is not None
    server._thread.join(5)
    assert not server._thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}{DEFAULT_TOKEN}/getMe")
    server.stop()
