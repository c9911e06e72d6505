"""The fake's answers per method, and the chats and messages they change.

A mixin of FakeBotApi, kept apart so each module reads top to bottom: this one is what a
successful sendMessage, editMessageText, ... returns and remembers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.rules import (
    CHAT_ACTIONS,
    MAX_CALLBACK_ANSWER,
    MAX_CAPTION,
    MAX_TEXT,
    NOT_MODIFIED,
    bad_request,
    formatted_text,
)
from tests.fakes.spec import UploadedFile
from tests.fakes.tghtml import ParsedText
from tests.fakes.updates import make_chat

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})


class MethodAnswers:
    """Message store and the answers of the methods the bot uses."""

    bot_user: dict[str, Any]
    clock: Callable[[], float]
    strict_entities: bool
    updates: list[dict[str, Any]]
    messages: dict[tuple[int, int], dict[str, Any]]
    chats: dict[int, dict[str, Any]]
    commands: dict[str, list[dict[str, Any]]]
    files: dict[str, UploadedFile | str]
    webhook_url: str
    webhook_secret: str | None = None
    webhook_max_connections: int = 40
    allowed_updates: list[str]
    answered_queries: set[str]
    _deleted: set[tuple[int, int]]
    _message_ids: dict[int, itertools.count[int]]
    _file_ids: itertools.count[int]

    _format_memo: dict[tuple[str, str, str], ParsedText]

    def formatted(self, params: dict[str, Any], key: str, limit: int) -> ParsedText:
        """text/caption after parsing; memoised so checking and answering parse it once."""
        memo_key = (key, str(params.get(key, "")), str(params.get("parse_mode", "")))
        parsed = self._format_memo.get(memo_key)
        if parsed is None:
            parsed = formatted_text(params, key, limit, strict_entities=self.strict_entities)
            self._format_memo[memo_key] = parsed
        return parsed

    def _new_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message_id = next(counter)
        while (chat_id, message_id) in self.messages or (chat_id, message_id) in self._deleted:
            message_id = next(counter)
        return message_id

    def _remember(self, message: dict[str, Any]) -> None:
        chat = message["chat"]
        self.chats.setdefault(chat["id"], chat)
        self.messages[(chat["id"], message["message_id"])] = message

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, str):
            for chat in self.chats.values():
                if f"@{chat.get('username')}" == chat_id:
                    return chat
            raise bad_request("chat not found")
        if chat_id in self.chats:
            return self.chats[chat_id]
        return make_chat(chat_id, "private" if chat_id > 0 else "supergroup")

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(self.clock()),
        }
        reply = params.get("reply_parameters", {}).get("message_id")
        if reply is not None and (chat["id"], reply) in self.messages:
            replied = self.messages[(chat["id"], reply)]
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        message.update({k: v for k, v in content.items() if v})
        markup = params.get("reply_markup", {})
        if "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._remember(message)
        return message

    def _existing(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The message an edit is for; None for inline messages (answered with True)."""
        if "inline_message_id" in params:
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._chat(params["chat_id"])
        key = (chat["id"], params["message_id"])
        if key in self._deleted:
            raise bad_request("message to edit not found")
        message = self.messages.get(key)
        if message is None:
            # A bot message from before the test started: edit it like the server would.
            message = {
                "message_id": key[1],
                "from": self.bot_user,
                "chat": chat,
                "date": int(self.clock()),
                "text": "",
            }
            self._remember(message)
        elif message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def _upload(self, value: UploadedFile | str) -> tuple[str, UploadedFile | None]:
        if isinstance(value, str):
            return value, None
        file_id = f"fake-file-{next(self._file_ids)}"
        self.files[file_id] = value
        return file_id, value

    # ----- method answers --------------------------------------------------------------------

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        parsed = self.formatted(params, "text", MAX_TEXT)
        return self._new_message(params, text=parsed.text, entities=parsed.entities)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id, upload = self._upload(params["photo"])
        size = len(upload.content) if upload else 0
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 320,
                "height": 240,
                "file_size": size,
            }
        ]
        caption = self.formatted(params, "caption", MAX_CAPTION)
        return self._new_message(
            params, photo=photo, caption=caption.text, caption_entities=caption.entities
        )

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id, upload = self._upload(params["document"])
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload:
            document.update(
                file_name=upload.filename,
                mime_type=upload.mimetype,
                file_size=len(upload.content),
            )
        caption = self.formatted(params, "caption", MAX_CAPTION)
        return self._new_message(
            params, document=document, caption=caption.text, caption_entities=caption.entities
        )

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        parsed = self.formatted(params, "text", MAX_TEXT)
        message = self._existing(params)
        if message is None:
            return True
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        markup = params.get("reply_markup")
        same = (
            message.get("text") == parsed.text
            and message.get("entities", []) == parsed.entities
            and message.get("reply_markup") == markup
        )
        if same:
            raise bad_request(NOT_MODIFIED)
        message["text"] = parsed.text
        _set_or_drop(message, "entities", parsed.entities)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(self.clock())
        return dict(message)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        message = self._existing(params)
        if message is None:
            return True
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(self.clock())
        return dict(message)

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        key = (self._chat(params["chat_id"])["id"], params["message_id"])
        if key in self._deleted:
            raise bad_request("message to delete not found")
        self.messages.pop(key, None)
        self._deleted.add(key)
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id in self.answered_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        self.answered_queries.add(query_id)
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat(params["chat_id"])
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description is empty or too long")
        self.commands[_commands_key(params)] = [dict(c) for c in commands]
        return True

    def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.commands.get(_commands_key(params), []))

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        # As the real server: HTTPS on ports 443, 80, 88 or 8443, a secret of 1-256 characters
        # of A-Z a-z 0-9 _ -, max_connections clamped to 1-100 (default 40); while a webhook is
        # set, getUpdates answers 409.
        url = urlsplit(params["url"])
        if url.scheme != "https" or not url.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        try:
            port = url.port or 443
        except ValueError:
            raise bad_request("bad webhook: Failed to resolve host: port is invalid") from None
        if port not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token") or None
        if secret is not None and len(secret) > 256:
            raise bad_request("secret token is too long")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self.webhook_url = params["url"]
        self.webhook_secret = secret
        self.webhook_max_connections = min(max(int(params.get("max_connections", 40)), 1), 100)
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
        return info


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope", {}).get("type", "default")
    return f"{scope}:{params.get('language_code', '')}"


def _set_or_drop(message: dict[str, Any], key: str, value: Any) -> None:
    if value:
        message[key] = value
    else:
        message.pop(key, None)
