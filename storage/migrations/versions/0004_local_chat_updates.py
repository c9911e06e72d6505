"""local chat updates: the terminal chat's inbox rows move to negative update ids

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 19:00:00.000000

`regiebot chat` used to store its lines in the inbox under update ids made from the clock
(about 3 x 10^8), in Telegram's id space: `regiebot run` on the same database then asked
getUpdates for updates after them, which dropped every real update with a lower id. The inbox
now keeps local updates under negative ids (storage/inbox.py); this moves the rows older chats
wrote there, recognised by the local user and chat the chat always sent as, and rewrites the
`update_id` in their payload with them. No schema change.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What bot/interface/chat.py sent as when this was written (bot.interface.application.LOCAL_USER_ID, LOCAL_CHAT_ID and the
# name); copied, not imported, so that this migration keeps meaning what it meant.
_LOCAL_USER_ID = 1
_LOCAL_CHAT_ID = 1
_LOCAL_NAME = "Lokaal"
_LOCAL_CHAT_INSTANCE = "local"

_INBOX = sa.table(
    "inbox",
    sa.column("update_id", sa.BigInteger()),
    sa.column("payload", sa.JSON()),
    sa.column("received_at", sa.DateTime(timezone=True)),
)


def _is_local_user(user: Any) -> bool:
    return (
        isinstance(user, dict)
        and user.get("id") == _LOCAL_USER_ID
        and user.get("first_name") == _LOCAL_NAME
    )


def _from_terminal_chat(payload: Any) -> bool:
    """A line typed in `regiebot chat` (a message or a numbered button press)."""
    if not isinstance(payload, dict):
        return False
    message = payload.get("message")
    if isinstance(message, dict):
        chat = message.get("chat")
        return (
            _is_local_user(message.get("from"))
            and isinstance(chat, dict)
            and chat.get("id") == _LOCAL_CHAT_ID
        )
    query = payload.get("callback_query")
    if isinstance(query, dict):
        return (
            _is_local_user(query.get("from"))
            and query.get("chat_instance") == _LOCAL_CHAT_INSTANCE
        )
    return False


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_INBOX.c.update_id, _INBOX.c.payload)
        .where(_INBOX.c.update_id >= 0)
        .order_by(_INBOX.c.received_at, _INBOX.c.update_id)
    ).all()
    lowest = bind.scalar(sa.select(sa.func.min(_INBOX.c.update_id)))
    # Counted down in arrival order, below any local row already there, as the inbox does.
    next_id = min(int(lowest or 0), 0) - 1
    for update_id, payload in rows:
        if not _from_terminal_chat(payload):
            continue
        bind.execute(
            sa.update(_INBOX)
            .where(_INBOX.c.update_id == update_id)
            .values(update_id=next_id, payload={**payload, "update_id": next_id})
        )
        next_id -= 1


def downgrade() -> None:
    # The code before 0004 would take a negative id for Telegram's (a negative getUpdates
    # offset even means "the last n updates"); local updates matter to nobody but the terminal
    # chat that made them, so they go.
    op.execute(sa.delete(_INBOX).where(_INBOX.c.update_id < 0))
