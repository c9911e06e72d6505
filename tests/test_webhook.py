"""Webhook mode: the inbox-first listener in-process, and `regiebot run` with a webhook.

In-process, the listener runs on 127.0.0.1 beside an Application over the in-process fake;
the end-to-end tests run `regiebot run` as a subprocess against the loopback fake server, with
a small stand-in for Telegram's delivery: it POSTs queued updates to the bot with the secret
from the last setWebhook, forgets an update only on 200 and tries again otherwise.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.interface.polling import ALLOWED_UPDATES
from bot.interface.webhook import MAX_BODY, SECRET_HEADER, WebhookServer, webhook_config
from storage.models import InboxUpdate
from tests.bot_harness import Harness, close_harness, make_harness
from tests.fakes import ApiError, FakeBotApi, FakeBotApiServer
from tests.test_e2e import _count_signals, start_bot, wait_for

SECRET = "s3cret_for-tests"
PATH = "/telegram/update"
PUBLIC_URL = f"https://regiebot.example.org{PATH}"
TOKEN = "123456:fake-token-for-tests-only-0123456789abc"


# ----- the listener in-process ---------------------------------------------------------------


class Listener:
    """A harness (app, runner, fake) with a WebhookServer in front of its runner."""

    def __init__(self, harness: Harness, server: WebhookServer, client: httpx.AsyncClient):
        self.h = harness
        self.server = server
        self.client = client

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{PATH}"

    async def post(
        self, body: Any, *, secret: str | None = SECRET, content_type: str = "application/json"
    ) -> httpx.Response:
        headers = {"Content-Type": content_type}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.client.post(self.url, content=data, headers=headers)

    def message(self, text: str) -> dict[str, Any]:
        raw = self.h.api.push_message(text)
        self.h.api.updates.clear()  # delivered by the webhook, not by getUpdates
        return raw

    async def stored(self) -> list[tuple[int, bool]]:
        """(update_id, handled) of every inbox row, read through a new session."""
        async with self.h.regie.store.sessions() as session:
            rows = await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.handled_at).order_by(
                    InboxUpdate.update_id
                )
            )
            return [(int(r[0]), r[1] is not None) for r in rows]


@pytest.fixture
async def listener(database_url: str) -> AsyncIterator[Listener]:
    harness = await make_harness(database_url)
    server = WebhookServer(
        sessions=harness.regie.store.sessions,
        submit=harness.runner.submit,
        secret=SECRET,
        path=PATH,
        listen="127.0.0.1",
        port=0,
    )
    await server.start()
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            yield Listener(harness, server, client)
    finally:
        await server.stop()
        await harness.runner.drain()
        await close_harness(harness)


async def test_a_wrong_or_missing_secret_token_is_refused_with_403_and_nothing_is_stored(
    listener: Listener,
) -> None:
    raw = listener.message("/signaal vervoer naar de maatwerkbedrijven blijft moeilijk")
    assert (await listener.post(raw, secret="not-the-secret")).status_code == 403
    assert (await listener.post(raw, secret=None)).status_code == 403
    assert (await listener.post(raw, secret=SECRET + "x")).status_code == 403
    assert await listener.stored() == []
    assert listener.h.api.sent_texts() == []


async def test_a_body_that_is_not_one_json_update_is_refused_with_400(
    listener: Listener,
) -> None:
    raw = listener.message("wat loopt er rond mobiliteit?")
    assert (await listener.post(b"{not json")).status_code == 400
    assert (await listener.post([raw])).status_code == 400
    assert (await listener.post({"message": raw["message"]})).status_code == 400
    assert (await listener.post({**raw, "update_id": "12"})).status_code == 400
    assert (await listener.post(raw, content_type="text/plain")).status_code == 400
    oversized = {**raw, "padding": "x" * (MAX_BODY + 1)}
    assert (await listener.post(oversized)).status_code == 400
    assert (await listener.client.get(listener.url)).status_code == 405
    assert (
        await listener.client.post(
            f"http://127.0.0.1:{listener.server.port}/elders", headers={SECRET_HEADER: SECRET}
        )
    ).status_code == 404
    assert await listener.stored() == []


async def test_an_update_is_committed_to_the_inbox_before_telegram_hears_200(
    listener: Listener,
) -> None:
    h = listener.h
    release = asyncio.Event()
    handle = h.runner.handle
    handling: list[int] = []

    async def blocked_handle(update_id: int, payload: dict[str, Any]) -> None:
        handling.append(update_id)
        await release.wait()
        await handle(update_id, payload)

    h.runner.handle = blocked_handle  # type: ignore[method-assign]
    raw = listener.message("/signaal instroom doelgroepmedewerkers ligt lager dan verwacht")
    response = await listener.post(raw)
    assert response.status_code == 200
    # The 200 has arrived and the handler has not run: the row is committed already.
    assert await listener.stored() == [(raw["update_id"], False)]
    assert h.api.sent_texts() == []
    release.set()
    await h.runner.drain()
    assert handling == [raw["update_id"]]
    assert await listener.stored() == [(raw["update_id"], True)]
    assert any("Signaal opgeslagen" in t for t in h.api.sent_texts())


async def test_the_same_update_delivered_twice_or_at_once_is_stored_and_handled_once(
    listener: Listener,
) -> None:
    h = listener.h
    raw = listener.message("/signaal te weinig kinderopvang voor wie een opleiding volgt")
    assert (await listener.post(raw)).status_code == 200
    await h.runner.drain()
    assert (await listener.post(raw)).status_code == 200  # Telegram did not see our 200
    other = listener.message("/signaal mobiliteit blijft een drempel in de Westhoek")
    answers = await asyncio.gather(*(listener.post(other) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    await h.runner.drain()
    assert await listener.stored() == [(raw["update_id"], True), (other["update_id"], True)]
    replies = [t for t in h.api.sent_texts() if "Signaal opgeslagen" in t]
    assert len(replies) == 2
    async with h.regie.store.sessions() as session:
        from storage.models import Signal

        assert await session.scalar(select(func.count()).select_from(Signal)) == 2


async def test_an_update_that_cannot_be_stored_gets_500_so_telegram_sends_it_again(
    listener: Listener,
) -> None:
    raw = listener.message("/signaal taalondersteuning op de werkvloer ontbreekt")
    sessions = listener.server.sessions

    def broken() -> Any:
        raise ConnectionError("database gone")

    listener.server.sessions = broken  # type: ignore[assignment]
    assert (await listener.post(raw)).status_code == 500
    listener.server.sessions = sessions
    assert await listener.stored() == []
    assert (await listener.post(raw)).status_code == 200
    await listener.h.runner.drain()
    assert await listener.stored() == [(raw["update_id"], True)]


def test_without_a_configured_secret_each_start_makes_a_random_valid_one() -> None:
    first = webhook_config(PUBLIC_URL, listen="127.0.0.1", port=8443, secret=None)
    second = webhook_config(PUBLIC_URL, listen="127.0.0.1", port=8443, secret="")
    assert first.secret != second.secret
    assert len(first.secret) >= 32
    assert first.path == PATH
    assert webhook_config(PUBLIC_URL, listen="::", port=1, secret=" abc_D-1 ").secret == "abc_D-1"
    with pytest.raises(ValueError, match="REGIEBOT_WEBHOOK_SECRET"):
        webhook_config(PUBLIC_URL, listen="127.0.0.1", port=8443, secret="met spaties!")
    with pytest.raises(ValueError, match="REGIEBOT_WEBHOOK_URL"):
        webhook_config("regiebot.example.org/hook", listen="127.0.0.1", port=8443, secret=None)


def test_the_fake_set_webhook_checks_what_telegram_checks_and_blocks_get_updates() -> None:
    api = FakeBotApi()
    for url, reason in [
        ("http://regiebot.example.org/hook", "HTTPS URL"),
        ("https://regiebot.example.org:8080/hook", "ports 80, 88, 443 or 8443"),
    ]:
        with pytest.raises(ApiError, match=reason):
            api.call("setWebhook", {"url": url})
    with pytest.raises(ApiError, match="unallowed characters"):
        api.call("setWebhook", {"url": PUBLIC_URL, "secret_token": "geen geheim!"})
    assert api.call("getWebhookInfo")["url"] == ""
    assert api.call(
        "setWebhook",
        {
            "url": PUBLIC_URL,
            "secret_token": SECRET,
            "max_connections": 500,
            "allowed_updates": json.dumps(ALLOWED_UPDATES),
        },
    )
    info = api.call("getWebhookInfo")
    assert (info["url"], info["max_connections"]) == (PUBLIC_URL, 100)
    assert info["allowed_updates"] == ALLOWED_UPDATES
    assert api.webhook_secret == SECRET
    with pytest.raises(ApiError, match="webhook is active") as conflict:
        api.call("getUpdates", {})
    assert conflict.value.error_code == 409
    assert api.call("deleteWebhook", {})
    assert api.call("getUpdates", {}) == []


# ----- `regiebot run` with a webhook, end to end -----------------------------------------------


class TelegramDelivery:
    """Telegram's side of a webhook: POST queued updates, forget them only on 200."""

    def __init__(self, api: FakeBotApi, target: str, *, workers: int = 1) -> None:
        self.api = api
        self.target = target
        self.workers = workers
        self.stopped = threading.Event()
        self.inflight: set[int] = set()
        self.answers: list[int] = []  # the status of every delivery attempt
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]

    def __enter__(self) -> TelegramDelivery:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(10)

    def _next(self) -> tuple[dict[str, Any], str] | None:
        with self.api.lock:
            if not self.api.webhook_url or not self.api.webhook_secret:
                return None
            for update in self.api.updates:
                if update["update_id"] not in self.inflight:
                    self.inflight.add(update["update_id"])
                    return update, self.api.webhook_secret
        return None

    def _work(self) -> None:
        deadline = time.monotonic() + 240  # bounded, whatever the test does
        with httpx.Client(trust_env=False, timeout=5) as client:
            while not self.stopped.is_set() and time.monotonic() < deadline:
                picked = self._next()
                if picked is None:
                    time.sleep(0.02)
                    continue
                update, secret = picked
                try:
                    status = client.post(
                        self.target, json=update, headers={SECRET_HEADER: secret}
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                with self.api.lock:
                    self.answers.append(status)
                    self.inflight.discard(update["update_id"])
                    if status == 200:
                        self.api.updates.remove(update)
                if status != 200:
                    time.sleep(0.05)  # Telegram retries later, with growing pauses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[FakeBotApi, FakeBotApiServer]]:
    api = FakeBotApi(token=TOKEN)
    with FakeBotApiServer(api, lifetime=300) as srv:
        yield api, srv


def webhook_env(cli_env: dict[str, str], port: int, **extra: str) -> dict[str, str]:
    return {
        **cli_env,
        "REGIEBOT_WEBHOOK_URL": PUBLIC_URL,
        "REGIEBOT_WEBHOOK_LISTEN": "127.0.0.1",
        "REGIEBOT_WEBHOOK_PORT": str(port),
        **extra,
    }


def test_regiebot_run_in_webhook_mode_sets_the_webhook_and_answers_through_it(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    api, srv = server
    port = free_port()
    target = f"http://127.0.0.1:{port}{PATH}"
    log = tmp_path / "bot.log"
    proc = start_bot(srv, webhook_env(cli_env, port, REGIEBOT_WEBHOOK_SECRET=SECRET), log)
    try:
        wait_for(lambda: bool(api.calls_of("setMyCommands")), "the bot to start", 60)
        call = api.calls_of("setWebhook")[-1]
        assert call.params["url"] == PUBLIC_URL
        assert call.params["secret_token"] == SECRET
        assert call.params["allowed_updates"] == ALLOWED_UPDATES
        assert 1 <= call.params["max_connections"] <= 100
        refused = httpx.post(
            target, json={"update_id": 1}, trust_env=False, headers={SECRET_HEADER: "wrong"}
        )
        assert refused.status_code == 403
        with TelegramDelivery(api, target):
            api.push_message("/signaal instroom doelgroepmedewerkers ligt lager")
            wait_for(lambda: any("Signaal opgeslagen" in t for t in api.sent_texts()), "signal")
            api.push_message("wat loopt er rond mobiliteit?")
            wait_for(lambda: any("<b>Acties</b>" in t for t in api.sent_texts()), "the answer")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    assert [c.method for c in api.calls if c.error is not None] == []
    assert not [c for c in api.calls if c.method in ("getUpdates", "deleteWebhook")]
    assert api.webhook_url == PUBLIC_URL, "the webhook stays set when the bot stops"
    assert TOKEN.split(":")[1] not in text
    assert SECRET not in text


def test_no_webhook_update_is_lost_when_the_bot_is_killed_while_updates_arrive(
    server: tuple[FakeBotApi, FakeBotApiServer], cli_env: dict[str, str], tmp_path: Path
) -> None:
    api, srv = server

    def push(numbers: range) -> None:
        for i in numbers:
            api.push_message(f"/signaal signaal nummer {i} over mobiliteit en taal")

    push(range(30))
    port = free_port()
    env = webhook_env(cli_env, port)  # no secret configured: a new random one per start
    log = tmp_path / "bot.log"
    with TelegramDelivery(api, f"http://127.0.0.1:{port}{PATH}", workers=4) as delivery:
        first = start_bot(srv, env, log)
        try:
            wait_for(lambda: len(api.calls_of("sendMessage")) >= 10, "ten replies", 60)
            push(range(30, 40))  # some of these are on their way when the bot dies
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        secret = api.webhook_secret
        push(range(40, 50))  # queued at Telegram while the bot is down
        second = start_bot(srv, env, log)
        try:
            wait_for(lambda: api.webhook_secret != secret, "the second start", 60)
            wait_for(lambda: _count_signals(env["DATABASE_URL"])[0] >= 50, "all 50 signals", 90)
            wait_for(lambda: api.pending_updates() == 0, "every update answered 200", 30)
            time.sleep(0.5)  # anything stored twice would show up now
        finally:
            second.send_signal(signal.SIGTERM)
            code = second.wait(timeout=30)
    assert code == 0, log.read_text()
    assert _count_signals(env["DATABASE_URL"]) == (50, 50)
    assert delivery.answers.count(200) >= 50
    assert 0 in delivery.answers, "deliveries failed while the bot was down, and were repeated"
    assert secret is not None
    assert secret not in log.read_text()
