"""Per-record prior factors (recency of meetings and signals, the current plan), cached."""

from __future__ import annotations

import datetime as dt
import math
from array import array
from typing import Final

from bot.search.fields import plan_of
from bot.search.postings import KindIndex

OLDER_PLAN: Final = 0.8  # an action of an older plan ranks below a current one
CANCELLED: Final = 0.6
RECENCY_FLOOR: Final = 0.35
RECENCY_HALF_LIFE_DAYS: Final = 730.0
_MAX_CACHED: Final = 4


def recency_factor(day: int, today: int) -> float:
    """Halves every two years down to a floor; planned meetings of the coming year count as now."""
    if not day:
        return RECENCY_FLOOR
    age = today - day
    age = max(0, age) if age > -365 else -age - 365
    decay = math.pow(0.5, age / RECENCY_HALF_LIFE_DAYS)
    return RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * decay


def _extend(target: KindIndex, key: str, factor: object) -> array[float]:
    """The cached factors of `key`, computed for records indexed since (ordinals only grow)."""
    cache = target.prior_cache
    factors = cache.get(key)
    if factors is None:
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        factors = array("f")
        cache[key] = factors
    assert callable(factor)
    for ordinal in range(len(factors), len(target.records)):
        factors.append(factor(ordinal))
    return factors


def recency_priors(target: KindIndex, reference: dt.date | None) -> array[float] | None:
    """Recency per ordinal as of `reference`; cancelled meetings lower. None without a date."""
    if reference is None:
        return None
    today = reference.toordinal()
    dates, records = target.dates, target.records
    by_day: dict[int, float] = {}  # far fewer distinct days than records

    def factor(ordinal: int) -> float:
        day = dates[ordinal]
        value = by_day.get(day)
        if value is None:
            value = by_day[day] = recency_factor(day, today)
        record = records[ordinal]
        if record is not None and record.get("status") == "cancelled":
            value *= CANCELLED
        return value

    return _extend(target, f"recency:{today}", factor)


def plan_priors(target: KindIndex, current: str) -> array[float]:
    """1 for actions of the current plan, OLDER_PLAN for the others."""
    records = target.records

    def factor(ordinal: int) -> float:
        record = records[ordinal]
        return 1.0 if record is None or plan_of(record) == current else OLDER_PLAN

    return _extend(target, f"plan:{current}", factor)
