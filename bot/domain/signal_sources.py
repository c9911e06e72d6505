"""Which bodies a signal may name as its source: those that still met in the signal's year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def offered_as_source(body: Mapping[str, Any], day: dt.date) -> bool:
    """Whether a body (a snapshot record) met in the year of `day`: not retired, not stopped.

    A body that stopped (AZ-fabriek and LDE-fabriek: `active.until` 2022) is no source of a
    signal dated after its last year; one that has not started yet is none either.
    """
    if body.get("retired"):
        return False
    active = body.get("active") or {}
    start, until = active.get("from"), active.get("until")
    if start is not None and day.year < start:
        return False
    return until is None or day.year <= until
