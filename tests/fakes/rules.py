"""The Bot API's answers to broken requests: error values and the content rules.

Limits and error texts follow ../shared/telegram/README.md and the real server (tdlib's
telegram-bot-api); where the real text is not known, the fake's own says what broke.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from tests.fakes.spec import MethodSpec
from tests.fakes.tghtml import EntityParseError, ParsedText, parse_html, strip_text

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
BUTTON_KINDS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
# Update types the server withholds unless allowed_updates names them.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer of the Bot API; error_code is also the HTTP status."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int = 1) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def bad_gateway() -> ApiError:
    return ApiError(502, "Bad Gateway")


def blocked_by_user() -> ApiError:
    return ApiError(403, "Forbidden: bot was blocked by the user")


def poll_conflict() -> ApiError:
    return ApiError(409, "Conflict: terminated by other getUpdates request")


def formatted_text(
    params: Mapping[str, Any], key: str, limit: int, *, strict_entities: bool = True
) -> ParsedText:
    """`text` or `caption` after entity parsing, checked against the server's limits."""
    raw = params.get(key, "")
    mode = str(params.get("parse_mode", "")).lower()
    if mode == "html":
        try:
            parsed = parse_html(raw, strict_entities=strict_entities)
        except EntityParseError as error:
            raise ApiError(400, str(error)) from None
    elif mode in {"", "markdown", "markdownv2"}:
        # Markdown is not checked: the bot uses HTML.
        parsed = ParsedText(raw, list(params.get("entities", [])))
    else:
        raise bad_request("unsupported parse_mode")
    parsed = strip_text(parsed)
    if key == "text" and not parsed.text:
        raise bad_request("message text is empty")
    if len(parsed.text) > limit:
        what = "message" if key == "text" else "message caption"
        raise bad_request(f"{what} is too long")
    return parsed


def missing_message(spec: MethodSpec, name: str) -> str:
    if name == "text":
        return "message text is empty"
    if "InputFile" in spec.fields[name].types:
        return f"there is no {name} in the request"
    return f"{name} is empty"


def is_allowed(update: dict[str, Any], allowed: set[str]) -> bool:
    kinds = [k for k in update if k != "update_id"]
    if "*" in allowed:
        return not any(k in OPT_IN_UPDATES for k in kinds)
    return any(k in allowed for k in kinds)


def check_markup(markup: dict[str, Any], *, inline_only: bool) -> None:
    """Reject keyboards the server refuses, callback_data size above all."""
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard button: field must be an array")
        if sum(len(r) for r in rows) > 100:
            raise bad_request("reply markup is too long")
        for button in itertools.chain.from_iterable(rows):
            _check_inline_button(button)
        return
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse keyboard button: field must be an array")
        for button in itertools.chain.from_iterable(rows):
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise bad_request("can't parse keyboard button: text is empty")
        return
    if not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be a string')
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    kinds = [k for k in BUTTON_KINDS if k in button]
    if not kinds:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not button["url"]:
        raise bad_request("BUTTON_URL_INVALID")
