"""Bad input never raises: odd questions give a valid answer or a Dutch 'niets gevonden'."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.search import SearchIndex, render_text
from tests.search_fixtures import TODAY, real_snapshot, tiny_snapshot

KINDS = ("actions", "partners", "bodies", "meetings", "signals", "documents")


@lru_cache(maxsize=1)
def kb_index() -> SearchIndex:
    """The real knowledge base plus the tiny fake's meetings and signals, built once."""
    snapshot = {**real_snapshot()}
    fake = tiny_snapshot()
    snapshot["meetings"], snapshot["signals"] = fake["meetings"], fake["signals"]
    return SearchIndex.build(snapshot, today=TODAY)


def check(question: Any) -> None:
    answer = kb_index().search(question)
    out = answer.to_dict()
    json.dumps(out)
    assert set(KINDS) <= set(out)
    text = render_text(answer)
    assert text
    if answer.empty:
        assert text.startswith("Niets gevonden")
        assert "probeer bijvoorbeeld" in text
        assert answer.suggestions


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "wat loopt er rond",
        "wie zit er in de",
        "?!?",
        "x" * 10_000,
        "mobiliteit " * 1_000,
        "\U0001f6b2\U0001f6b2 fietsen \U0001f600",
        "\x00\x01\x1b[31mtaal\x7f",
        "'; DROP TABLE meetings; --",
        "mobiliteit' OR '1'='1",
        "<script>alert('taal')</script>",
        "<b>VDAB</b> &amp; STAM",
        "\u202etaal\u202c",
        "Ωμέγα ДЕЛО 漢字",
        "2.3.2",
        "-",
        "'s",
    ],
)
def test_odd_questions_give_a_valid_answer(question: str) -> None:
    check(question)


def test_a_non_string_question_is_treated_as_empty() -> None:
    check(None)
    check(42)


def test_sql_and_html_fragments_are_searched_as_words_not_run() -> None:
    answer = kb_index().search("<b>VDAB</b>'; --")
    assert answer.hits("partners")[0].id == "vdab"


def test_the_shown_question_is_printable_and_short() -> None:
    text = render_text(kb_index().search("\x1b[31m" + "zzz" * 200))
    assert "\x1b" not in text
    assert len(text.splitlines()[0]) < 250


def test_a_huge_question_is_answered_quickly() -> None:
    import time

    start = time.perf_counter()
    kb_index().search("mobiliteit taal jongeren " * 400)
    assert time.perf_counter() - start < 2.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(question: str) -> None:
    check(question)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["wat", "loopt", "er", "rond", "wie", "fiets", "mobilitiet", "IMW", "wijk-werken",
             "LDE", "van", "de", "STAM", "zieke", "'", "-", "2.3", "?", "taal", "overleg"]
        ),
        max_size=12,
    ).map(" ".join)
)  # fmt: skip
def test_arbitrary_mixes_of_question_words_never_raise(question: str) -> None:
    check(question)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "body", "date", "status", "topics", "notes", "attendees"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=8))),
    )
)
def test_arbitrary_meeting_records_can_be_upserted_and_removed(record: dict[str, Any]) -> None:
    index = SearchIndex.build(tiny_snapshot(), today=TODAY)
    index.upsert("meetings", record)
    index.search("deelfietsen")
    index.remove("meetings", record.get("id"))
    assert {h.id for h in index.search("deelfietsen").hits("meetings")} <= {1, 2}
