"""Shared handler plumbing: the core from bot_data, the actor, access, replies, errors."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.domain.shorten import shorten
from bot.services.core import Actor, Regie
from handlers.format import MAX_ALERT, fit

logger = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, deze bot is enkel voor het team regie sociale economie en werk van W13. "
    "Vraag een beheerder om je toe te voegen; geef daarbij je Telegram-id: {user_id}."
)
GENERIC_ERROR = "Er ging iets mis bij het verwerken van je bericht. Probeer het later opnieuw."


def regie(context: ContextTypes.DEFAULT_TYPE) -> Regie:
    core: Regie = context.bot_data["regie"]
    return core


def actor(update: Update) -> Actor:
    user = update.effective_user
    message = update.effective_message
    return Actor(
        user_id=user.id if user else None,
        chat_id=update.effective_chat.id if update.effective_chat else None,
        message_id=message.message_id if message else None,
        update_id=update.update_id,
    )


def args_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    """The words after the command, as one string."""
    return " ".join(context.args or [])


def is_admin(context: ContextTypes.DEFAULT_TYPE) -> bool:
    return bool(context.user_data is not None and context.user_data.get("role") == "admin")


def addressed_to_bot(update: Update, bot_username: str) -> bool:
    """In groups the bot only takes commands, mentions of it, replies to it and its buttons."""
    if update.callback_query is not None:
        return True
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type == ChatType.PRIVATE:
        return True
    text = message.text or message.caption or ""
    if text.startswith("/"):
        return True
    if f"@{bot_username}".casefold() in text.casefold():
        return True
    reply = message.reply_to_message
    return bool(reply and reply.from_user and reply.from_user.username == bot_username)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let members through; answer anyone else once, politely, and stop there."""
    if update.effective_user is None:
        raise ApplicationHandlerStop
    if not addressed_to_bot(update, context.bot.username):
        raise ApplicationHandlerStop
    core = regie(context)
    await core.refresh()  # what other instances changed: entries, members
    role = await core.role_of(update.effective_user.id)
    if role is None:
        # Nothing they send is kept: the raw update leaves the inbox too.
        await core.discard_update(update.update_id)
        text = REFUSAL.format(user_id=update.effective_user.id)
        if update.callback_query:
            await update.callback_query.answer(shorten(text, MAX_ALERT), show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(text)
        raise ApplicationHandlerStop
    if context.user_data is not None:
        context.user_data["role"] = role


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """One reply to the incoming message (as a reply to it), within Telegram's limits."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(fit(text), do_quote=True, **kwargs)


async def typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None:
        try:
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        except TelegramError:  # only a courtesy; never fail a request over it
            logger.debug("typing indicator failed", exc_info=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with context and tell the user in Dutch; the application keeps running."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("handler failed for update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(GENERIC_ERROR)
        except TelegramError:
            logger.warning("could not tell the user about the error", exc_info=True)
