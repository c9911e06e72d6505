"""Reading questions: question phrases, intent, phrases typed apart, themes and typos."""

from __future__ import annotations

import pytest

from bot.search import SearchIndex
from bot.search.query import Analysis
from tests.search_fixtures import TODAY, tiny_snapshot


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(tiny_snapshot(), today=TODAY)


def read(index: SearchIndex, question: str) -> Analysis:
    return index.reader.read(question)


@pytest.mark.parametrize(
    "question",
    [
        "wat loopt er rond mobiliteit?",
        "wie werkt mee aan mobiliteit",
        "is er iets met mobiliteit",
        "acties over mobiliteit",
        "welke partners werken rond mobiliteit",
        "Mobiliteit",
    ],
)
def test_question_phrases_leave_only_the_topic(index: SearchIndex, question: str) -> None:
    assert [g.label for g in read(index, question).groups] == ["mobiliteit"]


def test_a_question_verb_after_the_topic_is_a_topic_word(index: SearchIndex) -> None:
    assert [g.label for g in read(index, "wijk werken").groups] == ["wijk werken"]


def test_wie_puts_partners_first_and_wanneer_meetings(index: SearchIndex) -> None:
    assert read(index, "wie werkt mee aan taal").order[0] == "partners"
    assert read(index, "wanneer vergadert de LDE-fabriek").order[:2] == ("meetings", "bodies")
    assert read(index, "taal").order[0] == "actions"


def test_a_kind_word_alone_is_searched_for(index: SearchIndex) -> None:
    assert [g.label for g in read(index, "overleg").groups] == ["overleg"]


def test_a_synonym_pulls_in_its_theme_below_the_word_itself(index: SearchIndex) -> None:
    (group,) = read(index, "fiets").groups
    weights = {alt.terms: alt.weight for alt in group.alts}
    assert weights[("#mobiliteit",)] < max(w for t, w in weights.items() if t[0] != "#")


def test_a_multiword_synonym_is_one_concept(index: SearchIndex) -> None:
    (group,) = read(index, "openbaar vervoer").groups
    assert any(alt.terms == ("#mobiliteit",) for alt in group.alts)


def test_a_typo_is_matched_to_the_vocabulary_with_a_lower_weight(index: SearchIndex) -> None:
    (group,) = read(index, "mobilitiet").groups
    assert {alt.label for alt in group.alts} >= {"mobiliteit"}
    assert all(alt.weight < 1.0 for alt in group.alts)


def test_an_acronym_is_never_typo_matched(index: SearchIndex) -> None:
    assert read(index, "VDAC").groups == []


def test_only_stopwords_give_no_groups(index: SearchIndex) -> None:
    assert read(index, "wat is er met de").groups == []
