"""Text normalisation for search: accent folding, tokenising and Dutch stemming."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# A word is letters/digits, optionally joined by hyphens or apostrophes (wijk-werken, ocmw's);
# a dot joins digits only, so action codes like 2.3.2 stay whole (one pattern: it is the hot
# path of indexing).
WORD_RE = re.compile(r"[^\W_]+(?:(?:['\u2019\-]|(?<=\d)\.(?=\d))[^\W_]+)*")
_JOINERS = re.compile(r"['\u2019\-]")
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")

# dutch_porter leaves these pairs apart; the table merges them (checked against the seeds).
STEM_OVERRIDES: dict[str, str] = {
    "fiets": "fiets",
    "fietsen": "fiets",
    "kans": "kans",
    "kansen": "kans",
    "mens": "mens",
    "mensen": "mens",
    "les": "les",
    "lessen": "les",
    "proces": "proces",
    "processen": "proces",
    "werkt": "werk",
    "vergadert": "vergader",
    "vergaderde": "vergader",
    "overleggen": "overleg",
    "coaches": "coach",
    "jobcoaches": "jobcoach",
    "regios": "regio",
}

_STEMMER = Stemmer.Stemmer("dutch_porter")


def fold(text: str) -> str:
    """Casefold and strip accents (geënt -> geent), keeping non-Latin letters."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", decomposed).casefold()


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: its folded parts and, for hyphenated words, the joined form."""

    parts: tuple[str, ...]
    joined: str | None
    upper: bool  # typed in capitals (an acronym such as IMW or LDE)


def split_word(folded: str) -> tuple[tuple[str, ...], str | None]:
    """Parts of one folded word and, when hyphenated, its joined form (wijk-werken)."""
    if not folded:
        return (), None
    if "-" not in folded and "'" not in folded and "\u2019" not in folded:
        return (folded,), None
    if folded[0].isdigit() and "." in folded:
        return (folded,), None
    pieces = [p for p in _JOINERS.split(folded) if p]
    # "ocmw's", "auto's": the apostrophe-s is a plural marker, not a word.
    if len(pieces) > 1 and pieces[-1] == "s" and ("'" in folded or "\u2019" in folded):
        pieces.pop()
    if len(pieces) <= 1:
        return tuple(pieces), None
    return tuple(pieces), "".join(pieces)


def words(text: str) -> list[Word]:
    """Split a text into words; 'wijk-werken' gives parts (wijk, werken) and joined wijkwerken."""
    out: list[Word] = []
    for match in WORD_RE.finditer(text):
        raw = match.group()
        parts, joined = split_word(fold(raw))
        if parts:
            out.append(Word(parts, joined, raw.isupper() and len(raw) > 1))
    return out


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """Dutch stem of a folded word, with the override table and two regularising fixes."""
    if word in STEM_OVERRIDES:
        return STEM_OVERRIDES[word]
    if len(word) < 3 or word[0].isdigit():
        return word
    base = word
    if base.endswith("ies") and len(base) > 5:
        base = base[:-1]  # acties -> actie, sessies -> sessie: the stemmer keeps the -s
    stemmed: str = _STEMMER.stemWord(base)
    # overlegg -> overleg, less -> les: the stemmer leaves doubled consonants after -en.
    if len(stemmed) > 3 and stemmed[-1] == stemmed[-2] and stemmed[-1] in _CONSONANTS:
        stemmed = stemmed[:-1]
    # initiatiev -> initiatief, huiz -> huis: plural stems alternate v/f and z/s.
    if len(stemmed) > 4 and stemmed[-1] in "vz":
        stemmed = stemmed[:-1] + ("f" if stemmed[-1] == "v" else "s")
    return stemmed


def stem_variants(word: str) -> tuple[str, ...]:
    """The stem of a word and of its likely singular/plural forms (fiets ~ fietsen)."""
    found = [stem(word)]
    forms = [word + "en", word + "s"]
    if word.endswith("en") and len(word) > 5:
        forms.append(word[:-2])
    if word.endswith("s") and len(word) > 4:
        forms.append(word[:-1])
    if word.endswith("e") and len(word) > 4:
        forms.append(word[:-1])
    for form in forms:
        candidate = stem(form)
        if candidate not in found:
            found.append(candidate)
    return tuple(found)
