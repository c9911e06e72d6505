"""Dutch word lists for reading questions: stopwords, question verbs and intent words."""

from __future__ import annotations

from typing import Final

KINDS: Final = ("actions", "partners", "bodies", "meetings", "signals", "documents")

# Function words (folded). Never indexed, never searched: they carry no topic.
_STOPWORDS_TEXT = """
    de het een en of maar want dus dan als dat die dit deze der des den van in op aan met voor
    door over bij uit tot naar om te tegen na onder tussen zonder via rond rondom omtrent
    omheen betreffende inzake qua per vanuit richting sinds tijdens ik jij je u hij zij ze wij
    we jullie hun hen hem haar mij me mijn jouw uw ons onze zijn men zich zelf iemand niemand
    iets niets alles elk elke ieder iedere alle allemaal andere ander welk welke wie wat waar
    wanneer waarom hoe hoeveel hoelang waarover waaraan waarmee is ben bent zijn was waren
    wordt worden werd werden word heb hebt heeft hebben had hadden kan kun kunt kunnen kon
    konden zal zult zullen zou zouden moet moeten mag mogen wil wilt willen ga gaat gaan er
    hier daar daarover daarrond hierover nog al ook reeds nu toen niet geen wel zo zeer heel
    veel meer meest erg echt eens even graag soms altijd nooit ja nee oke ok aub alstublieft
    bedankt dank hallo hoi dag beste samen
"""
STOPWORDS: Final = frozenset(_STOPWORDS_TEXT.split())

# Verbs and fillers of the question itself ("wie werkt mee aan", "wat loopt er rond"): dropped
# while the question has not reached its topic yet, kept as words once it has (werken is a
# topic in "wijk werken").
_QUESTION_VERBS_TEXT = """
    loopt lopen werkt werken zit zitten zetelt zetelen doet doen gebeurt gebeuren staat staan
    bestaat bestaan speelt spelen weet weten ken kent kennen vind vindt vinden zoek zoekt
    zoeken toon tonen geef geeft geven zeg zeggen vertel vertellen mee bezig betrokken actief
    info informatie nieuws stand zaken momenteel vandaag tegenwoordig recent lijst overzicht
    hebt heeft hebben ligt liggen leeft leven aanpak aangepakt gedaan gepland komt komen kwam
    organiseert organiseren trekt trekken neemt nemen deel
"""
QUESTION_VERBS: Final = frozenset(_QUESTION_VERBS_TEXT.split())

# Words that name the kind of record wanted; they pick the order of the answer's groups and
# are only searched for when the question holds nothing else.
KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "actie": ("actions",),
    "acties": ("actions",),
    "actiepunt": ("actions",),
    "actiepunten": ("actions",),
    "partner": ("partners",),
    "partners": ("partners",),
    "organisatie": ("partners",),
    "organisaties": ("partners",),
    "wie": ("partners", "bodies"),
    "overleg": ("bodies", "meetings"),
    "overleggen": ("bodies", "meetings"),
    "overlegorgaan": ("bodies",),
    "overlegorganen": ("bodies",),
    "wanneer": ("meetings", "bodies"),
    "vergadering": ("meetings", "bodies"),
    "vergaderingen": ("meetings", "bodies"),
    "vergadert": ("meetings", "bodies"),
    "vergaderen": ("meetings", "bodies"),
    "samenkomst": ("meetings", "bodies"),
    "datum": ("meetings",),
    "volgende": ("meetings",),
    "laatste": ("meetings", "signals"),
    "signaal": ("signals",),
    "signalen": ("signals",),
    "document": ("documents",),
    "documenten": ("documents",),
    "tekst": ("documents",),
}

# Intent words that are also ordinary stopwords still set the order.
INTENT_ONLY: Final = frozenset({"wie", "wanneer", "volgende", "laatste", "datum"})
