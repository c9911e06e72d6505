"""Builders for raw updates, shaped exactly as Telegram delivers them (plain dicts)."""

from __future__ import annotations

import re
import time
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup"]

DEFAULT_TOKEN = "123456:TEST-token"
DEFAULT_BOT_USERNAME = "regiebot_test_bot"
DEFAULT_USER_ID = 424242
DEFAULT_GROUP_ID = -1001234567890
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{1,64})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")


def utf16_len(text: str) -> int:
    """Length as the Bot API counts entity offsets (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def make_user(
    user_id: int = DEFAULT_USER_ID,
    *,
    first_name: str = "Tester",
    username: str | None = None,
    language_code: str | None = "nl",
) -> dict[str, Any]:
    """A human User object."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def make_bot_user(
    bot_id: int = 123456, username: str = DEFAULT_BOT_USERNAME, first_name: str = "Regiebot"
) -> dict[str, Any]:
    """The bot's own User object, as getMe and a message's `from` carry it."""
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def make_chat(
    chat_id: int,
    chat_type: ChatType = "private",
    *,
    first_name: str = "Tester",
    title: str = "Regie team",
) -> dict[str, Any]:
    """A Chat object: private chats carry the user's name, groups a title."""
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": title}


def text_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's clients attach: a leading /command and @mentions."""
    entities: list[dict[str, Any]] = []
    command = _COMMAND_RE.match(text)
    if command and (command.end() == len(text) or text[command.end()].isspace()):
        entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
    for mention in _MENTION_RE.finditer(text):
        if command and mention.start() < command.end():
            continue
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mention.start()]),
                "length": utf16_len(mention.group()),
            }
        )
    return entities


def make_message(
    text: str,
    *,
    message_id: int,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    chat_type: ChatType = "private",
    reply_to: dict[str, Any] | None = None,
    date: int | None = None,
    first_name: str = "Tester",
    username: str | None = None,
) -> dict[str, Any]:
    """A text Message from a user, with the entities a client would add."""
    if chat_id is None:
        chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_ID
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": make_user(user_id, first_name=first_name, username=username),
        "chat": make_chat(chat_id, chat_type, first_name=first_name),
        "date": int(time.time()) if date is None else date,
        "text": text,
    }
    entities = text_entities(text)
    if entities:
        message["entities"] = entities
    if reply_to is not None:
        # Telegram never nests a reply inside a reply.
        message["reply_to_message"] = {
            k: v for k, v in reply_to.items() if k != "reply_to_message"
        }
    return message


def make_update_message(
    update_id: int,
    text: str,
    *,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    chat_type: ChatType = "private",
    reply_to: dict[str, Any] | None = None,
    message_id: int | None = None,
    date: int | None = None,
    first_name: str = "Tester",
    username: str | None = None,
) -> dict[str, Any]:
    """An Update carrying a text message; message_id defaults to the update id."""
    message = make_message(
        text,
        message_id=update_id if message_id is None else message_id,
        user_id=user_id,
        chat_id=chat_id,
        chat_type=chat_type,
        reply_to=reply_to,
        date=date,
        first_name=first_name,
        username=username,
    )
    return {"update_id": update_id, "message": message}


def make_callback_query(
    update_id: int,
    data: str,
    message_id: int = 1,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    *,
    chat_type: ChatType = "private",
    message: dict[str, Any] | None = None,
    message_text: str = "Kies een optie",
    query_id: str | None = None,
    bot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An Update for a pressed inline button under a bot message.

    Pass `message` (e.g. the Message the fake returned for the bot's reply) to get the real
    one with its keyboard; otherwise a minimal bot message with `message_text` is made up.
    """
    if chat_id is None:
        chat_id = user_id if chat_type == "private" else DEFAULT_GROUP_ID
    if message is None:
        message = {
            "message_id": message_id,
            "from": bot or make_bot_user(),
            "chat": make_chat(chat_id, chat_type),
            "date": int(time.time()),
            "text": message_text,
        }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id or f"cbq-{update_id}",
            "from": make_user(user_id),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        },
    }
