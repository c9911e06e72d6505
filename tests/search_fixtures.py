"""Snapshots for the search tests: the real knowledge base read from data/, plus small fakes."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TODAY = dt.date(2024, 6, 1)

_ORGANISER_ROLES = {"trekker", "facilitator"}


def _read_list(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    return [r for r in loaded or [] if isinstance(r, dict)]


def load_snapshot(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """A snapshot shaped like `regiebot export --json`, read straight from the YAML files."""
    snapshot: dict[str, Any] = {
        kind: []
        for kind in (
            "plans",
            "themes",
            "partners",
            "bodies",
            "actions",
            "documents",
            "meetings",
            "signals",
        )
    }
    for kind in ("plans", "themes", "bodies"):
        path = data_dir / f"{kind}.yaml"
        if path.exists():
            snapshot[kind] = _read_list(path)
    for kind in ("partners", "actions", "documents"):
        folder = data_dir / kind
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                snapshot[kind] += _read_list(path)
    for action in snapshot["actions"]:
        action.setdefault("plan", str(action.get("id", "")).partition("/")[0])
    for body in snapshot["bodies"]:
        w13_role = body.get("role")
        body["w13_role"] = w13_role
        body["role"] = "organiser" if w13_role in _ORGANISER_ROLES else "participant"
    return snapshot


@lru_cache(maxsize=1)
def real_snapshot() -> dict[str, Any]:
    """The knowledge base as it is in data/ now (cached: the tests must not mutate it)."""
    return load_snapshot()


def tiny_snapshot() -> dict[str, Any]:
    """A hand-made knowledge base small enough to reason about in ranking tests."""
    return {
        "plans": [
            {"id": "wse-2023", "title": "Actieplan werk", "period": [2023, 2025], "sections": []},
            {"id": "w13-2020", "title": "Meerjarenplan", "period": [2020, 2025], "sections": []},
        ],
        "themes": [
            {
                "id": "mobiliteit",
                "name": "Mobiliteit",
                "synonyms": ["fiets", "deelfiets", "rijschool", "openbaar vervoer"],
            },
            {"id": "taal", "name": "Taal", "synonyms": ["nederlands", "anderstaligen"]},
            {
                "id": "langdurig-zieken",
                "name": "Langdurig zieken",
                "synonyms": ["re-integratie", "terug aan het werk"],
            },
        ],
        "actions": [
            {
                "id": "wse-2023/2.3.2",
                "plan": "wse-2023",
                "code": "2.3.2",
                "title": "Mobiliteit",
                "description": "Elektrische deelfietsen en een toegankelijke rijschool met "
                "rijsimulator voor werkzoekenden.",
                "partners": ["vervoersregio"],
                "themes": ["mobiliteit"],
                "bodies": ["vervoersregio-overleg"],
            },
            {
                "id": "wse-2023/2.3.1",
                "plan": "wse-2023",
                "code": "2.3.1",
                "title": "Drempel taal en opleidingsniveau",
                "description": "Samenwerking met het volwassenonderwijs verkennen.",
                "partners": ["vdab"],
                "themes": ["taal"],
            },
            {
                "id": "w13-2020/5.1",
                "plan": "w13-2020",
                "code": "5.1",
                "title": "Mobiliteit",
                "description": "Vervoer en een fiets voor kwetsbare inwoners.",
                "themes": ["mobiliteit"],
            },
            {
                "id": "wse-2023/2.3.5",
                "plan": "wse-2023",
                "code": "2.3.5",
                "title": "Langdurige zieken",
                "description": "Stuurgroep rond re-integratie.",
                "partners": ["vdab", "pom"],
                "themes": ["langdurig-zieken"],
            },
            {
                "id": "wse-2023/2.4",
                "plan": "wse-2023",
                "code": "2.4",
                "title": "Wijk-werken",
                "description": "Wijk-werken als opstap naar werk.",
                "partners": ["w13"],
            },
        ],
        "partners": [
            {
                "id": "vdab",
                "name": "VDAB",
                "kind": "overheid",
                "aliases": ["Vlaamse Dienst voor Arbeidsbemiddeling en Beroepsopleiding"],
            },
            {"id": "pom", "name": "POM West-Vlaanderen", "aliases": ["POM"]},
            {
                "id": "vervoersregio",
                "name": "Vervoersregio Kortrijk",
                "aliases": ["vervoersregio"],
                "themes": ["mobiliteit"],
            },
            {"id": "kortrijk", "name": "Kortrijk", "kind": "gemeente"},
            {"id": "w13", "name": "W13", "aliases": ["welzijnsvereniging W13"]},
        ],
        "bodies": [
            {
                "id": "vervoersregio-overleg",
                "name": "Overleg vervoersregio",
                "role": "participant",
                "partners": ["vervoersregio"],
                "themes": ["mobiliteit"],
            },
            {
                "id": "lde-fabriek",
                "name": "LDE-fabriek",
                "aliases": ["LDE fabriek"],
                "role": "organiser",
                "description": "Overleg lokale diensteneconomie.",
            },
        ],
        "meetings": [
            {
                "id": 1,
                "body": "lde-fabriek",
                "date": "2024-03-12",
                "status": "held",
                "topics": ["deelfietsen voor werkzoekenden"],
                "notes": "Goed gesprek.",
                "attendees": ["w13"],
            },
            {
                "id": 2,
                "body": "lde-fabriek",
                "date": "2015-03-12",
                "status": "held",
                "topics": ["deelfietsen in de regio"],
                "notes": None,
                "attendees": [],
            },
        ],
        "signals": [
            {
                "id": 1,
                "text": "Te weinig busverbindingen naar de industriezone.",
                "date": "2024-02-01",
                "themes": ["mobiliteit"],
                "status": "open",
            },
        ],
        "documents": [],
    }
