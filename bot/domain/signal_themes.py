"""Which themes a signal is about: the theme names and synonyms of data/themes.yaml in its text.

Built once from the knowledge base and asked once per signal, so all that depends only on the
vocabulary (folding, inflected forms, compound heads, phrases) is done in `ThemeDetector.build`
and a call only splits the text and looks its words up.

How a text is read:
- HTML tags and entities, punctuation and emoji separate words; they never hide one.
- A hyphenated word stays one word ("re-integratie" is not "integratie"); it is also read without
  its hyphen ("wijkwerkers") and by its first part ("NEET-jongeren", "NT2-les").
- Inflection: plurals (-en, -s, -'s, bussen, talen), diminutives (-je, -jes, -tje) and the
  adjective -e are generated from each synonym, and the singular from a plural synonym.
- Compounds: a synonym of at least `MIN_HEAD` letters at the start of a longer word counts
  ("taalachterstand", "fietsherstelling"), never inside or at the end of one ("betaald" and
  "digitaal" are not taal); shorter words (bus) count in the compounds themes.yaml lists.
- The longest phrase wins: "individueel maatwerk" is that theme and not sociale economie's
  "maatwerk"; "AZ Groeninge" is a hospital and not arbeidszorg.
- A synonym written with capitals counts only typed with them ("STAM", "SE", "de Lijn").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from bot.search.text import fold

MIN_HEAD: Final = 4
"""A synonym this long or longer heads compounds: taal -> taalles; bus (3) only as listed."""
MIN_TAIL: Final = 3
"""What follows the head in a compound is a word, not an ending: zorgt, zorgde are no compounds."""

NOT_THEME_WORDS: Final = frozenset(
    {
        "afvallen",  # drop out of a traject, not waste
        "afvallers",
        "appen",  # texting, not the app
        "engel",  # not the singular of engels
        "opstappen",  # to quit or to board, not the opstap to work
        "opvangen",  # signalen opvangen: the signaalfunctie's verb, not childcare
        "oppassen",  # be careful, more often than babysitting
        "pole",
        "polen",  # Poland
        "pools",  # Polish
        "traject",  # any path or project; the synonym is trajecten (of trajectbegeleiding)
        "zorgen",  # the verb (zorgen voor, ervoor zorgen), far more often than "worries"
    }
)
"""Inflected forms that are another word: never generated from a synonym."""

NOT_COMPOUNDS: Final = (
    # Checked against a Dutch word list: they start with a synonym but are no compound of it.
    "afvall",
    "appen",
    "autobiogra",
    "autochto",
    "autocra",
    "autodafe",
    "autodidact",
    "autogen",
    "autogra",
    "autoimmu",
    "autoloog",
    "automat",
    "automutil",
    "autoniem",
    "autonom",
    "autonoo",
    "autopsie",
    "autoregul",
    "autorepl",
    "autorespo",
    "autoris",
    "autorit",
    "autosugg",
    "business",
    "contingentie",
    "diplomaat",
    "diplomat",
    "emaill",
    "energiek",
    "fransij",
    "franskil",
    "fransm",
    "fransoo",
    "fransoz",
    "groente",
    "huurleger",
    "huurling",
    "huurmoord",
    "huursoldaat",
    "huurtroep",
    "invalider",
    "kribbel",
    "neetoor",
    "notabel",
    "notari",
    "notatie",
    "oppass",
    "oppast",
    "opstapel",
    "opstapp",
    "opvangend",
    "rasecht",
    "raseer",
    "raser",
    "remig",
    "remind",
    "remini",
    "remis",
    "remitt",
    "schuldbe",
    "schuldeloos",
    "schuldgevoel",
    "schuldig",
    "schuldloos",
    "schuldvraag",
    "stationair",
    "stationcar",
    "stationeer",
    "stationer",
    "talent",
    "tolkam",
    "tolkanto",
    "zorgd",
    "zorgelijk",
    "zorgeloos",
    "zorgend",
    "zorgenkind",
    "zorgvuldig",
    "zorgwekkend",
)
"""Words that start with a synonym but are not compounds of it (business is not a bus)."""

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_SAME_AS_HYPHEN = str.maketrans({"\u2010": "-", "\u2011": "-", "\u00ad": ""})
_SAME_AS_APOSTROPHE = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_VOWELS = frozenset("aeiouy")
_LONG_VOWELS = ("aa", "ee", "oo", "uu")
_DIPHTHONGS = ("ij", "ei", "ui", "ie", "ou", "au", "eu", "oe", "aa", "ee", "oo", "uu")

# (theme index, the key's raw tokens when they carry capitals that must be typed, else None)
_Entry = tuple[int, tuple[str, ...] | None]
_Token = tuple[str, str]  # (as typed, folded)


def words_of(text: str) -> list[_Token]:
    """The words of a text as typed and folded; tags, entities, punctuation and emoji split."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = text.translate(_SAME_AS_HYPHEN).translate(_SAME_AS_APOSTROPHE)
    return [(raw, fold(raw)) for raw in _WORD.findall(text)]


def _typed_as(raw: str, wanted: str) -> bool:
    """Whether every capital of the synonym's word is a capital in the typed word."""
    if len(raw) != len(wanted):  # typed with decomposed accents: no capitals to compare
        return False
    return all(r.isupper() for r, w in zip(raw, wanted, strict=True) if w.isupper())


def _doubled(word: str) -> str | None:
    """bus -> buss, les -> less: a short vowel keeps its consonant doubled before -en."""
    if len(word) < 3 or word[-1] in _VOWELS or not word[-1].isalpha() or word[-1] in "wx":
        return None
    if word[-2] in _VOWELS and word[-3] not in _VOWELS:
        return word + word[-1]
    return None


def _shortened(word: str) -> str | None:
    """taal -> tal, duurzaam -> duurzam: a long vowel is written once in an open syllable."""
    if len(word) >= 4 and word[-1] not in _VOWELS and word[-3:-1] in _LONG_VOWELS:
        return word[:-2] + word[-1]
    return None


def _plurals(word: str) -> set[str]:
    """Plurals of a singular: fiets -> fietsen, bus -> bussen, taal -> talen, stage -> stages."""
    if not word[-1].isalpha():
        return set()
    if word.endswith("e"):
        return {word + "s", word + "n"}
    out = {word + "en", word + "s"}
    for stem in (_doubled(word), _shortened(word)):
        if stem:
            out.add(stem + "en")
    voiced = _voiced(word)
    if voiced:
        out.add(voiced + "en")
    if word.endswith(("ch", "sh")):
        out.add(word + "es")  # coach -> coaches
    return out


def _voiced(word: str) -> str | None:
    """verblijf -> verblijv, dakloos -> dakloz: f, s after a long vowel are voiced before -en."""
    if len(word) < 4 or word[-1] not in "fs" or word[-3:-1] not in _DIPHTHONGS:
        return None
    stem = word[:-2] if word[-3:-1] in _LONG_VOWELS else word[:-1]
    return stem + ("v" if word[-1] == "f" else "z")


def _forms(word: str) -> set[str]:
    """The inflected forms of a synonym's word: plurals, diminutives, adjective -e, singular."""
    forms = {word}
    if not word[-1].isalpha():
        return forms  # nt2, co2, 18-25
    forms |= _plurals(word)
    forms |= {word + "'s", word + "je", word + "jes", word + "tje", word + "tjes"}
    if not word.endswith("e"):
        forms.add(word + "e")
        short = _voiced(word) or _shortened(word)
        if short:
            forms.add(short + "e")  # digitaal -> digitale, dakloos -> dakloze
    forms |= _singulars(word)
    return forms - NOT_THEME_WORDS


def _singulars(word: str) -> set[str]:
    """The singular of a plural synonym: vluchtelingen -> vluchteling, vacatures -> vacature."""
    out: set[str] = set()
    if word.endswith("ies") and len(word) > 5:
        out.add(word[:-1])  # competenties -> competentie
    elif word.endswith("en") and len(word) > 5:
        out.add(word[:-1])  # werkzoekenden -> werkzoekende, jongeren -> jongere
        base = word[:-2]
        if len(base) >= 4:
            if base[-1] == base[-2] and base[-1] not in _VOWELS:
                base = base[:-1]  # gezinnen -> gezin
            elif base[-1] in "vz":
                base = base[:-1] + ("f" if base[-1] == "v" else "s")  # bedrijven -> bedrijf
            out.add(base)
    elif word.endswith("s") and not word.endswith(("ss", "'s")) and len(word) > 4:
        out.add(word[:-1])  # werkgevers -> werkgever, busjes -> busje
    return out


class ThemeDetector:
    """Theme ids for a text, from the themes' names and synonyms (built once, asked per signal)."""

    __slots__ = ("_heads", "_ids", "_longest", "_phrase_starts", "_phrases", "_words")

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._words: dict[str, list[_Entry]] = {}
        self._heads: dict[str, list[int]] = {}
        self._phrases: dict[tuple[str, ...], list[_Entry]] = {}
        self._phrase_starts: set[str] = set()
        self._longest = 1

    @classmethod
    def build(cls, themes: Iterable[Mapping[str, Any]]) -> ThemeDetector:
        """Compile the names and synonyms of the themes that are not retired."""
        detector = cls()
        for theme in themes:
            if theme.get("retired") or theme["id"] in detector._ids:
                continue
            index = len(detector._ids)
            detector._ids.append(str(theme["id"]))
            # A name is capitalised as a title; only a synonym's capitals must be typed.
            detector._add(index, str(theme.get("name") or "").lower())
            for key in theme.get("synonyms") or ():
                detector._add(index, str(key))
        return detector

    def _add(self, index: int, key: str) -> None:
        """Register one name or synonym: a word with its forms and compounds, or a phrase."""
        tokens = words_of(key)
        if not tokens:
            return
        raw = tuple(r for r, _ in tokens)
        folded = tuple(f for _, f in tokens)
        cased = raw if any(c.isupper() for c in key) else None
        if len(tokens) > 1:
            lasts = {folded[-1]} if cased else _forms(folded[-1])
            for last in lasts:
                self._add_phrase((*folded[:-1], last), (index, cased))
            return
        word = folded[0]
        joined = word.replace("-", "")
        forms = {word, joined} if cased else _forms(word) | _forms(joined)
        for form in forms:
            _append(self._words, form, (index, cased))
        if "-" in word:  # wijk-werken is also typed wijk werken, burn-out as burn out
            parts = tuple(raw[0].split("-")) if cased else None
            self._add_phrase(tuple(word.split("-")), (index, parts))
        if cased is None and len(joined) >= MIN_HEAD and joined.isalpha():
            for head in {joined} | _plurals(joined):
                if head not in NOT_THEME_WORDS:
                    heads = self._heads.setdefault(head, [])
                    if index not in heads:
                        heads.append(index)

    def _add_phrase(self, key: tuple[str, ...], entry: _Entry) -> None:
        _append(self._phrases, key, entry)
        self._phrase_starts.add(key[0])
        self._longest = max(self._longest, len(key))

    def detect(self, text: str) -> list[str]:
        """Ids of the themes the text names, in the themes' order, each once."""
        tokens = words_of(text)
        found: set[int] = set()
        i = 0
        while i < len(tokens):
            if tokens[i][1] in self._phrase_starts:
                span = self._phrase_at(tokens, i, found)
                if span:
                    i += span
                    continue
            self._word(tokens[i], found)
            i += 1
        return [self._ids[k] for k in sorted(found)]

    def _phrase_at(self, tokens: list[_Token], i: int, found: set[int]) -> int:
        """Length of the longest phrase starting at token i (its themes added), or 0."""
        for length in range(min(self._longest, len(tokens) - i), 1, -1):
            span = tokens[i : i + length]
            entries = self._phrases.get(tuple(f for _, f in span))
            hits = _hits(entries, tuple(r for r, _ in span))
            if hits:
                found.update(hits)
                return length
        return 0

    def _word(self, token: _Token, found: set[int]) -> None:
        """Add one word's themes: as typed, without hyphens, as a compound, by its first part."""
        raw, word = token
        hits = _hits(self._words.get(word), (raw,))
        hyphenated = "-" in word
        joined = word.replace("-", "") if hyphenated else word
        if not hits and hyphenated:
            hits = _hits(self._words.get(joined), (raw.replace("-", ""),))
        if not hits:
            hits = self._compound(joined)
        if not hits and hyphenated:  # NEET-jongeren, NT2-les, STAM-vorming
            first = raw.split("-", 1)[0]
            hits = _hits(self._words.get(fold(first)), (first,))
        found.update(hits)

    def _compound(self, word: str) -> list[int]:
        """Themes of the longest synonym a compound starts with (taalachterstand: taal)."""
        if len(word) < MIN_HEAD + MIN_TAIL or word.startswith(NOT_COMPOUNDS):
            return []
        for end in range(len(word) - MIN_TAIL, MIN_HEAD - 1, -1):
            heads = self._heads.get(word[:end])
            if heads:
                return heads
        return []


def _append(table: dict[Any, list[_Entry]], key: Any, entry: _Entry) -> None:
    entries = table.setdefault(key, [])
    if entry not in entries:
        entries.append(entry)


def _hits(entries: list[_Entry] | None, raw: tuple[str, ...]) -> list[int]:
    """Theme indexes of the entries whose capitals (if any) the typed words have."""
    if not entries:
        return []
    return [
        index
        for index, cased in entries
        if cased is None or (len(cased) == len(raw) and all(map(_typed_as, raw, cased)))
    ]
