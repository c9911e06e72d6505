"""The knowledge base's rows, read in one go for a process to hold (no user data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Action, Body, Document, Partner, Plan, Theme


@dataclass(frozen=True, slots=True)
class KnowledgeRows:
    """Plans, actions, bodies (with cadences), partners, themes and documents, ordered."""

    plans: Sequence[Plan]
    actions: Sequence[Action]
    bodies: Sequence[Body]
    partners: Sequence[Partner]
    themes: Sequence[Theme]
    documents: Sequence[Document]


async def knowledge_rows(session: AsyncSession) -> KnowledgeRows:
    """Everything the documents say, as stored; meetings, signals and members are not read."""
    return KnowledgeRows(
        plans=(await session.scalars(select(Plan).order_by(Plan.id))).all(),
        actions=(
            await session.scalars(
                select(Action)
                .options(
                    selectinload(Action.partners),
                    selectinload(Action.themes),
                    selectinload(Action.bodies),
                )
                .order_by(Action.id)
            )
        ).all(),
        bodies=(
            await session.scalars(
                select(Body)
                .options(
                    selectinload(Body.partners),
                    selectinload(Body.themes),
                    selectinload(Body.cadences),
                )
                .order_by(Body.id)
            )
        ).all(),
        partners=(
            await session.scalars(
                select(Partner).options(selectinload(Partner.themes)).order_by(Partner.id)
            )
        ).all(),
        themes=(await session.scalars(select(Theme).order_by(Theme.id))).all(),
        documents=(
            await session.scalars(select(Document).order_by(Document.source, Document.position))
        ).all(),
    )
