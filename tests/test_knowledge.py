"""The typed knowledge base: loaded from the database, the same records the export holds."""

from __future__ import annotations

from bot.domain.knowledge import KnowledgeBase, W13Role, knowledge_from_rows
from storage.knowledge import knowledge_rows
from storage.store import Store
from storage.transfer import export_store

KB_KINDS = ("plans", "actions", "bodies", "partners", "themes", "documents")


async def _load(store: Store) -> KnowledgeBase:
    async with store.sessions() as session:
        return knowledge_from_rows(await knowledge_rows(session))


async def test_the_typed_knowledge_base_holds_exactly_what_the_export_holds(store: Store) -> None:
    kb = await _load(store)
    async with store.sessions() as session:
        exported = await export_store(session)
    records = kb.as_records()
    for kind in KB_KINDS:
        mine = sorted(records[kind], key=lambda r: r["id"])
        theirs = sorted(exported[kind], key=lambda r: r["id"])
        assert mine == theirs, kind
    assert KnowledgeBase.from_records(records) == kb


async def test_named_queries_answer_from_the_documents(store: Store) -> None:
    kb = await _load(store)
    roa = kb.body("roa")
    assert roa is not None
    assert roa.role is W13Role.TREKKER
    assert roa.organised_by_w13
    organised = {body.id for body in kb.bodies_organised_by_w13(2026)}
    assert {"roa", "rose-actiegroep", "overleg-w13-stam"} <= organised
    assert "az-fabriek" not in organised  # stopped after 2022
    assert "az-fabriek" in {body.id for body in kb.bodies_organised_by_w13(2022)}
    in_force = kb.plan_in_force(2024)
    assert in_force is not None
    assert in_force.id == "wse-2023"
    assert kb.plan_in_force(2026) is None  # the newest plans end in 2025
    actiegroep = kb.body("rose-actiegroep")
    assert actiegroep is not None
    step = actiegroep.cadence_in(2024)
    assert step is not None
    assert (step.per_year, step.source) == (4, "wse-2023")
    step_2021 = actiegroep.cadence_in(2021)
    assert step_2021 is not None
    assert step_2021.per_year == 6
    assert "vdab" in {p.id for p in kb.partners}
    assert kb.bodies_with_partner("vdab")
    assert kb.theme_names(["taal", "mobiliteit"]) == sorted(
        [t.name for t in kb.themes if t.id in ("taal", "mobiliteit")],
        key=[t.name for t in kb.themes].index,
    )
