"""Search quality on the real knowledge base, measured as ../shared/eval/score.py measures it.

The cases are our own questions (tests/search_quality_cases.yaml: typos, synonyms, "wie"
questions, body names, partner acronyms) and, when present, the shared public set.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.search import SearchIndex
from tests.search_fixtures import TODAY, real_snapshot

HERE = Path(__file__).resolve().parent
OWN_CASES = HERE / "search_quality_cases.yaml"
PUBLIC_CASES = HERE.parent.parent / "shared" / "eval" / "queries_public.yaml"
TYPES = ("actions", "partners", "bodies")


def _fold(text: Any) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().split())


def _matches(kind: str, expected: str, item: dict[str, Any]) -> bool:
    if kind == "actions":
        return bool(_fold(item.get("id", "")) == _fold(expected))
    keys = [item.get("id", ""), item.get("name", ""), item.get("title", "")]
    keys += list(item.get("aliases") or [])
    return any(_fold(expected) in _fold(k) for k in keys if k)


def rank_of(kind: str, expected: str, ranked: list[dict[str, Any]]) -> int | None:
    for i, item in enumerate(ranked[:10]):
        if _matches(kind, expected, item):
            return i + 1
    return None


def _load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def kb_index() -> SearchIndex:
    return SearchIndex.build(real_snapshot(), today=TODAY)


def primary(case: dict[str, Any]) -> tuple[str, str]:
    kind = next(k for k in case if k in TYPES)
    return kind, case[kind][0]


def metrics(cases: list[dict[str, Any]]) -> dict[str, float]:
    hits = rr = found = total = 0.0
    for case in cases:
        answer = kb_index().search(case["q"]).to_dict()
        kind, expected = primary(case)
        rank = rank_of(kind, expected, answer[kind])
        hits += bool(rank and rank <= 3)
        rr += 1.0 / rank if rank else 0.0
        for other in (k for k in case if k in TYPES):
            for want in case[other]:
                total += 1
                found += rank_of(other, want, answer[other]) is not None
    n = len(cases)
    return {"hit@3": hits / n, "mrr": rr / n, "recall@10": found / max(total, 1)}


@pytest.mark.parametrize("case", _load(OWN_CASES), ids=lambda case: case["q"])
def test_the_primary_record_of_each_own_question_is_in_the_top_3(case: dict[str, Any]) -> None:
    kind, expected = primary(case)
    ranked = kb_index().search(case["q"]).to_dict()[kind]
    rank = rank_of(kind, expected, ranked)
    assert rank is not None, [item["id"] for item in ranked[:5]]
    assert rank <= 3, [item["id"] for item in ranked[:5]]


def test_own_question_set_meets_the_issue_targets() -> None:
    scores = metrics(_load(OWN_CASES))
    assert scores["hit@3"] >= 0.95, scores
    assert scores["mrr"] >= 0.90, scores
    assert scores["recall@10"] >= 0.90, scores


@pytest.mark.skipif(not PUBLIC_CASES.exists(), reason="shared/eval is not beside the repo")
def test_public_question_set_meets_the_issue_targets() -> None:
    scores = metrics(_load(PUBLIC_CASES))
    assert scores["hit@3"] >= 0.95, scores
    assert scores["mrr"] >= 0.90, scores
    assert scores["recall@10"] >= 0.90, scores
