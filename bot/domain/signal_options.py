"""Where signals go: the addressees the team passes signals on to (from the action plans)."""

from __future__ import annotations

# Stable order: a button carries the index, so new entries go at the end.
ADDRESSEES: tuple[str, ...] = (
    "Vlaams minister van Werk en Sociale Economie",
    "Departement WSE",
    "VDAB",
    "koepel sociale economie",
    "lokale besturen",
    "regioraad W13",
    "federale overheid",
    "raad van bestuur W13",
)

SIGNAL_FLOW: tuple[str, ...] = ("nieuw", "doorgegeven", "beantwoord", "afgesloten")
