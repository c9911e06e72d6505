"""Proposals: what a plain message would store, kept until the user taps [Opslaan] or [Nee].

A proposal is tied to the Telegram message that made it (unique chat and message id): a
message handled twice proposes once. The caller commits, together with the update's inbox mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import dialect_name, upsert_insert
from storage.models import Proposal

PROPOSAL_KINDS = ("meeting", "signal")


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    """A proposal as stored."""

    id: int
    chat_id: int
    message_id: int
    user_id: int | None
    kind: str
    payload: dict[str, Any]
    text: str
    status: str


def _record(row: Proposal) -> ProposalRecord:
    return ProposalRecord(
        id=row.id,
        chat_id=row.chat_id,
        message_id=row.message_id,
        user_id=row.user_id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        text=row.text,
        status=row.status,
    )


def propose_now(
    session: Session,
    *,
    chat_id: int,
    message_id: int,
    user_id: int | None,
    kind: str,
    payload: dict[str, Any],
    text: str,
) -> ProposalRecord:
    """Store the proposal of this message, or return the one it made before."""
    if kind not in PROPOSAL_KINDS:
        raise ValueError(f"unknown proposal kind {kind!r}")
    statement = (
        upsert_insert(dialect_name(session))(Proposal)
        .values(
            chat_id=chat_id,
            message_id=message_id,
            user_id=user_id,
            kind=kind,
            payload=payload,
            text=text[:4096],
            status="open",
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )
    session.execute(statement)
    row = session.scalar(
        select(Proposal).where(Proposal.chat_id == chat_id, Proposal.message_id == message_id)
    )
    assert row is not None
    return _record(row)


def get_now(session: Session, proposal_id: int) -> ProposalRecord | None:
    row = session.get(Proposal, proposal_id)
    return _record(row) if row is not None else None


def close_now(session: Session, proposal_id: int, status: str) -> bool:
    """Mark an open proposal saved or declined; False when it was no longer open."""
    result = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal_id, Proposal.status == "open")
        .values(status=status)
    )
    return bool(getattr(result, "rowcount", 0))
