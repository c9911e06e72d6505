"""Counts written the way the team's reports write them: "twee keer", "vier keer", "13 keer"."""

from __future__ import annotations

from typing import Final

NUMBER_WORDS: Final = (
    "nul", "één", "twee", "drie", "vier", "vijf", "zes",
    "zeven", "acht", "negen", "tien", "elf", "twaalf",
)  # fmt: skip
"""Indexed by the number; the reports spell out counts up to twelve and use digits above."""


def number_word(n: int) -> str:
    """0..12 as a Dutch word ("één" with its accents, as the reports write it), else digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def times(n: int) -> str:
    """Count as the reports write it: één keer, twee keer ... twaalf keer, 13 keer."""
    return f"{number_word(n)} keer"


def counted(n: int, singular: str, plural: str) -> str:
    """A counted noun: geen signalen, één signaal, drie signalen, 14 vergaderingen."""
    if n == 0:
        return f"geen {plural}"
    return f"{number_word(n)} {singular if n == 1 else plural}"


def capitalised(text: str) -> str:
    """The sentence with its first letter upper-case: "Twee keer", "Één signaal"."""
    return text[:1].upper() + text[1:]
