"""The theme thesaurus: which typed words and phrases point at which theme."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.search.fields import ids_of, records, text_of
from bot.search.lexicon import STOPWORDS
from bot.search.text import stem, words

MAX_PHRASE = 4  # longest synonym phrase, in words, looked up in a question


def phrase_key(text: str) -> tuple[str, ...]:
    """Stems of a phrase's content words; a hyphenated word counts as one (woon-werkverkeer)."""
    key: list[str] = []
    for word in words(text):
        unit = word.joined or word.parts[0]
        if unit not in STOPWORDS:
            key.append(stem(unit))
    return tuple(key)


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: its id, display name and the phrases (as stem tuples) that name it."""

    id: str
    name: str
    name_key: tuple[str, ...]
    synonym_keys: tuple[tuple[str, ...], ...]
    synonyms: tuple[str, ...]


class Thesaurus:
    """Theme names and synonyms from the knowledge base, looked up by stem tuples."""

    def __init__(self, themes: list[Theme]) -> None:
        self.themes = {theme.id: theme for theme in themes}
        self.lookup: dict[tuple[str, ...], set[str]] = {}
        self.name_keys: dict[tuple[str, ...], set[str]] = {}
        for theme in themes:
            id_key = phrase_key(theme.id.replace("-", " "))
            for key in (theme.name_key, id_key):
                if key:
                    self.name_keys.setdefault(key, set()).add(theme.id)
            for key in (theme.name_key, id_key, *theme.synonym_keys):
                if key:
                    self.lookup.setdefault(key, set()).add(theme.id)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Thesaurus:
        """Read the `themes` of a snapshot; themes without an id are skipped."""
        themes = []
        for rec in records(snapshot, "themes"):
            if rec.get("id") is None:
                continue
            theme_id = str(rec["id"])
            name = text_of(rec.get("name")) or theme_id.replace("-", " ")
            synonyms = [text_of(s) for s in ids_of(rec.get("synonyms"))]
            keys = tuple(dict.fromkeys(k for k in map(phrase_key, synonyms) if k))
            themes.append(Theme(theme_id, name, phrase_key(name), keys, tuple(synonyms)))
        return cls(themes)

    def find(self, key: tuple[str, ...]) -> set[str]:
        """Themes a stem tuple names (empty when none)."""
        return self.lookup.get(key, set())

    def is_name(self, key: tuple[str, ...], theme_id: str) -> bool:
        """Whether the key is the theme's own name (mobiliteit) rather than a synonym (fiets)."""
        return theme_id in self.name_keys.get(key, set())

    def phrases(self) -> list[str]:
        """Every theme name, for suggestions and the vocabulary."""
        return [theme.name for theme in self.themes.values()]
