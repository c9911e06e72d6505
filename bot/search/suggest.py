"""Suggestions for a question that found nothing: the closest themes."""

from __future__ import annotations

from typing import Final

from rapidfuzz import fuzz, process

from bot.search.text import fold
from bot.search.themes import Thesaurus

MAX_SUGGESTIONS: Final = 5
MIN_SIMILARITY: Final = 60.0


def suggest_themes(thesaurus: Thesaurus, typed: list[str], default: list[str]) -> list[str]:
    """Theme names closest to the typed words, else the busiest themes."""
    choices: list[str] = []
    owners: list[str] = []
    for theme in thesaurus.themes.values():
        for phrase in (theme.name, *theme.synonyms):
            choices.append(fold(phrase))
            owners.append(theme.name.lower())
    found: list[str] = []
    for word in typed[:8]:
        if len(word) < 3:
            continue
        matches = process.extract(
            word, choices, scorer=fuzz.WRatio, limit=10, score_cutoff=MIN_SIMILARITY
        )
        for _, _, position in matches:
            if owners[position] not in found:
                found.append(owners[position])
    found = found[:MAX_SUGGESTIONS]
    for name in default:
        if len(found) >= MAX_SUGGESTIONS:
            break
        if name not in found:
            found.append(name)
    return found
