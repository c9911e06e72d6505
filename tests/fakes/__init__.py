"""Offline Telegram for tests: a Bot API fake, its in-process and HTTP transports, builders.

- `FakeBotApi`: validates calls like the real server (api.json, limits, HTML), keeps state
  (update queue, messages, commands) and records every call (`calls`, `sent`).
- `RecordingRequest`: a python-telegram-bot `BaseRequest` answered by a FakeBotApi.
- `FakeBotApiServer`: the same fake over HTTP on 127.0.0.1 (`base_url`) for end-to-end tests.
- `make_update_message`, `make_callback_query`: raw updates as Telegram sends them.
"""

from tests.fakes.botapi import Call, FakeBotApi, FloodLimits
from tests.fakes.request import RecordingRequest
from tests.fakes.rules import (
    ApiError,
    bad_gateway,
    bad_request,
    blocked_by_user,
    too_many_requests,
)
from tests.fakes.server import FakeBotApiServer
from tests.fakes.spec import UploadedFile, load_spec
from tests.fakes.tghtml import EntityParseError, parse_html
from tests.fakes.updates import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_GROUP_ID,
    DEFAULT_TOKEN,
    DEFAULT_USER_ID,
    make_callback_query,
    make_chat,
    make_message,
    make_update_message,
    make_user,
)

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_GROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "ApiError",
    "Call",
    "EntityParseError",
    "FakeBotApi",
    "FakeBotApiServer",
    "FloodLimits",
    "RecordingRequest",
    "UploadedFile",
    "bad_gateway",
    "bad_request",
    "blocked_by_user",
    "load_spec",
    "make_callback_query",
    "make_chat",
    "make_message",
    "make_update_message",
    "make_user",
    "parse_html",
    "too_many_requests",
]
