"""The data/ loader: valid data loads, and each kind of broken YAML is named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from storage.errors import KnowledgeBaseError
from storage.kb import load_dir
from tests.conftest import DATA_DIR


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")


def _problems(kb_dir: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_dir(kb_dir)
    return info.value.problems


def test_the_real_knowledge_base_is_valid_and_complete() -> None:
    kb = load_dir(DATA_DIR)
    counts = kb.counts()
    assert counts["plans"] == 3
    assert counts["actions"] >= 18 + 55
    assert counts["partners"] >= 60
    assert counts["bodies"] >= 20
    assert counts["themes"] >= 20
    assert counts["documents"] > 100
    assert len(kb.fingerprint) == 64


def test_malformed_yaml_names_the_file_and_line(kb_copy: Path) -> None:
    (kb_copy / "bodies.yaml").write_text("- id: roa\n  name: [unclosed\n", encoding="utf-8")
    problems = _problems(kb_copy)
    assert len(problems) == 1
    assert "bodies.yaml" in problems[0]
    assert "invalid YAML at line" in problems[0]


def test_a_dangling_partner_reference_names_file_record_and_field(kb_copy: Path) -> None:
    path = kb_copy / "actions" / "wse-2023.yaml"
    _edit(path, lambda recs: recs[0]["partners"].append("nergens-bekend"))
    problems = _problems(kb_copy)
    assert any(
        "wse-2023.yaml" in p
        and "wse-2023/1.1.1" in p
        and "'partners'" in p
        and "nergens-bekend" in p
        for p in problems
    ), problems


def test_a_duplicate_id_is_reported_with_both_files(kb_copy: Path) -> None:
    extra = kb_copy / "partners" / "zz-extra.yaml"
    extra.write_text(
        yaml.safe_dump([{"id": "vdab", "name": "VDAB bis", "kind": "overheid"}]), "utf-8"
    )
    problems = _problems(kb_copy)
    assert any("zz-extra.yaml" in p and "'vdab'" in p and "duplicate id" in p for p in problems)


def test_an_unknown_theme_is_reported(kb_copy: Path) -> None:
    _edit(kb_copy / "bodies.yaml", lambda recs: recs[0]["themes"].append("ruimtevaart"))
    problems = _problems(kb_copy)
    assert any("bodies.yaml" in p and "unknown theme 'ruimtevaart'" in p for p in problems)


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        (
            [
                {"from": 2023, "per_year": 4, "source": "wse-2023"},
                {"from": 2020, "per_year": 6, "source": "rose-2020"},
            ],
            "oldest first",
        ),
        ([{"from": 2023, "per_year": -1, "source": "wse-2023"}], "between 0 and 366"),
        ([{"from": 2023, "per_year": 4}], "lacks 'source'"),
        ([{"from": "vorig jaar", "per_year": 4, "source": "wse-2023"}], "whole number"),
        ([{"from": 2023, "per_year": 4, "source": "wse-2023", "elke": "maand"}], "each entry"),
        ([{"from": 2023, "per_year": 4, "source": "onbekend-plan"}], "unknown source"),
    ],
)
def test_a_malformed_cadence_is_reported(kb_copy: Path, cadence: list, expected: str) -> None:
    def change(recs: list) -> None:
        body = next(r for r in recs if r["id"] == "roa")
        body["cadence"] = cadence

    _edit(kb_copy / "bodies.yaml", change)
    problems = _problems(kb_copy)
    assert any("'roa'" in p and "cadence" in p and expected in p for p in problems), problems


def test_a_body_w13_only_attends_may_not_carry_a_cadence(kb_copy: Path) -> None:
    def change(recs: list) -> None:
        body = next(r for r in recs if r["id"] == "diensthoofdenoverleg")
        assert body["role"] in ("participant", "extern")
        body["cadence"] = [{"from": 2023, "per_year": 12, "source": "wse-2023"}]

    _edit(kb_copy / "bodies.yaml", change)
    assert any("carries no cadence" in p for p in _problems(kb_copy))


def test_an_unknown_field_is_rejected_so_typos_are_caught(kb_copy: Path) -> None:
    _edit(kb_copy / "themes.yaml", lambda recs: recs[0].update({"synonymen": ["x"]}))
    assert any("'synonymen'" in p and "unknown field" in p for p in _problems(kb_copy))


def test_every_problem_is_listed_not_only_the_first(kb_copy: Path) -> None:
    _edit(kb_copy / "themes.yaml", lambda recs: recs[0].update({"synonymen": ["x"]}))
    _edit(kb_copy / "bodies.yaml", lambda recs: recs[0]["partners"].append("nergens"))
    assert len(_problems(kb_copy)) >= 2
