"""The search index on a small hand-made knowledge base: ranking, updates and the contract."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from bot.search import SearchAnswer, SearchIndex, render_text
from tests.search_fixtures import TODAY, tiny_snapshot

KINDS = ("actions", "partners", "bodies", "meetings", "signals", "documents")


@pytest.fixture
def snapshot() -> dict[str, Any]:
    return tiny_snapshot()


@pytest.fixture
def index(snapshot: dict[str, Any]) -> SearchIndex:
    return SearchIndex.build(snapshot, today=TODAY)


def ids(answer: SearchAnswer, kind: str) -> list[str | int]:
    return [hit.id for hit in answer.hits(kind)]


# ---- ranking ----------------------------------------------------------------------------


def test_the_current_plan_ranks_before_an_older_plan_with_the_same_title(
    index: SearchIndex,
) -> None:
    assert ids(index.search("mobiliteit"), "actions")[:2] == ["wse-2023/2.3.2", "w13-2020/5.1"]


def test_an_exact_word_ranks_above_a_typo_match() -> None:
    snapshot = tiny_snapshot()
    snapshot["actions"] += [
        {"id": "wse-2023/9", "title": "Rijschool", "description": "Een rijschool."},
        {"id": "wse-2023/10", "title": "Rijscholen", "description": "Meer rijscholen."},
        {"id": "wse-2023/11", "title": "Rijschoal", "description": "Een typo in de data."},
    ]
    found = ids(SearchIndex.build(snapshot, today=TODAY).search("rijschoal"), "actions")
    assert found[0] == "wse-2023/11"


def test_a_compound_is_found_through_its_head(index: SearchIndex) -> None:
    answer = index.search("fietsen")
    assert "wse-2023/2.3.2" in ids(answer, "actions")  # holds only "deelfietsen"


def test_a_hyphenated_word_matches_typed_joined_apart_or_hyphenated(index: SearchIndex) -> None:
    for question in ("wijk-werken", "wijkwerken", "wijk werken"):
        assert ids(index.search(question), "actions")[0] == "wse-2023/2.4", question


def test_a_partner_is_found_by_its_acronym_alias(index: SearchIndex) -> None:
    assert ids(index.search("POM"), "partners")[0] == "pom"


def test_a_partner_named_exactly_ranks_before_partners_that_contain_the_name(
    index: SearchIndex,
) -> None:
    assert ids(index.search("Kortrijk"), "partners")[0] == "kortrijk"


def test_a_theme_question_lists_the_partners_of_its_actions(index: SearchIndex) -> None:
    answer = index.search("langdurige zieken")
    assert set(ids(answer, "partners")[:2]) == {"vdab", "pom"}
    assert any("via actie" in m for hit in answer.hits("partners") for m in hit.matched)


def test_a_theme_synonym_finds_records_tagged_with_the_theme(index: SearchIndex) -> None:
    answer = index.search("openbaar vervoer")
    assert "wse-2023/2.3.2" in ids(answer, "actions")
    assert any("Mobiliteit (thema)" in m for hit in answer.hits("actions") for m in hit.matched)


def test_recent_meetings_rank_before_old_ones(index: SearchIndex) -> None:
    assert ids(index.search("deelfietsen"), "meetings") == [1, 2]


def test_a_body_question_finds_its_meetings(index: SearchIndex) -> None:
    answer = index.search("wanneer vergadert de LDE-fabriek?")
    assert ids(answer, "bodies")[0] == "lde-fabriek"
    assert set(ids(answer, "meetings")) == {1, 2}
    assert answer.order[0] == "meetings"


def test_a_meeting_of_the_named_body_ranks_above_a_newer_one_that_mentions_it(
    index: SearchIndex,
) -> None:
    index.upsert(
        "meetings",
        {"id": 9, "body": "vervoersregio-overleg", "date": "2024-05-30", "status": "held",
         "topics": ["verslag van de LDE-fabriek"], "notes": None, "attendees": []},
    )  # fmt: skip
    assert ids(index.search("LDE-fabriek"), "meetings") == [1, 9, 2]


def test_meetings_with_a_named_partner_are_found_through_their_attendees(
    index: SearchIndex,
) -> None:
    (hit,) = index.search("vergaderingen met W13").hits("meetings")
    assert hit.id == 1
    assert hit.matched == ["W13"]


def test_every_hit_says_why_it_matched_and_shows_a_snippet(index: SearchIndex) -> None:
    (hit, *_) = index.search("rijsimulator").hits("actions")
    assert hit.matched == ["rijsimulator"]
    assert "rijsimulator" in hit.snippet


# ---- updates ----------------------------------------------------------------------------


def test_a_logged_meeting_is_found_at_once(index: SearchIndex) -> None:
    assert index.search("kinderopvang").hits("meetings") == []
    index.upsert(
        "meetings",
        {"id": 3, "body": "lde-fabriek", "date": "2024-05-01", "status": "held",
         "topics": ["kinderopvang voor werkzoekenden"], "notes": None, "attendees": []},
    )  # fmt: skip
    assert ids(index.search("kinderopvang"), "meetings") == [3]


def test_an_edited_meeting_is_found_by_its_new_words_only(index: SearchIndex) -> None:
    meeting = copy.deepcopy(tiny_snapshot()["meetings"][0])
    meeting["topics"] = ["taalcoaching"]
    index.upsert("meetings", meeting)
    assert ids(index.search("taalcoaching"), "meetings") == [1]
    assert ids(index.search("deelfietsen"), "meetings") == [2]


def test_a_removed_signal_is_gone_and_unknown_ids_are_ignored(index: SearchIndex) -> None:
    assert ids(index.search("busverbindingen"), "signals") == [1]
    index.remove("signals", 1)
    index.remove("signals", 999)
    index.remove("nonsense", 1)
    assert index.search("busverbindingen").hits("signals") == []


def test_many_edits_compact_the_postings_without_losing_records(index: SearchIndex) -> None:
    meeting = copy.deepcopy(tiny_snapshot()["meetings"][0])
    for round_ in range(2500):
        meeting["notes"] = f"ronde {round_}"
        index.upsert("meetings", meeting)
    assert index.kinds["meetings"].dead <= max(1000, index.kinds["meetings"].alive)
    assert ids(index.search("deelfietsen"), "meetings") == [1, 2]


def test_rebuild_after_reseeding_picks_up_new_knowledge(index: SearchIndex) -> None:
    snapshot = tiny_snapshot()
    snapshot["partners"].append({"id": "edusprong", "name": "Edusprong"})
    index.rebuild(snapshot)
    assert ids(index.search("edusprong"), "partners") == ["edusprong"]


def test_upserting_a_record_without_an_id_does_nothing(index: SearchIndex) -> None:
    before = len(index)
    index.upsert("meetings", {"topics": ["geen id"]})
    index.upsert("meetings", "not a record")  # type: ignore[arg-type]
    assert len(index) == before


# ---- the JSON contract and the text answer -----------------------------------------------


def test_the_json_contract_has_every_kind_and_the_fields_of_issue_4(index: SearchIndex) -> None:
    out = index.search("mobiliteit").to_dict()
    assert list(out)[:7] == ["query", *KINDS]
    assert out["query"] == "mobiliteit"
    json.dumps(out)  # serialisable as is
    for kind in KINDS:
        for item in out[kind]:
            assert {"id", "score", "snippet", "matched"} <= set(item)
            assert item.get("name") or item.get("title")
            assert isinstance(item["score"], float)
    partner = out["partners"][0]
    assert "name" in partner
    assert isinstance(partner["aliases"], list)
    assert "title" in out["actions"][0]
    assert "aliases" not in out["actions"][0]
    assert out["meetings"] == [] or "date" in out["meetings"][0]


def test_render_text_groups_hits_under_dutch_headings_with_dutch_dates(
    index: SearchIndex,
) -> None:
    text = render_text(index.search("deelfietsen"))
    assert "Acties" in text
    assert "Vergaderingen" in text
    assert "12/03/2024" in text
    assert "2024-03-12" not in text


def test_render_text_orders_the_groups_by_the_question(index: SearchIndex) -> None:
    text = render_text(index.search("wie werkt mee aan mobiliteit"))
    assert text.index("Partners") < text.index("Acties")


def test_an_empty_answer_suggests_themes_in_dutch(index: SearchIndex) -> None:
    answer = index.search("xyzzy quux")
    assert answer.empty
    assert answer.suggestions
    text = render_text(answer)
    assert text.startswith('Niets gevonden voor "xyzzy quux" - probeer bijvoorbeeld:')


def test_a_near_miss_suggests_the_closest_theme_first(index: SearchIndex) -> None:
    answer = index.search("mooooobiliteit")  # three edits: beyond the typo budget
    assert answer.empty
    assert answer.suggestions[0] == "mobiliteit"


# ---- defensive building -----------------------------------------------------------------


def test_an_empty_or_partial_snapshot_builds_and_answers() -> None:
    for snapshot in ({}, {"actions": None}, {"themes": [None, 3, "x"]}, {"meetings": [{}]}):
        index = SearchIndex.build(snapshot)
        assert index.search("mobiliteit").empty


def test_junk_values_in_records_are_tolerated() -> None:
    snapshot: dict[str, Any] = {
        "actions": [{"id": "a/1", "title": None, "description": 42, "themes": "taal",
                     "partners": [None, {"x": 1}], "werkjaren": "2023"}],
        "partners": [{"id": 7, "name": ["VDAB"], "aliases": None}],
        "meetings": [{"id": 1, "date": "not a date", "topics": None, "body": None},
                     {"id": 2, "date": dt.date(2024, 1, 1), "topics": "taal"}],
        "signals": [{"id": 1, "text": None, "date": None, "themes": None}],
    }  # fmt: skip
    index = SearchIndex.build(snapshot)
    assert ids(index.search("taal"), "meetings") == [2]
    assert ids(index.search("vdab"), "partners") == [7]  # ids keep their type


def test_without_a_date_recency_is_measured_from_the_newest_record(
    snapshot: dict[str, Any],
) -> None:
    index = SearchIndex.build(snapshot)
    assert ids(index.search("deelfietsen"), "meetings") == [1, 2]
