"""The cadence rule: is a body that must meet N times a year behind its schedule on a date?

Pure functions over plain values (no database, no Telegram, no clock): the status page, the
chart, the CLI and the reminder sweep all ask the same question here.

For a body with N meetings a year in force on date d and a grace period of g days:

- held(d): meetings with status held in the calendar year of d, dated up to and including d;
- expected(d) = floor(N x max(0, day_of_year(d) - g) / days_in_year(d));
- behind on d when held(d) < expected(d);
- next due: the first date after d on which expected would exceed held (held as it is on d;
  in the next year held starts again at 0);
- at the end of the year: "doel gehaald" when held >= N, else "niet gehaald (x van N)".

Bodies without a cadence in force, bodies that stopped (per_year 0, or past their last active
year) and bodies W13 only attends (role participant or extern) have no standing: never behind.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

DEFAULT_GRACE_DAYS: Final = 30
# Only these roles mean W13 organises the body, so only their cadence is W13's to keep.
ORGANISING_ROLES: Final = frozenset({"trekker", "facilitator"})


@dataclass(frozen=True, slots=True)
class CadenceStep:
    """From this year on the body meets per_year times a year (0: it stopped)."""

    from_year: int
    per_year: int


@dataclass(frozen=True, slots=True)
class BodyCadence:
    """What the rule needs to know about a body."""

    id: str
    name: str
    role: str
    cadence: tuple[CadenceStep, ...] = ()
    active_from: int | None = None
    active_until: int | None = None
    grace_days: int | None = None
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a body stands on a date against the cadence in force that year."""

    on: dt.date
    target: int
    held: int
    expected: int
    next_due: dt.date | None
    # The day expected first rose above held: when the body fell behind (None: not behind).
    behind_since: dt.date | None
    year_complete: bool

    @property
    def behind(self) -> bool:
        return self.held < self.expected

    @property
    def target_met(self) -> bool:
        return self.held >= self.target

    @property
    def verdict(self) -> str | None:
        """The year's verdict on 31 December ("doel gehaald"), None before."""
        if not self.year_complete:
            return None
        return year_verdict(self.held, self.target)

    @property
    def mark(self) -> str:
        """'missed' (year over, target not met), 'behind', or 'on_schedule'."""
        if self.year_complete:
            return "on_schedule" if self.target_met else "missed"
        return "behind" if self.behind else "on_schedule"


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def day_of_year(day: dt.date) -> int:
    return day.timetuple().tm_yday


def organises(role: str) -> bool:
    return role in ORGANISING_ROLES


def step_in_force(steps: Iterable[CadenceStep], year: int) -> CadenceStep | None:
    """The cadence row in force in `year`: the newest whose from_year is not after it."""
    in_force: CadenceStep | None = None
    for step in sorted(steps, key=lambda s: s.from_year):
        if step.from_year <= year:
            in_force = step
    return in_force


def per_year_in(body: BodyCadence, year: int) -> int | None:
    """Meetings a year the body must hold in `year`; None when no cadence applies."""
    if body.retired or not organises(body.role):
        return None
    if body.active_from is not None and year < body.active_from:
        return None
    if body.active_until is not None and year > body.active_until:
        return None
    in_force = step_in_force(body.cadence, year)
    if in_force is None or in_force.per_year <= 0:
        return None
    return in_force.per_year


def expected_by(per_year: int, day: dt.date, grace_days: int) -> int:
    """floor(N x max(0, day_of_year - g) / days_in_year), in exact integer arithmetic."""
    elapsed = max(0, day_of_year(day) - grace_days)
    return per_year * elapsed // days_in_year(day.year)


def first_day_expecting(per_year: int, year: int, grace_days: int, count: int) -> dt.date | None:
    """The first day of `year` on which expected exceeds `count`; None when none does."""
    if per_year <= 0:
        return None
    diy = days_in_year(year)
    # expected > count  <=>  N x (doy - g) >= (count + 1) x diy  <=>  doy >= g + ceil(...)
    need = grace_days + -(-(count + 1) * diy // per_year)
    need = max(need, 1)
    if need > diy:
        return None
    return dt.date(year, 1, 1) + dt.timedelta(days=need - 1)


def year_verdict(held: int, target: int) -> str:
    """The Dutch verdict for a finished year."""
    if held >= target:
        return "doel gehaald"
    return f"niet gehaald ({held} van {target})"


def grace_for(body: BodyCadence, default: int = DEFAULT_GRACE_DAYS) -> int:
    return body.grace_days if body.grace_days is not None else default


def standing(
    body: BodyCadence,
    on: dt.date,
    held: int,
    *,
    default_grace: int = DEFAULT_GRACE_DAYS,
) -> Standing | None:
    """The body's standing on a date given the meetings it held that year so far.

    None when no cadence applies that year (no cadence, stopped, or W13 only attends).
    """
    target = per_year_in(body, on.year)
    if target is None:
        return None
    grace = grace_for(body, default_grace)
    expected = expected_by(target, on, grace)
    behind_since = first_day_expecting(target, on.year, grace, held) if held < expected else None
    return Standing(
        on=on,
        target=target,
        held=held,
        expected=expected,
        next_due=next_due(body, on, held, default_grace=default_grace),
        behind_since=behind_since,
        year_complete=(on.month, on.day) == (12, 31),
    )


def next_due(
    body: BodyCadence, on: dt.date, held: int, *, default_grace: int = DEFAULT_GRACE_DAYS
) -> dt.date | None:
    """The first date after `on` on which expected would exceed held (as held is on `on`)."""
    grace = grace_for(body, default_grace)
    target = per_year_in(body, on.year)
    if target is not None:
        day = first_day_expecting(target, on.year, grace, held)
        if day is not None:
            candidate = max(day, on + dt.timedelta(days=1))
            if candidate.year == on.year:  # on 31 December held starts again next year
                return candidate
    # Not in this year: next year counts from zero again, if a cadence applies then.
    following = per_year_in(body, on.year + 1)
    if following is None:
        return None
    return first_day_expecting(following, on.year + 1, grace, 0)
