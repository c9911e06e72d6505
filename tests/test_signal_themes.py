"""Theme detection of signals, and which bodies a new signal may name as its source.

The texts are signals as a coordinator or a jobcoach types them after a meeting, in the words of
the team's documents (shared/seeds): the drempels of the samenwerkingsovereenkomst (mobiliteit,
taal, kinderopvang ...), the ROSE tables, the W13 werven. Each case names the themes it must get
and, for the traps, the themes it must not get.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from bot.domain.signal_sources import offered_as_source
from bot.domain.signal_themes import ThemeDetector
from tests.bot_harness import Harness, close_harness, make_harness
from tests.conftest import DATA_DIR


def _load(name: str) -> list[dict[str, Any]]:
    records = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(records, list)
    return records


@pytest.fixture(scope="module")
def themes() -> ThemeDetector:
    return ThemeDetector.build(_load("themes.yaml"))


# --- what the issue reported ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kinderopvang!!", ["kinderopvang"]),
        ("probleem met mobiliteit.", ["mobiliteit"]),
        ("<b>kinderopvang</b>", ["kinderopvang"]),
        ("🚌 bus naar Menen rijdt niet meer", ["mobiliteit"]),
        ("KINDEROPVANG???", ["kinderopvang"]),
        ("Mobiliteit,taal", ["mobiliteit", "taal"]),
        ("(mobiliteit)", ["mobiliteit"]),
        ("«kinderopvang»", ["kinderopvang"]),
        ("<i>taalles</i> &amp; <b>NT2</b>", ["taal"]),
        ("mobiliteit&nbsp;!", ["mobiliteit"]),
        ("crèche vol", ["kinderopvang"]),
        ("Crèches zitten vol", ["kinderopvang"]),
        ("re-integratie loopt vast", ["langdurig-zieken"]),
        ("Re-integratie", ["langdurig-zieken"]),
    ],
)
def test_punctuation_emoji_html_and_capitals_do_not_hide_a_theme(
    themes: ThemeDetector, text: str, expected: list[str]
) -> None:
    assert sorted(themes.detect(text)) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "bus naar Menen rijdt niet meer",
        "de busverbinding Wervik - Menen is geschrapt",
        "busverbindingen naar de industriezone zijn onvoldoende",
        "busjes van de organisaties worden niet gedeeld",
        "het busje van de klusjesdienst is kapot",
        "bussen rijden niet meer na 19 uur",
        "geen trein meer na 20 uur",
        "treinen naar Kortrijk vallen uit",
        "fiets gestolen",
        "fietsen voor leeflooncliënten",
        "De Lijn schrapt haltes in Spiere-Helkijn",
        "openbaar vervoer is er niet 's avonds",
        "geen rijbewijs, dus geen job",
        "fietsherstelling voor deelnemers",
        "fietsenstalling aan het station ontbreekt",
        "🚲 deelfietsen aan het station staan leeg",
        "Trein- en busverbindingen",
        "zonder auto geraak je niet op de werkplek",
        "auto's van de dienst worden te weinig gedeeld",
    ],
)
def test_everyday_words_for_mobility_give_mobiliteit(themes: ThemeDetector, text: str) -> None:
    assert "mobiliteit" in themes.detect(text)


# --- the words people type, per theme ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("taalles voor anderstaligen", "taal"),
        ("taallessen zitten vol", "taal"),
        ("spreekt geen Nederlands", "taal"),
        ("NT2-les in Menen", "taal"),
        ("taalachterstand bij nieuwe doelgroepmedewerkers", "taal"),
        ("een tolk voor het intakegesprek", "taal"),
        ("opvang voor de kinderen tijdens de opleiding", "kinderopvang"),
        ("geen plaats in de kribbe", "kinderopvang"),
        ("kinderopvangplaatsen in Wervik", "kinderopvang"),
        ("kinderdagverblijven hebben wachtlijsten", "kinderopvang"),
        ("onthaalouders stoppen", "kinderopvang"),
        ("langdurig zieken", "langdurig-zieken"),
        ("arbeidsongeschikt sinds 2021", "langdurig-zieken"),
        ("na een lange ziekte terug aan het werk", "langdurig-zieken"),
        ("langdurig zieke werknemers", "langdurig-zieken"),
        ("NEET-jongeren haken af", "jongeren"),
        ("schoolverlaters zonder diploma", "jongeren"),
        ("NEET jongeren", "jongeren"),
        ("huurprijzen zijn te hoog", "wonen"),
        ("geen woning gevonden", "wonen"),
        ("woningnood in Kortrijk", "wonen"),
        ("huur niet betaald", "wonen"),
        ("dak- en thuislozen", "wonen"),
        ("huisvesting voor nieuwkomers", "wonen"),
        ("laptop en wifi ontbreken", "digitalisering"),
        ("digitale vaardigheden", "digitalisering"),
        ("kinderarmoede stijgt", "armoede"),
        ("leefloners", "armoede"),
        ("energiefactuur te hoog", "energie"),
        ("schulden bij de deurwaarder", "schulden"),
        ("vluchtelingen uit Oekraïne", "migratieachtergrond"),
        ("nieuwkomers", "migratieachtergrond"),
        ("integratie van nieuwkomers", "migratieachtergrond"),
        ("stageplaatsen voor leerlingen", "duaal-leren"),
        ("werkdruk en burn-out", "werkbaar-werk"),
        ("burnout", "werkbaar-werk"),
        ("wijk-werkers", "wijk-werken"),
        ("wijkwerkers", "wijk-werken"),
        ("instroom ligt lager", "doorstroom"),
        ("doorstroom naar betaald werk", "doorstroom"),
        ("krapte op de arbeidsmarkt", "lokale-werkgelegenheid"),
        ("vacatures raken niet ingevuld", "lokale-werkgelegenheid"),
        ("voedselbank", "voeding"),
        ("groenonderhoud door LDE", "aanvullende-dienstverlening"),
        ("klusjesdienst", "aanvullende-dienstverlening"),
        ("overheidsopdrachten", "sociaal-aanbesteden"),
        ("sociale clausules", "sociaal-aanbesteden"),
        ("kringwinkel", "circulaire-economie"),
        ("STAM organiseert een vorming", "arbeidszorg"),
        ("SE-bedrijven", "sociale-economie"),
        ("maatwerkbedrijven", "sociale-economie"),
        ("art.60", "activering"),
        ("art. 60", "activering"),
        ("tewerkstelling via artikel 60", "activering"),
        ("jobcoach", "trajectbegeleiding"),
        ("jobcoaches", "trajectbegeleiding"),
        ("ziekenhuis", "gezondheid"),
        ("AZ Groeninge", "gezondheid"),
        ("Konekti", "jeugdhulp"),
        ("uitpas", "vrije-tijd"),
        ("UiTPAS", "vrije-tijd"),
        ("individueel maatwerk", "individueel-maatwerk"),
        ("IMW", "individueel-maatwerk"),
        ("sociaal huis", "onthaal"),
    ],
)
def test_a_word_a_team_member_types_gives_its_theme(
    themes: ThemeDetector, text: str, theme: str
) -> None:
    assert theme in themes.detect(text)


# --- realistic signals from the documents --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (
            "Vanuit Wevelgem: door het beperkte aanbod aan openbaar vervoer geraken "
            "werkzoekenden niet op hun werkplek.",
            {"mobiliteit", "activering"},
        ),
        (
            "Theoretisch rijexamen enkel in het Nederlands: anderstalige leefloners halen hun "
            "rijbewijs niet.",
            {"mobiliteit", "taal", "armoede"},
        ),
        (
            "ROSE-actiegroep: instroom van doelgroepmedewerkers in de maatwerkbedrijven ligt een "
            "stuk lager, oorzaak krapte op de arbeidsmarkt",
            {"doorstroom", "sociale-economie", "lokale-werkgelegenheid"},
        ),
        (
            "AZ-initiatieven: de vergoeding voor doelgroepmedewerkers kan niet meer als "
            "financiële incentive",
            {"arbeidszorg"},
        ),
        ("Indicering in het Frans duurt te lang voor Franstaligen", {"taal", "sociale-economie"}),
        (
            "Alleenstaande mama vindt geen crèche in Wervik en kan haar VDAB-opleiding niet "
            "starten",
            {"kinderopvang", "opleidingsniveau"},
        ),
        ("NEET-jongeren haken af na het WWIN-project", {"jongeren"}),
        (
            "Langdurig zieke werknemers: de adviserend arts geeft geen toelating voor "
            "progressieve tewerkstelling",
            {"langdurig-zieken"},
        ),
        (
            "Fietsleasing voor leeflooncliënten: 2 lokale besturen haken af",
            {"mobiliteit", "armoede"},
        ),
        (
            "Woonclub: huurprijzen op de private huurmarkt zijn te hoog voor leefloners",
            {"wonen", "armoede"},
        ),
        ("Wachtlijst voor een sociale woning in Menen is 4 jaar", {"wonen"}),
        (
            "Digibank Kortrijk stopt; mensen zonder laptop of smartphone kunnen niet "
            "solliciteren via Mijn VDAB",
            {"digitalisering"},
        ),
        (
            "Trajectbegeleiders OCMW vragen afstemming rond TWE art 60 §7",
            {"trajectbegeleiding", "activering"},
        ),
        (
            "Individueel maatwerk: trap-5-medewerkers die via LDE werken vallen uit de boot",
            {"individueel-maatwerk", "aanvullende-dienstverlening"},
        ),
        (
            "Overheidsopdrachten zonder sociale clausule: maatwerkbedrijven grijpen naast werk",
            {"sociaal-aanbesteden", "sociale-economie"},
        ),
        ("Energiefactuur te hoog voor gezinnen in budgetbegeleiding", {"energie", "schulden"}),
        (
            "Taallessen NT2 zitten vol, nieuwkomers wachten zes maanden",
            {"taal", "migratieachtergrond"},
        ),
        (
            "Stageplaatsen voor leerlingen duaal leren vinden in de sociale economie lukt niet",
            {"duaal-leren", "sociale-economie"},
        ),
        (
            "Wijk-werkers krijgen hun vervoersonkosten niet terugbetaald",
            {"wijk-werken", "mobiliteit"},
        ),
        (
            "Arbeidsongeschikten met een uitkering van het ziekenfonds willen vrijwilligerswerk "
            "doen",
            {"langdurig-zieken", "vrijwilligerswerk"},
        ),
        ("Konekti: gezinsondersteuners zien meer escalatie bij gezinnen", {"jeugdhulp"}),
        ("Food Act 13 haalt minder voedseloverschotten op bij supermarkten", {"voeding"}),
        ("Mensen met een migratieachtergrond vinden moeilijk een job", {"migratieachtergrond"}),
        ("Het theoretisch rijexamen kan niet in het Frans", {"mobiliteit", "taal"}),
        ("Kinderopvang in Wervik: geen plaatsen voor werkzoekende ouders", {"kinderopvang"}),
        (
            "Vervoersregio: nieuwe busverbinding naar Kortrijk-Noord maar pas vanaf 7u30, te laat "
            "voor de ploegen",
            {"mobiliteit"},
        ),
    ],
)
def test_a_realistic_signal_gets_the_themes_it_is_about(
    themes: ThemeDetector, text: str, wanted: set[str]
) -> None:
    found = set(themes.detect(text))
    assert wanted <= found, f"missing {wanted - found} in {found}"


# --- traps: a theme word inside another word, or a common word that is no theme ------------------


@pytest.mark.parametrize(
    ("text", "not_wanted"),
    [
        ("re-integratie van langdurig zieken", "migratieachtergrond"),
        ("herintegratie na een lange ziekte", "migratieachtergrond"),
        ("doorstroom naar betaald werk", "taal"),
        ("alles wordt betaald door de werkgever", "taal"),
        ("in totaal 12 deelnemers", "taal"),
        ("het digitaal loket werkt niet", "taal"),
        ("een business case voor de werkgevers", "mobiliteit"),
        ("businessplan voor een sociale onderneming", "mobiliteit"),
        ("automatische rechtentoekenning", "mobiliteit"),
        ("autonomie van de deelnemers", "mobiliteit"),
        ("in de lijn van de verwachtingen", "mobiliteit"),
        ("signalen opvangen op de werkvloer", "kinderopvang"),
        ("we vangen de signalen op", "kinderopvang"),
        ("opvang van vluchtelingen in Kortrijk", "kinderopvang"),
        ("kinderarmoede stijgt", "kinderopvang"),
        ("we zorgen ervoor dat iedereen op tijd is", "zorg"),
        ("de partners zorgden voor de zaal", "zorg"),
        ("zorgvuldig opvolgen", "zorg"),
        ("de stam van de boom", "arbeidszorg"),
        ("AZ Groeninge zoekt vrijwilligers", "arbeidszorg"),
        ("groenten en fruit voor de voedselbank", "duurzaamheid"),
        ("bij de notaris", "signaalfunctie"),
        ("herstel na een lange ziekte", "circulaire-economie"),
        ("ziekenhuis", "langdurig-zieken"),
        ("energieke samenwerking", "energie"),
        ("veel afvallers na drie weken", "circulaire-economie"),
        ("Sien komt morgen langs", "onthaal"),
        ("diplomatie is nodig bij de werkgevers", "opleidingsniveau"),
        ("een overleg met de organisatie van de jobbeurs", "organisatie"),
    ],
)
def test_a_trap_does_not_give_the_wrong_theme(
    themes: ThemeDetector, text: str, not_wanted: str
) -> None:
    assert not_wanted not in themes.detect(text)


def test_a_text_without_theme_words_has_no_theme(themes: ThemeDetector) -> None:
    assert themes.detect("de vergadering van dinsdag is verplaatst naar donderdag") == []
    assert themes.detect("") == []
    assert themes.detect("🚌🚲!!! ...") == []
    assert themes.detect("<b></b>") == []


def test_a_longer_phrase_wins_over_a_theme_word_inside_it(themes: ThemeDetector) -> None:
    # individueel maatwerk is its own theme, not sociale economie's "maatwerk"
    assert themes.detect("individueel maatwerk") == ["individueel-maatwerk"]
    # "brug tussen zorg en werk" is arbeidszorg, not the (publieke) zorg werf
    assert themes.detect("arbeidszorg als brug tussen zorg en werk") == ["arbeidszorg"]


# --- how the detector is built -------------------------------------------------------------------


def test_themes_come_in_the_order_given_and_once_each() -> None:
    detector = ThemeDetector.build(
        [
            {"id": "b", "name": "B", "synonyms": ["fiets"]},
            {"id": "a", "name": "A", "synonyms": ["taal"]},
        ]
    )
    assert detector.detect("taal, fiets, taal en fietsen") == ["b", "a"]


def test_a_retired_theme_is_not_detected() -> None:
    detector = ThemeDetector.build(
        [{"id": "oud", "name": "Oud", "synonyms": ["fiets"], "retired": True}]
    )
    assert detector.detect("fiets") == []


def test_a_synonym_written_with_capitals_counts_only_typed_with_them() -> None:
    detector = ThemeDetector.build([{"id": "az", "name": "Arbeidszorg", "synonyms": ["STAM"]}])
    assert detector.detect("overleg met STAM") == ["az"]
    assert detector.detect("overleg met Stam") == []
    assert detector.detect("de stam") == []


def test_a_name_with_punctuation_is_found_as_its_words() -> None:
    detector = ThemeDetector.build([{"id": "zorg", "name": "(Publieke) Zorg", "synonyms": []}])
    assert detector.detect("de publieke zorg in de regio") == ["zorg"]


def test_detection_is_fast_on_a_long_signal(themes: ThemeDetector) -> None:
    text = (
        "Op de actiegroep ROSE kwam het signaal dat de busverbinding naar Kortrijk-Noord "
        "geschrapt is, dat anderstalige doelgroepmedewerkers geen taalles vinden en dat "
        "kinderopvang een drempel blijft voor werkzoekende ouders. "
    ) * 20
    started = time.perf_counter()
    for _ in range(200):
        themes.detect(text)
    # ~2,000 words a call: generous for shared CPUs, far below what rebuilding would cost
    assert time.perf_counter() - started < 5.0


def test_the_real_vocabulary_has_no_synonym_shared_by_two_themes() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for theme in _load("themes.yaml"):
        for word in {theme["name"].casefold(), *(s.casefold() for s in theme["synonyms"])}:
            if word in owner and owner[word] != theme["id"]:
                clashes.append((word, owner[word], theme["id"]))
            owner.setdefault(word, theme["id"])
    assert clashes == []


# --- the bodies offered as a new signal's source -------------------------------------------------


def _body(until: int | None, *, start: int = 2020, retired: bool = False) -> dict[str, Any]:
    return {"id": "x", "active": {"from": start, "until": until}, "retired": retired}


def test_a_body_that_stopped_before_the_signal_year_is_not_offered() -> None:
    today = dt.date(2026, 3, 18)
    assert not offered_as_source(_body(2022), today)
    assert offered_as_source(_body(2022), dt.date(2022, 11, 30))
    assert offered_as_source(_body(None), today)
    assert offered_as_source(_body(2026), today)
    assert not offered_as_source(_body(None, retired=True), today)
    assert not offered_as_source(_body(None, start=2027), today)
    assert offered_as_source({"id": "no-dates"}, today)


def test_the_stopped_fabrieken_are_not_offered_in_2026_and_the_running_tables_are() -> None:
    bodies = {b["id"]: b for b in _load("bodies.yaml")}
    today = dt.date(2026, 3, 18)
    offered = {body_id for body_id, body in bodies.items() if offered_as_source(body, today)}
    assert {"az-fabriek", "lde-fabriek", "werkgroep-rase", "stuurgroep-gbo"}.isdisjoint(offered)
    assert {"rose-actiegroep", "roa", "lerend-netwerk-trajectbegeleiders"} <= offered


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    try:
        yield h
    finally:
        await close_harness(h)


def _source_data(h: Harness) -> list[str]:
    call = [c for c in h.api.calls if c.method == "editMessageText"][-1]
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    data = [b["callback_data"] for row in rows for b in row]
    return [d for d in data if d.startswith("sb:")]


async def test_a_signal_about_the_stopped_fabrieken_does_not_offer_them_as_source(
    bot: Harness,
) -> None:
    texts = await bot.say(
        "/signaal AZ-fabriek en LDE-fabriek: arbeidszorg en LDE missen een regionaal overleg"
    )
    assert "Signaal opgeslagen" in texts[0]
    await bot.press("Bron …")
    offered = _source_data(bot)
    assert offered, "some source is still offered"
    assert not any(d.endswith((":az-fabriek", ":lde-fabriek")) for d in offered), offered
    assert not bot.errors()


async def test_a_signal_typed_with_punctuation_and_html_is_saved_with_its_theme(
    bot: Harness,
) -> None:
    texts = await bot.say("/signaal <b>kinderopvang</b>!!")
    assert "Kinderopvang" in texts[0]
    texts = await bot.say("/signaal 🚌 bus naar Menen rijdt niet meer")
    assert "Mobiliteit" in texts[0]
