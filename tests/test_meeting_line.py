"""A /vergadering line read into a draft: body by fuzzy name, date, topics, and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.meeting_line import (
    MAX_CANDIDATES,
    BodyName,
    MeetingDraft,
    RelatedName,
    match_body,
    parse_meeting_line,
    pick_body,
    read_body_answer,
    split_topics,
)

TODAY = date(2026, 3, 18)  # a Wednesday
BODIES_YAML = Path(__file__).resolve().parent.parent / "data" / "bodies.yaml"
BODIES = [
    BodyName(id=b["id"], name=b["name"], aliases=tuple(b.get("aliases") or ()))
    for b in yaml.safe_load(BODIES_YAML.read_text(encoding="utf-8"))
]
BODY_IDS = {body.id for body in BODIES}


def parse(text: str, today: date = TODAY) -> MeetingDraft:
    return parse_meeting_line(text, today=today, bodies=BODIES)


def test_the_first_example_from_the_issue_reads_body_date_and_topics() -> None:
    draft = parse("/vergadering ROA 15/03/2026 capacity building, doelgroepanalyse")
    assert draft.body_id == "roa"
    assert draft.date == date(2026, 3, 15)
    assert draft.topics == ["capacity building", "doelgroepanalyse"]
    assert draft.status == "held"
    assert draft.problems == []
    assert draft.date_error is None


def test_the_second_example_from_the_issue_takes_the_body_in_any_word_order() -> None:
    draft = parse("/vergadering actiegroep rose gisteren over individueel maatwerk en mobiliteit")
    assert draft.body_id == "rose-actiegroep"
    assert draft.body_text == "actiegroep rose"
    assert draft.date == date(2026, 3, 17)
    # " en " stays inside a topic: no typed word is lost (issue 12)
    assert draft.topics == ["individueel maatwerk en mobiliteit"]
    assert draft.problems == []


@pytest.mark.parametrize(
    "command",
    ["/vergadering", "/vergadering@RegieBot", "/VERGADERING@regie_bot", "  /vergadering"],
)
def test_the_command_word_with_or_without_a_bot_username_is_stripped(command: str) -> None:
    draft = parse(f"{command} ROA gisteren over de begroting")
    assert draft.body_id == "roa"
    assert draft.date == date(2026, 3, 17)
    assert draft.topics == ["de begroting"]


def test_a_line_without_the_command_word_is_read_the_same_way() -> None:
    assert parse("ROA gisteren over de begroting").body_id == "roa"


@pytest.mark.parametrize(
    ("body_id", "spelling"),
    [(body.id, spelling) for body in BODIES for spelling in (body.name, *body.aliases)],
)
def test_every_name_and_alias_in_bodies_yaml_resolves_to_its_own_body(
    body_id: str, spelling: str
) -> None:
    assert pick_body(match_body(spelling, BODIES)) == body_id
    assert parse(f"/vergadering {spelling} gisteren").body_id == body_id


@pytest.mark.parametrize(
    ("text", "body_id"),
    [
        ("ROA", "roa"),
        ("roa", "roa"),
        ("RWA", "roa"),
        ("LDE", "lde-fabriek"),
        ("LDE-FABRIEK", "lde-fabriek"),
        ("RASE", "werkgroep-rase"),
        ("rose", "rose-algemene-vergadering"),  # the plenary is "the" ROSE meeting
        ("AZ-fabriek", "az-fabriek"),
        ("GBO", "stuurgroep-gbo"),
        ("Regionaal Overleg Activering (ROA)", "roa"),
    ],
)
def test_acronyms_and_short_names_match_exactly(text: str, body_id: str) -> None:
    assert pick_body(match_body(text, BODIES)) == body_id


@pytest.mark.parametrize("typo", ["RAO", "LED", "ROE", "RAS", "AZZ", "R0A"])
def test_an_acronym_one_letter_off_matches_nothing(typo: str) -> None:
    assert match_body(typo, BODIES) == []


@pytest.mark.parametrize(
    ("text", "body_id"),
    [
        ("actiegreop rose", "rose-actiegroep"),
        ("rose actiegroep", "rose-actiegroep"),
        ("vervoersregio kortijk", "vervoersregio-kortrijk"),
        ("regiorad", "regioraad"),
        ("dienshoofdenoverleg", "diensthoofdenoverleg"),
        ("stuurgroep langdurig zieke", "stuurgroep-langdurig-zieken"),
        ("crisisnetwrek", "regionaal-crisisnetwerk"),
        ("stuurgroep geintegreerd breed onthaal", "stuurgroep-gbo"),  # accent left out
        ("STUURGROEP GEÏNTEGREERD BREED ONTHAAL", "stuurgroep-gbo"),
        ("digibanken", "stuurgroep-digibank"),
    ],
)
def test_longer_names_tolerate_typos_case_and_accents(text: str, body_id: str) -> None:
    assert parse(f"/vergadering {text} gisteren").body_id == body_id


def test_a_typo_in_a_short_word_is_not_corrected_but_the_long_word_still_finds_the_body() -> None:
    # Decision: words under five letters never match fuzzily (ROSE/RASE, ROA/RWA are different
    # names), so "rsoe" is no name; "actiegroep" alone already names the ROSE-actiegroep.
    draft = parse("/vergadering actiegroep rsoe gisteren")
    assert draft.body_id == "rose-actiegroep"
    assert draft.topics == ["rsoe"]


def test_stuurgroep_alone_is_ambiguous_and_lists_the_stuurgroepen() -> None:
    draft = parse("/vergadering stuurgroep gisteren over de planning")
    assert draft.body_id is None
    assert 3 <= len(draft.body_candidates) <= MAX_CANDIDATES
    assert all(body_id.startswith("stuurgroep-") for body_id, _ in draft.body_candidates)
    assert draft.problems[0].startswith("Welk overlegorgaan bedoel je: Stuurgroep")
    assert draft.topics == ["de planning"]
    assert draft.date == date(2026, 3, 17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AZ", {"az-fabriek", "overleg-w13-stam"}),
        (
            "lerend netwerk",
            {"lerend-netwerk-regisseurs-vvsg", "lerend-netwerk-trajectbegeleiders"},
        ),
        ("arbeidszorg", {"overleg-w13-stam", "rondetafel-arbeidszorg"}),
        ("werkgroep", {"werkgroep-rase", "werkgroep-aanvullende-dienstverlening"}),
    ],
)
def test_a_name_shared_by_several_bodies_is_ambiguous(text: str, expected: set[str]) -> None:
    candidates = match_body(text, BODIES)
    assert pick_body(candidates) is None
    assert expected <= {body_id for body_id, _ in candidates}


def test_candidates_are_sorted_best_first_with_scores_up_to_100() -> None:
    candidates = match_body("actiegroep rose", BODIES)
    assert candidates[0] == ("rose-actiegroep", 100.0)
    scores = [score for _, score in candidates]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "text",
    ["/vergadering onbekend orgaan gisteren", "/vergadering gisteren", "/vergadering 15/3 X, Y"],
)
def test_an_unknown_body_gives_no_candidates_and_asks_which_body(text: str) -> None:
    draft = parse(text)
    assert draft.body_id is None
    assert draft.body_candidates == []
    assert draft.problems[0].startswith("Welk overlegorgaan?")


def test_a_body_word_in_the_agenda_is_a_topic_not_the_body() -> None:
    draft = parse("/vergadering ROA gisteren over werk en de vervoersregio")
    assert draft.body_id == "roa"
    assert draft.topics == ["werk en de vervoersregio"]
    assert parse("/vergadering gisteren over werk").body_id is None


def test_a_whole_name_after_the_agenda_marker_still_names_the_body() -> None:
    draft = parse("/vergadering gisteren over de begroting met de regioraad")
    assert draft.body_id == "regioraad"


def test_the_first_named_body_wins_over_a_later_one() -> None:
    draft = parse("/vergadering ROA gisteren, voorbereiding algemene vergadering ROSE")
    assert draft.body_id == "roa"
    assert draft.topics == ["voorbereiding algemene vergadering ROSE"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("/vergadering ROA morgen", "planned"),
        ("/vergadering ROA volgende dinsdag", "planned"),
        ("/vergadering ROA 15/12", "planned"),
        ("/vergadering ROA vandaag", "held"),
        ("/vergadering ROA gisteren", "held"),
        ("/vergadering ROA", "held"),
    ],
)
def test_a_future_date_makes_the_meeting_planned(text: str, status: str) -> None:
    assert parse(text).status == status


def test_an_impossible_date_is_a_problem_and_leaves_no_date() -> None:
    draft = parse("/vergadering ROA 31/02/2026 begroting")
    assert draft.date is None
    assert draft.date_error == "31/02/2026 bestaat niet."
    assert draft.problems == ["31/02/2026 bestaat niet."]
    assert draft.body_id == "roa"
    assert draft.topics == ["begroting"]


def test_conflicting_dates_are_a_problem() -> None:
    draft = parse("/vergadering ROA 12/03/2026 of 15/03/2026")
    assert draft.date is None
    assert draft.date_error == "Twee verschillende datums gevonden: 12/03/2026 en 15/03/2026."


def test_a_missing_date_asks_when() -> None:
    draft = parse("/vergadering ROA over de begroting")
    assert draft.date is None
    assert draft.date_error is None
    assert draft.problems == [
        "Wanneer was de vergadering? Ik vond geen datum; "
        "bv. gisteren, vorige dinsdag of 15/03/2026."
    ]


def test_the_command_alone_has_both_problems_and_nothing_else() -> None:
    draft = parse("/vergadering")
    assert (draft.body_id, draft.date, draft.topics) == (None, None, [])
    assert len(draft.problems) == 2


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("ROA gisteren: begroting; planning en evaluatie", ["begroting", "planning en evaluatie"]),
        ("ROA gisteren met als agenda: begroting, planning", ["begroting", "planning"]),
        ("ROA gisteren rond mobiliteit & werk", ["mobiliteit & werk"]),
        ("ROA gisteren over X, over Y", ["X", "Y"]),
        ("ROA gisteren begroting, Begroting, begroting", ["begroting"]),
        ("ROA gisteren ,, ; en ", []),
        ("met de ROA gisteren over de begroting", ["de begroting"]),
        # a dangling "bij" once the body is taken out is no agenda (issue 12)
        ("capacity building bij ROA, gisteren", ["capacity building"]),
    ],
)
def test_topics_are_split_on_commas_and_semicolons_only(text: str, topics: list[str]) -> None:
    assert parse(text).topics == topics


def test_split_topics_strips_the_agenda_lead_words() -> None:
    assert split_topics("over: a; rond b en c.") == ["a", "b en c"]
    assert split_topics("overleg met UNIZO, rondetafel, agendapunt X") == [
        "overleg met UNIZO",
        "rondetafel",
        "agendapunt X",
    ]


def test_a_body_name_that_contains_en_is_not_split_into_topics() -> None:
    draft = parse("/vergadering overleg W13 en STAM gisteren over arbeidszorg")
    assert draft.body_id == "overleg-w13-stam"
    assert draft.topics == ["arbeidszorg"]


BAD_INPUT = [
    "<b>ROA</b> gisteren <script>alert(1)</script>",
    "/vergadering ROA gisteren'; DROP TABLE meetings; --",
    "/vergadering 🎉 ROA 🎉 gisteren 🍕, 🚲",
    "/vergadering اجتماع أمس ROA",
    "/vergadering \u202eROA gisteren\u202c",
    "/vergadering \x00\x01\x02 ROA",
    "/vergadering " + "ROA gisteren, " * 400,
    "/vergadering " + "stuurgroep actiegroep rose " * 200,
    "/vergadering " + "x" * 4096,
    "/vergadering " + "15/3 " * 800,
    "/vergadering " + "é" * 4096,
    "(((((((((((",
    "/vergadering@",
    "@@@ /vergadering",
]


@pytest.mark.parametrize("text", BAD_INPUT)
def test_hostile_or_huge_input_never_raises(text: str) -> None:
    draft = parse(text[:4096])
    assert draft.body_id is None or draft.body_id in BODY_IDS
    assert len(draft.body_candidates) <= MAX_CANDIDATES


def test_html_and_emoji_around_the_body_do_not_hide_it() -> None:
    assert parse("<b>ROA</b> gisteren").body_id == "roa"
    assert parse("/vergadering 🎉 ROA 🎉 gisteren").body_id == "roa"


def test_no_bodies_at_all_means_no_body_and_no_crash() -> None:
    draft = parse_meeting_line("/vergadering ROA gisteren", today=TODAY, bodies=[])
    assert draft.body_id is None
    assert draft.date == date(2026, 3, 17)


@given(text=st.text(max_size=500))
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_never_raises_and_the_draft_is_consistent(text: str) -> None:
    draft = parse(text)
    assert draft.body_id is None or draft.body_id in BODY_IDS
    if draft.body_id is not None:
        assert draft.body_candidates[0][0] == draft.body_id
    scores = [score for _, score in draft.body_candidates]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) <= MAX_CANDIDATES
    assert draft.status == ("planned" if draft.date and draft.date > TODAY else "held")
    assert (draft.date is None) or (draft.date_error is None)
    assert all(topic.strip() == topic and topic for topic in draft.topics)


words = st.sampled_from(
    ["ROA", "rose", "actiegroep", "stuurgroep", "gisteren", "15/3", "31/02", "over", "en", ",",
     ";", ":", "(", ")", "de", "van", "werk", "LDE", "fabriek", "overleg", "vorige", "dinsdag"]
)  # fmt: skip


@given(parts=st.lists(words, max_size=15))
@settings(max_examples=300, deadline=None)
def test_body_and_date_word_salad_never_raises(parts: list[str]) -> None:
    draft = parse("/vergadering " + " ".join(parts))
    assert draft.body_id is None or draft.body_id in BODY_IDS


# --- issue 12: the body is certain, or the bot asks -------------------------------------------

TODAY_12 = date(2026, 12, 3)  # a Thursday
LIVE = [
    BodyName(
        id=b["id"],
        name=b["name"],
        aliases=tuple(b.get("aliases") or ()),
        first_year=b["active"]["from"],
        last_year=b["active"]["until"],
    )
    for b in yaml.safe_load(BODIES_YAML.read_text(encoding="utf-8"))
]
RELATED = [
    RelatedName("partner", "vdab", ("VDAB",), ("stuurgroep-samenwerkingsovereenkomst", "roa")),
    RelatedName("partner", "stam", ("STAM",), ("overleg-w13-stam", "rondetafel-arbeidszorg")),
    RelatedName("theme", "mobiliteit", ("mobiliteit", "bus"), ("vervoersregio-kortrijk",)),
    RelatedName("action", "wse-2023/2.3.2", ("2.3.2",), ("vervoersregio-kortrijk",)),
]


def parse12(text: str) -> MeetingDraft:
    return parse_meeting_line(text, today=TODAY_12, bodies=LIVE, related=RELATED)


@pytest.mark.parametrize(
    ("text", "body_id", "topics"),
    [
        (
            "/vergadering LDE-fabriek 08/09/2022 lokaal aanvullende dienstverlening",
            "lde-fabriek",
            ["lokaal aanvullende dienstverlening"],
        ),
        (
            "/vergadering actiegroep 12/11/2026 stuurgroep langdurig zieken terugkoppeling",
            "rose-actiegroep",
            ["stuurgroep langdurig zieken terugkoppeling"],
        ),
        ("/vergadering capacity building met ROA gisteren", "roa", ["capacity building"]),
        ("gisteren ROA gehad over capacity building", "roa", ["capacity building"]),
        ("/vergadering gisteren: stuurgroep langdurig zieken - proeftuinen", None, None),
        ("/vergadering ldefabriek 15/03/2022 versterken", "lde-fabriek", ["versterken"]),
    ],
)
def test_the_words_before_the_date_name_the_body_and_the_rest_is_agenda(
    text: str, body_id: str | None, topics: list[str] | None
) -> None:
    draft = parse12(text)
    if body_id is None:  # date first, then the body after a colon
        assert draft.body_id == "stuurgroep-langdurig-zieken"
        return
    assert draft.body_id == body_id
    assert draft.topics == topics


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("/vergadering VDAB 19/11 IMW", {"stuurgroep-samenwerkingsovereenkomst", "roa"}),
        ("/vergadering STAM 25/11/2026 arbeidszorg, vormingen", {"overleg-w13-stam"}),
        (
            "/vergadering lerend netwerk 3/11 digibanken en taal",
            {"lerend-netwerk-regisseurs-vvsg"},
        ),
        ("/vergadering mobiliteit 19/11 busverbindingen", {"vervoersregio-kortrijk"}),
        ("/vergadering 2.3.2 gisteren", {"vervoersregio-kortrijk"}),
        ("/vergadering AZ-fabriek 12/11/2026 nota", set()),
    ],
)
def test_a_partner_theme_action_or_shared_word_asks_with_the_bodies_it_belongs_to(
    text: str, offered: set[str]
) -> None:
    draft = parse12(text)
    assert draft.body_id is None
    assert offered <= {body_id for body_id, _ in draft.body_candidates}


def test_a_stopped_body_is_not_offered_and_the_question_says_it_stopped() -> None:
    draft = parse12("/vergadering AZ-fabriek 12/11/2026 nota")
    assert "az-fabriek" not in {body_id for body_id, _ in draft.body_candidates}
    assert draft.problems[0].startswith("AZ-fabriek kwam voor het laatst samen in 2022.")
    assert draft.topics == ["nota"]
    assert parse12("/vergadering AZ-fabriek 12/11/2022 nota").body_id == "az-fabriek"


@pytest.mark.parametrize(
    ("text", "hour", "minute", "status"),
    [
        ("/vergadering ROA morgen 14u", 14, 0, "planned"),
        ("/vergadering ROA om 14u30 gisteren", 14, 30, "held"),
        ("/vergadering ROA 10/12/2026 14:00 evaluatie", 14, 0, "planned"),
        ("/vergadering ROA volgende maandag van 9u tot 11u", 9, 0, "planned"),
    ],
)
def test_a_time_of_day_is_read_as_a_time_and_not_left_in_the_agenda(
    text: str, hour: int, minute: int, status: str
) -> None:
    draft = parse12(text)
    assert draft.time is not None
    assert (draft.time.hour, draft.time.minute) == (hour, minute)
    assert draft.status == status
    assert not any(t == "u" or t.endswith(("14u", "9u", ":00")) for t in draft.topics)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/vergadering ROA gistren", date(2026, 12, 2)),
        ("/vergadering ROA gisterenavond", date(2026, 12, 2)),
        ("/vergadering ROA gistermiddag", date(2026, 12, 2)),
        ("/vergadering ROA afgelopen donderdag", date(2026, 11, 26)),
        ("/vergadering ROA vorige week dinsdag", date(2026, 11, 24)),
        ("/vergadering ROA volgende maandag", date(2026, 12, 7)),
    ],
)
def test_the_date_words_people_type_and_their_typos(text: str, expected: date) -> None:
    assert parse12(text).date == expected


def test_an_hour_past_23_is_a_problem() -> None:
    draft = parse12("/vergadering ROA gisteren 25u")
    assert draft.time is None
    assert draft.time_error == "25u is geen geldig uur."


def test_a_body_typed_in_answer_follows_the_same_rules() -> None:
    vdab = read_body_answer("VDAB", bodies=LIVE, related=RELATED, year=2026)
    assert vdab.body_id is None
    assert vdab.question is not None
    assert read_body_answer("ROA", bodies=LIVE, related=RELATED, year=2026).body_id == "roa"
    stopped = read_body_answer("AZ-fabriek", bodies=LIVE, related=RELATED, year=2026)
    assert stopped.body_id is None
    assert stopped.question is not None
    assert stopped.question.startswith("AZ-fabriek kwam voor het laatst samen in 2022.")
