"""RecordingRequest: python-telegram-bot's transport replaced by a FakeBotApi in the same process.

    api = FakeBotApi()
    app = (
        Application.builder().token(DEFAULT_TOKEN)
        .request(RecordingRequest(api)).get_updates_request(RecordingRequest(api)).build()
    )

Every call the bot makes goes through the fake's rules and lands in `api.calls` / `api.sent`.
`answer_async` (shared with the HTTP server) adds what needs waiting: getUpdates long polling
and the 409 a poll gets when a newer one takes over.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from tests.fakes.botapi import FakeBotApi
from tests.fakes.rules import poll_conflict
from tests.fakes.spec import UploadedFile

_URL_RE = re.compile(r"/bot(?P<token>[^/]*)/(?P<method>[^/?#]*)$")
MAX_LONG_POLL = 50.0  # the server clamps timeout to 0-50 seconds


def long_poll_timeout(params: Mapping[str, Any]) -> float:
    """getUpdates' timeout as the server clamps it; 0 for anything unparsable."""
    try:
        timeout = float(params.get("timeout", 0) or 0)
    except (TypeError, ValueError):
        return 0.0
    return min(max(timeout, 0.0), MAX_LONG_POLL)


async def answer_async(
    api: FakeBotApi,
    method: str,
    params: Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
    *,
    token: str | None = None,
    max_wait: float | None = None,
) -> tuple[int, dict[str, Any]]:
    """Answer a call; getUpdates waits up to its timeout (capped by max_wait) for updates."""
    if method.lower() != "getupdates":
        return api.respond(method, params, files, token=token)
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:
        loop.call_soon_threadsafe(woken.set)

    # Listen before the first look, so an update pushed in between is not missed.
    api.add_listener(wake)
    try:
        with api.lock:
            status, body = api.respond(method, params, files, token=token)
            generation = api.poll_generation
        timeout = long_poll_timeout(params)
        if max_wait is not None:
            timeout = min(timeout, max_wait)
        if status != 200 or body["result"] or timeout <= 0:
            return status, body
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(woken.wait(), remaining)
            except TimeoutError:
                break
            woken.clear()
            with api.lock:
                if api.poll_generation != generation:
                    error = poll_conflict()
                    return error.error_code, error.payload()
                if api.pending_updates():
                    return api.respond(method, params, files, token=token, takeover=False)
        return 200, {"ok": True, "result": []}
    finally:
        api.remove_listener(wake)


def split_url(url: str) -> tuple[str, str]:
    """(token, method) of a Bot API URL such as https://host/bot<token>/<method>."""
    match = _URL_RE.search(url)
    if match is None:
        return "", ""
    return match["token"], match["method"]


def uploads_of(request_data: RequestData) -> dict[str, UploadedFile]:
    """The multipart file parts of a request, read into memory."""
    files: dict[str, UploadedFile] = {}
    for name, field_tuple in request_data.multipart_data.items():
        filename, content, *rest = field_tuple
        data = content if isinstance(content, bytes) else content.read()
        mimetype = rest[0] if rest and rest[0] else "application/octet-stream"
        files[name] = UploadedFile(name, filename or name, data, mimetype)
    return files


class RecordingRequest(BaseRequest):
    """A BaseRequest that answers every call from a FakeBotApi and never touches the network."""

    def __init__(self, api: FakeBotApi, *, read_timeout: float | None = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout
        self.initialized = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self.initialized = True

    async def shutdown(self) -> None:
        self.initialized = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        token, api_method = split_url(url)
        if not api_method:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return 404, json.dumps(body).encode("utf-8")
        # The wire form (strings, JSON-encoded non-strings) so both transports share one path.
        params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files = uploads_of(request_data) if request_data and request_data.contains_files else {}
        status, body = await answer_async(self.api, api_method, params, files, token=token)
        return status, json.dumps(body).encode("utf-8")
