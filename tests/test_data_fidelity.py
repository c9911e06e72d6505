"""Facts from the team's documents that the knowledge base must keep saying."""

from __future__ import annotations

import pytest

from storage.kb import KnowledgeBase, load_dir
from tests.conftest import DATA_DIR

WSE_CODES = [
    "1.1.1",
    "1.2.1",
    "1.3",
    "1.4",
    "1.5",
    "2.1",
    "2.2",
    "2.3.1",
    "2.3.2",
    "2.3.3",
    "2.3.4",
    "2.3.5",
    "2.3.6",
    "3.1",
    "3.2",
    "3.3",
    "3.4",
    "4",
]
W13_CODES = (
    [f"2.{i}" for i in range(1, 12)]
    + ["3.1", "4.1", "4.2"]
    + [f"5.{i}" for i in range(1, 4)]
    + [f"6.{i}" for i in range(1, 4)]
    + [f"7.{i}" for i in range(1, 4)]
    + [f"8.{i}" for i in range(1, 6)]
    + [f"9.{i}" for i in range(1, 4)]
    + [f"10.{i}" for i in range(1, 4)]
    + [f"11.{i}" for i in range(1, 4)]
    + ["12.1", "12.2"]
    + [f"13.{i}" for i in range(1, 7)]
    + [f"14.{i}" for i in range(1, 11)]
)
MUNICIPALITIES = {
    "anzegem",
    "avelgem",
    "deerlijk",
    "harelbeke",
    "kortrijk",
    "kuurne",
    "lendelede",
    "menen",
    "spiere-helkijn",
    "waregem",
    "wervik",
    "wevelgem",
    "zwevegem",
    "wielsbeke",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_dir(DATA_DIR)


def _by_id(kb: KnowledgeBase, kind: str) -> dict[str, dict]:
    return {r["id"]: r for r in kb.records[kind]}


def test_wse_2023_has_exactly_its_18_action_codes_under_their_pillars(kb: KnowledgeBase) -> None:
    actions = [a for a in kb.records["actions"] if a["plan"] == "wse-2023"]
    assert sorted(a["code"] for a in actions) == sorted(WSE_CODES)
    pillar = {a["code"]: a["section"] for a in actions}
    assert pillar["1.1.1"] == "WSE-LR1"
    assert pillar["2.3.2"] == "WSE-LR2"
    assert pillar["3.3"] == "WSE-LR3"
    assert pillar["4"] == "WSE-LR4"


def test_w13_2020_has_all_55_numbered_actions_with_their_werf(kb: KnowledgeBase) -> None:
    actions = {a["code"]: a for a in kb.records["actions"] if a["plan"] == "w13-2020"}
    assert len(W13_CODES) == 55
    assert sorted(actions) == sorted(W13_CODES)
    assert actions["2.3"]["section"] == "werf-zorg"
    assert actions["5.2"]["section"] == "werf-armoede"
    assert actions["13.1"]["section"] == "werf-leren"
    assert actions["14.10"]["section"] == "werf-organisatie"
    assert "Energiehuis" in actions["5.2"]["title"]


def test_rose_2020_actions_exist_and_keep_the_document_wording(kb: KnowledgeBase) -> None:
    actions = [a for a in kb.records["actions"] if a["plan"] == "rose-2020"]
    assert len(actions) >= 10
    text = " ".join((a["description"] or "") for a in actions)
    assert "rijsimulator" in text
    assert "fietsrijschool" in text


def test_rose_actiegroep_meets_six_times_from_2020_and_four_times_from_2023(
    kb: KnowledgeBase,
) -> None:
    body = _by_id(kb, "bodies")["rose-actiegroep"]
    assert body["role"] in ("trekker", "facilitator")
    assert [(c["from"], c["per_year"], c["source"]) for c in body["cadence"]] == [
        (2020, 6, "rose-2020"),
        (2023, 4, "wse-2023"),
    ]


def test_lde_fabriek_stopped_after_2022_and_has_no_cadence_from_2023(kb: KnowledgeBase) -> None:
    body = _by_id(kb, "bodies")["lde-fabriek"]
    assert body["cadence"][0]["per_year"] == 6
    later = [c for c in body["cadence"] if c["from"] >= 2023]
    assert later
    assert all(c["per_year"] == 0 for c in later)
    assert body["active"]["until"] == 2022


def test_az_fabriek_was_replaced_by_the_w13_stam_overleg(kb: KnowledgeBase) -> None:
    bodies = _by_id(kb, "bodies")
    assert bodies["az-fabriek"]["active"]["until"] == 2022
    stam = bodies["overleg-w13-stam"]
    assert "stam" in stam["partners"] or stam["organiser"] == "stam"
    assert stam["cadence"][0]["from"] == 2023


def test_only_bodies_w13_organises_carry_a_cadence(kb: KnowledgeBase) -> None:
    for body in kb.records["bodies"]:
        if any(c["per_year"] for c in body["cadence"]):
            assert body["role"] in ("trekker", "facilitator"), body["id"]
    attended = {
        "diensthoofdenoverleg",
        "stuurgroep-langdurig-zieken",
        "vervoersregio-kortrijk",
        "beleidsgroep-werk-vvsg",
        "provinciale-werkgroep-sociale-partners",
    }
    for body_id in attended:
        assert _by_id(kb, "bodies")[body_id]["cadence"] == [], body_id


def test_the_14_municipalities_are_there_and_wielsbeke_is_noted(kb: KnowledgeBase) -> None:
    gemeenten = {p["id"] for p in kb.records["partners"] if p["kind"] == "gemeente"}
    assert gemeenten == MUNICIPALITIES
    note = _by_id(kb, "partners")["wielsbeke"]["note"] or ""
    assert "samenwerkingsovereenkomst" in note


def test_mobility_and_long_term_sickness_actions_name_their_partners(kb: KnowledgeBase) -> None:
    actions = _by_id(kb, "actions")
    assert "vervoersregio-kortrijk" in actions["wse-2023/2.3.2"]["partners"]
    assert {"pom-west-vlaanderen", "vdab"} <= set(actions["wse-2023/2.3.5"]["partners"])
    assert "mobiliteit" in actions["wse-2023/2.3.2"]["themes"]


def test_the_partners_the_mission_names_are_all_known(kb: KnowledgeBase) -> None:
    partners = _by_id(kb, "partners")
    for pid in (
        "vdab",
        "stam",
        "pom-west-vlaanderen",
        "leiedal",
        "voka-west-vlaanderen",
        "unizo",
        "vvsg",
        "edusprong",
        "digibank-kortrijk",
        "vervoersregio-kortrijk",
        "4werk",
        "mutualiteiten",
        "howest",
        "designregio-kortrijk",
        "food-act-13",
        "solentra",
        "logo-leieland",
        "zuidwest",
        "caw-zuid-west-vlaanderen",
    ):
        assert pid in partners, pid
        assert partners[pid]["description"], pid


def test_documents_cover_both_jaarverslagen_and_the_plans(kb: KnowledgeBase) -> None:
    sources = {d["source"] for d in kb.records["documents"]}
    assert sources == {"wse-2023", "rose-2020", "w13-2020", "jaarverslag-2021", "jaarverslag-2022"}
    jv22 = " ".join(
        d["text"] for d in kb.records["documents"] if d["source"] == "jaarverslag-2022"
    )
    assert "De actiegroep ROSE kwam in 2022 twee keer samen" in jv22
