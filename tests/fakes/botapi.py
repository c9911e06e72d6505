"""FakeBotApi: the Bot API's rules and state, without any I/O.

A call is a method name and a params dict (wire strings or JSON values). The fake validates it
against api.json and the limits in ../shared/telegram/README.md, answers like the real server
(Message JSON, or an error with the server's status and description), and records it so tests
can assert what the bot sent. Transports: `request.RecordingRequest` (in-process) and
`server.FakeBotApiServer` (HTTP on 127.0.0.1). All state is guarded by one lock, because the
HTTP server runs in its own thread.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.methods import MethodAnswers
from tests.fakes.rules import (
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    bad_gateway,
    bad_request,
    blocked_by_user,
    check_markup,
    is_allowed,
    missing_message,
    too_many_requests,
)
from tests.fakes.spec import BotApiSpec, MethodSpec, SpecError, UploadedFile, coerce, load_spec
from tests.fakes.updates import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_GROUP_ID,
    DEFAULT_TOKEN,
    DEFAULT_USER_ID,
    ChatType,
    make_bot_user,
    make_callback_query,
    make_update_message,
)

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class Call:
    """One API call as the fake saw it: params after type coercion, result or error."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    result: Any = None
    error: ApiError | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Injected:
    method: str
    error: ApiError
    remaining: int
    chat_id: int | str | None


@dataclass(frozen=True)
class FloodLimits:
    """The server's flood control, when a test asks for it (off by default)."""

    per_second: int = 30
    per_minute_per_group: int = 20


def _is_sending(method: str) -> bool:
    if method in {"copyMessage", "forwardMessage"}:
        return True
    return method.startswith("send") and method != "sendChatAction"


class FakeBotApi(MethodAnswers):
    """The Bot API's behaviour and state for one bot; thread-safe, no I/O."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = DEFAULT_BOT_USERNAME,
        first_name: str = "Regiebot",
        spec: BotApiSpec | None = None,
        strict_entities: bool = True,
        flood_limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot_user = make_bot_user(bot_id, username, first_name)
        self.spec = spec or load_spec()
        self.strict_entities = strict_entities
        self.flood_limits = flood_limits
        self.clock = clock
        self.lock = threading.RLock()
        self.calls: list[Call] = []  # every call, failed ones included
        self.sent: list[Call] = []  # the successful ones
        self.updates: list[dict[str, Any]] = []  # delivered but not yet confirmed, and new ones
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, UploadedFile | str] = {}
        self.webhook_url = ""
        self.allowed_updates: list[str] = []
        self.answered_queries: set[str] = set()
        self.blocked: set[int | str] = set()
        self.poll_generation = 0
        self._handlers: dict[str, Handler] = {}
        self._format_memo = {}
        self._injected: list[_Injected] = []
        self._deleted: set[tuple[int, int]] = set()
        self._listeners: list[Callable[[], None]] = []
        self._next_update_id = 1
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._sent_at: deque[float] = deque()
        self._group_sent_at: dict[int | str, deque[float]] = {}

    # ----- answering calls -------------------------------------------------------------------

    def respond(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
        takeover: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body the real server would answer."""
        try:
            result = self.call(method, params, files, token=token, takeover=takeover)
        except ApiError as error:
            return error.error_code, error.payload()
        return 200, {"ok": True, "result": result}

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
        takeover: bool = True,
    ) -> Any:
        """The result of a call, or ApiError. `takeover=False`: a long poll re-checking."""
        with self.lock:
            record = Call(method, dict(params or {}), dict(files or {}))
            self._format_memo = {}
            try:
                if token is not None and token != self.token:
                    raise ApiError(401, "Unauthorized")
                spec = self.spec.method(method)
                if spec is None:
                    raise ApiError(404, "Not Found")
                record.method = spec.name
                record.params = self._validate(spec, record.params, record.files)
                self._fire_injected(spec.name, record.params)
                self._check_content(spec, record.params)
                self._check_flood(spec.name, record.params)
                record.result = self._dispatch(spec, record.params, takeover)
            except ApiError as error:
                record.error = error
                self.calls.append(record)
                raise
            self.calls.append(record)
            self.sent.append(record)
            return record.result

    def on(self, method: str, handler: Handler) -> None:
        """Answer `method` (after validation) with handler(params) instead of the default."""
        spec = self.spec.method(method)
        if spec is None:
            raise KeyError(method)
        self._handlers[spec.name] = handler

    def _validate(
        self, spec: MethodSpec, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        merged = dict(params)
        # Files not named after a field are attachments referred to by attach://<name>.
        merged.update({name: f for name, f in files.items() if name in spec.fields})
        clean: dict[str, Any] = {}
        for name, value in merged.items():
            field_spec = spec.fields.get(name)
            if field_spec is None:
                raise bad_request(f'unknown parameter "{name}" for method {spec.name}')
            if value is None:
                continue
            try:
                clean[name] = coerce(field_spec, value)
            except SpecError as error:
                raise ApiError(400, str(error)) from None
        for name in spec.required:
            if clean.get(name) in (None, ""):
                raise bad_request(missing_message(spec, name))
        return clean

    def _dispatch(self, spec: MethodSpec, params: dict[str, Any], takeover: bool) -> Any:
        if spec.name in self._handlers:
            return self._handlers[spec.name](params)
        if spec.name == "getUpdates":
            return self._get_updates(params, takeover)
        answer = getattr(self, f"_m_{spec.name}", None)
        if answer is not None:
            return answer(params)
        if spec.returns == ("Boolean",):
            return True
        raise ApiError(501, f"Not Implemented: FakeBotApi has no answer for {spec.name}")

    def _check_content(self, spec: MethodSpec, params: dict[str, Any]) -> None:
        if spec.name in {"sendMessage", "editMessageText"}:
            self.formatted(params, "text", MAX_TEXT)
        if "caption" in params:
            self.formatted(params, "caption", MAX_CAPTION)
        if "reply_markup" in params:
            inline_only = "ReplyKeyboardMarkup" not in spec.fields["reply_markup"].types
            check_markup(params["reply_markup"], inline_only=inline_only)
        if "chat_id" in params and params["chat_id"] in self.blocked:
            raise blocked_by_user()

    def _fire_injected(self, method: str, params: dict[str, Any]) -> None:
        for injected in self._injected:
            if injected.method not in (method, "*"):
                continue
            if injected.chat_id is not None and params.get("chat_id") != injected.chat_id:
                continue
            injected.remaining -= 1
            if injected.remaining <= 0:
                self._injected.remove(injected)
            raise injected.error

    def _check_flood(self, method: str, params: dict[str, Any]) -> None:
        limits = self.flood_limits
        if limits is None or not _is_sending(method):
            return
        now = time.monotonic()
        while self._sent_at and now - self._sent_at[0] >= 1.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= limits.per_second:
            raise too_many_requests(1)
        chat_id = params.get("chat_id")
        is_group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
        if chat_id is not None and is_group:
            window = self._group_sent_at.setdefault(chat_id, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limits.per_minute_per_group:
                raise too_many_requests(max(1, math.ceil(60.0 - (now - window[0]))))
            window.append(now)
        self._sent_at.append(now)

    # ----- failures on demand ----------------------------------------------------------------

    def fail_next(
        self, method: str, error: ApiError, *, times: int = 1, chat_id: int | str | None = None
    ) -> None:
        """Answer the next `times` valid calls of `method` ("*": any) with `error`."""
        spec = self.spec.method(method)
        name = "*" if method == "*" else (spec.name if spec else method)
        with self.lock:
            self._injected.append(_Injected(name, error, times, chat_id))

    def flood(
        self, method: str, *, times: int = 1, retry_after: int = 1, chat_id: int | None = None
    ) -> None:
        """429 Too Many Requests with retry_after for the next calls of `method`."""
        self.fail_next(method, too_many_requests(retry_after), times=times, chat_id=chat_id)

    def bad_gateway(self, method: str, *, times: int = 1) -> None:
        """502 Bad Gateway for the next calls of `method`."""
        self.fail_next(method, bad_gateway(), times=times)

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: every call for this chat gets 403 until unblock()."""
        with self.lock:
            self.blocked.add(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        with self.lock:
            self.blocked.discard(chat_id)

    # ----- the update queue ------------------------------------------------------------------

    def add_listener(self, wake: Callable[[], None]) -> None:
        """wake() is called (under the lock) when updates arrive or a new poll starts."""
        with self.lock:
            self._listeners.append(wake)

    def remove_listener(self, wake: Callable[[], None]) -> None:
        with self.lock:
            if wake in self._listeners:
                self._listeners.remove(wake)

    def _notify(self) -> None:
        for wake in list(self._listeners):
            wake()

    def next_update_id(self) -> int:
        with self.lock:
            return self._next_update_id

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a raw update for getUpdates; remembers its chat and message."""
        raw = dict(update)
        with self.lock:
            self.updates.append(raw)
            self._next_update_id = max(self._next_update_id, int(raw["update_id"]) + 1)
            message = raw.get("message") or raw.get("edited_message")
            if message:
                self._remember(message)
            self._notify()
        return raw

    def push_message(
        self,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        reply_to: int | dict[str, Any] | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Queue a user's text message (ids allocated like Telegram's); returns the update."""
        with self.lock:
            if chat_id is None:
                chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_ID
            if isinstance(reply_to, int):
                reply_to = self.messages.get((chat_id, reply_to))
            raw = make_update_message(
                self._next_update_id,
                text,
                user_id=user_id,
                chat_id=chat_id,
                chat_type=chat_type,
                reply_to=reply_to,
                message_id=self._new_message_id(chat_id),
                date=int(self.clock()),
                username=username,
            )
            return self.push_update(raw)

    def press(
        self,
        button: str,
        *,
        chat_id: int = DEFAULT_USER_ID,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a press on the inline button labelled (or with callback_data) `button`.

        Looks in the given bot message, or the newest one in the chat that has such a button.
        """
        with self.lock:
            candidates = sorted(
                (m for (c, _), m in self.messages.items() if c == chat_id),
                key=lambda m: m["message_id"],
                reverse=True,
            )
            for message in candidates:
                if message_id is not None and message["message_id"] != message_id:
                    continue
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                for row in rows:
                    for key in row:
                        if button in (key.get("text"), key.get("callback_data")):
                            chat = message["chat"]
                            raw = make_callback_query(
                                self._next_update_id,
                                key["callback_data"],
                                user_id=user_id or (chat_id if chat_id > 0 else DEFAULT_USER_ID),
                                chat_id=chat_id,
                                chat_type=chat["type"],
                                message=dict(message),
                            )
                            return self.push_update(raw)
        raise LookupError(f"no inline button {button!r} in chat {chat_id}")

    def _get_updates(self, params: dict[str, Any], takeover: bool) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        if takeover:
            self.poll_generation += 1
            self._notify()
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        offset = params.get("offset")
        if offset is not None and offset < 0:
            del self.updates[: max(len(self.updates) + offset, 0)]
        elif offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        allowed = set(self.allowed_updates) or {"*"}
        deliverable = [u for u in self.updates if is_allowed(u, allowed)]
        if len(deliverable) != len(self.updates):
            self.updates = deliverable  # the server never delivers what was not asked for
        return [dict(u) for u in deliverable[:limit]]

    def pending_updates(self) -> int:
        with self.lock:
            return len(self.updates)

    # ----- records ---------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        """Successful calls of one method, oldest first."""
        with self.lock:
            return [c for c in self.sent if c.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """The `text` of every sendMessage (as sent, HTML included), optionally for one chat."""
        return [
            c.params["text"]
            for c in self.calls_of("sendMessage")
            if chat_id is None or c.params["chat_id"] == chat_id
        ]

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages of a chat as they are now (edits applied, deletions gone)."""
        with self.lock:
            found = [m for (c, _), m in self.messages.items() if c == chat_id]
        return sorted(found, key=lambda m: m["message_id"])

    def clear_records(self) -> None:
        with self.lock:
            self.calls.clear()
            self.sent.clear()
