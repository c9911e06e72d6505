"""Shortening text for display: cut at a word boundary and marked with "…", never mid-word."""

from __future__ import annotations

from typing import Final

ELLIPSIS: Final = "…"
# Punctuation left dangling before the "…" ("Overleg W13 -…", "taal,…") is dropped with it.
_DANGLING: Final = " \t\r\n,;:-–—/(&+"


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its first whole words and "…".

    A single word longer than half the limit (a URL, a long compound) is cut inside the word
    rather than leaving almost nothing; the result, "…" included, is never longer than limit.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    head = text[:room]
    if not text[room].isspace():  # the cut falls inside a word: leave that word out
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space >= room // 2:
            head = head[:space]
    kept = head.rstrip(_DANGLING)
    return (kept or head) + ELLIPSIS
