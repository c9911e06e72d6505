"""`regiebot ask`: the readable answer and the JSON contract the quality scorer relies on."""

from __future__ import annotations

import json

from tests.test_cli import regiebot

KINDS = ("actions", "partners", "bodies", "meetings", "signals", "documents")


def test_ask_json_from_stdin_prints_one_object_per_question(cli_env: dict[str, str]) -> None:
    questions = ["wat loopt er rond mobiliteit?", "VDAB", "", "<script>alert(1)</script>'; --"]
    proc = regiebot(cli_env, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(questions)
    answers = [json.loads(line) for line in lines]
    for question, answer in zip(questions, answers, strict=True):
        assert answer["query"] == question
        for kind in KINDS:
            assert isinstance(answer[kind], list)
            for item in answer[kind]:
                assert "id" in item
                assert item.get("name") or item.get("title")
                assert isinstance(item["score"], int | float)
    assert answers[0]["actions"][0]["id"] == "wse-2023/2.3.2"
    assert any(p["id"] == "vdab" for p in answers[1]["partners"][:3])
    assert "aliases" in answers[1]["partners"][0]


def test_ask_prints_a_readable_dutch_answer(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "ask", "wat", "loopt", "er", "rond", "mobiliteit?")
    assert proc.returncode == 0, proc.stderr
    assert "Acties" in proc.stdout
    assert "Mobiliteit" in proc.stdout


def test_ask_with_only_stopwords_suggests_themes(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "ask", "wat loopt er rond")
    assert proc.returncode == 0, proc.stderr
    assert "Niets gevonden" in proc.stdout
    assert "probeer" in proc.stdout
