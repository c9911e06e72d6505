"""The cadence rule (bot/domain/cadence.py) over a table of dates, and its invariants."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.cadence import (
    BodyCadence,
    CadenceStep,
    expected_by,
    first_day_expecting,
    next_due,
    per_year_in,
    standing,
    year_verdict,
)

D = dt.date

ROSE_ACTIEGROEP = BodyCadence(
    id="rose-actiegroep",
    name="ROSE-actiegroep",
    role="trekker",
    cadence=(CadenceStep(2020, 6), CadenceStep(2023, 4)),
    active_from=2020,
)
LDE_FABRIEK = BodyCadence(
    id="lde-fabriek",
    name="LDE-fabriek",
    role="facilitator",
    cadence=(CadenceStep(2020, 6), CadenceStep(2023, 0)),
    active_from=2020,
    active_until=2022,
)
QUARTERLY = BodyCadence(id="q", name="Q", role="trekker", cadence=(CadenceStep(2020, 4),))


@pytest.mark.parametrize(
    ("per_year", "day", "grace", "expected"),
    [
        # 1 January: nothing expected yet, with or without grace.
        (4, D(2026, 1, 1), 30, 0),
        (12, D(2026, 1, 1), 0, 0),
        # Within the grace period nothing is expected.
        (12, D(2026, 1, 30), 30, 0),
        (12, D(2026, 1, 31), 30, 0),  # 12 x 1 / 365
        # Four a year, 30 days grace: the first meeting is due on day 122 (2 May 2026).
        (4, D(2026, 5, 1), 30, 0),
        (4, D(2026, 5, 2), 30, 1),
        (4, D(2026, 8, 1), 30, 2),
        # 31 December: floor(4 x 335 / 365) = 3, never the whole target with a grace period.
        (4, D(2026, 12, 31), 30, 3),
        (12, D(2026, 12, 31), 0, 12),
        # Leap year 2024: 366 days, day 122 is 1 May.
        (4, D(2024, 4, 30), 30, 0),
        (4, D(2024, 5, 1), 30, 1),
        (4, D(2024, 12, 31), 30, 3),  # floor(4 x 336 / 366)
        (6, D(2024, 12, 31), 0, 6),
        (6, D(2024, 2, 29), 0, 0),  # floor(6 x 60 / 366)
        (6, D(2024, 3, 1), 0, 1),  # floor(6 x 61 / 366)
        # A grace period longer than the year: never anything expected.
        (4, D(2026, 12, 31), 400, 0),
    ],
)
def test_expected_meetings_on_a_date(
    per_year: int, day: dt.date, grace: int, expected: int
) -> None:
    assert expected_by(per_year, day, grace) == expected


def test_the_cadence_in_force_changes_with_the_year_of_the_date() -> None:
    assert per_year_in(ROSE_ACTIEGROEP, 2019) is None  # before it started
    assert per_year_in(ROSE_ACTIEGROEP, 2022) == 6
    assert per_year_in(ROSE_ACTIEGROEP, 2023) == 4
    assert per_year_in(ROSE_ACTIEGROEP, 2026) == 4


def test_a_stopped_body_has_no_cadence_after_its_last_year() -> None:
    assert per_year_in(LDE_FABRIEK, 2022) == 6
    assert per_year_in(LDE_FABRIEK, 2023) is None
    assert standing(LDE_FABRIEK, D(2023, 12, 31), 0) is None
    # Also without the active_until: per_year 0 marks the stop.
    open_ended = BodyCadence(
        id="x", name="X", role="trekker", cadence=(CadenceStep(2020, 6), CadenceStep(2023, 0))
    )
    assert per_year_in(open_ended, 2025) is None


@pytest.mark.parametrize("role", ["participant", "extern"])
def test_a_body_w13_only_attends_is_never_behind(role: str) -> None:
    body = BodyCadence(id="x", name="X", role=role, cadence=(CadenceStep(2020, 12),))
    assert standing(body, D(2026, 12, 31), 0) is None


def test_a_body_without_cadence_or_retired_has_no_standing() -> None:
    assert (
        standing(BodyCadence(id="az", name="AZ", role="facilitator"), D(2022, 12, 31), 0) is None
    )
    retired = BodyCadence(
        id="x", name="X", role="trekker", cadence=(CadenceStep(2020, 4),), retired=True
    )
    assert standing(retired, D(2026, 12, 31), 0) is None


@pytest.mark.parametrize(
    ("body", "day", "held", "behind", "expected"),
    [
        (ROSE_ACTIEGROEP, D(2022, 12, 31), 2, True, 5),  # 6 a year in 2022
        (ROSE_ACTIEGROEP, D(2023, 12, 31), 3, False, 3),  # 4 a year from 2023
        (ROSE_ACTIEGROEP, D(2023, 1, 1), 0, False, 0),
        (ROSE_ACTIEGROEP, D(2023, 1, 31), 0, False, 0),  # grace period
        (ROSE_ACTIEGROEP, D(2023, 5, 2), 0, True, 1),  # just after the grace and first quarter
        (ROSE_ACTIEGROEP, D(2023, 5, 2), 1, False, 1),
        (LDE_FABRIEK, D(2022, 6, 30), 2, False, 2),
        (LDE_FABRIEK, D(2022, 7, 31), 2, False, 2),
        (LDE_FABRIEK, D(2022, 8, 1), 2, True, 3),
    ],
)
def test_behind_when_fewer_held_than_expected(
    body: BodyCadence, day: dt.date, held: int, behind: bool, expected: int
) -> None:
    found = standing(body, day, held)
    assert found is not None
    assert found.expected == expected
    assert found.behind is behind


def test_a_per_body_grace_period_overrides_the_default() -> None:
    strict = BodyCadence(
        id="s", name="S", role="trekker", cadence=(CadenceStep(2020, 12),), grace_days=0
    )
    lenient = BodyCadence(
        id="l", name="L", role="trekker", cadence=(CadenceStep(2020, 12),), grace_days=90
    )
    day = D(2026, 3, 1)  # day 60
    assert standing(strict, day, 0).expected == 1  # type: ignore[union-attr]
    assert standing(lenient, day, 0).expected == 0  # type: ignore[union-attr]
    assert standing(QUARTERLY, day, 0, default_grace=0).expected == 0  # type: ignore[union-attr]
    assert standing(QUARTERLY, D(2026, 4, 1), 0, default_grace=0).expected == 0  # type: ignore[union-attr]
    assert standing(QUARTERLY, D(2026, 4, 2), 0, default_grace=0).expected == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("day", "held", "due"),
    [
        (D(2026, 1, 1), 0, D(2026, 5, 2)),
        (D(2026, 5, 2), 1, D(2026, 8, 1)),  # 4 x (213 - 30) >= 2 x 365
        (D(2026, 3, 1), 1, D(2026, 8, 1)),  # ahead of schedule: the next one is later
        # Behind: the first date after d on which expected exceeds held is tomorrow.
        (D(2026, 6, 1), 0, D(2026, 6, 2)),
        # The year's target can no longer be "exceeded": next year starts from zero.
        (D(2026, 12, 31), 3, D(2027, 5, 2)),
        (D(2026, 12, 31), 0, D(2027, 5, 2)),  # behind on 31 December: next year's first
        (D(2026, 10, 1), 4, D(2027, 5, 2)),
        # 31 December of a leap year.
        (D(2024, 12, 31), 3, D(2025, 5, 2)),
    ],
)
def test_next_due_is_the_first_date_after_d_on_which_expected_exceeds_held(
    day: dt.date, held: int, due: dt.date
) -> None:
    assert next_due(QUARTERLY, day, held) == due


def test_next_due_is_none_when_the_body_stops_next_year() -> None:
    assert next_due(LDE_FABRIEK, D(2022, 12, 31), 6) is None
    # ...but within its last year it still has one.
    assert next_due(LDE_FABRIEK, D(2022, 1, 15), 0) == first_day_expecting(6, 2022, 30, 0)


def test_next_due_follows_a_cadence_change_into_the_next_year() -> None:
    # 2022 target 6 reached; 2023 has 4 a year: first due on day 122 of 2023 (2 May).
    assert next_due(ROSE_ACTIEGROEP, D(2022, 12, 31), 6) == D(2023, 5, 2)


def test_behind_since_is_the_day_the_body_fell_behind() -> None:
    found = standing(QUARTERLY, D(2026, 6, 15), 0)
    assert found is not None
    assert found.behind
    assert found.behind_since == D(2026, 5, 2)
    assert standing(QUARTERLY, D(2026, 6, 15), 1).behind_since is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("held", "target", "verdict"),
    [
        (2, 6, "niet gehaald (2 van 6)"),
        (0, 3, "niet gehaald (0 van 3)"),
        (4, 4, "doel gehaald"),
        (5, 4, "doel gehaald"),
    ],
)
def test_the_year_verdict(held: int, target: int, verdict: str) -> None:
    assert year_verdict(held, target) == verdict


def test_the_verdict_and_mark_appear_only_on_31_december() -> None:
    mid = standing(ROSE_ACTIEGROEP, D(2022, 12, 30), 2)
    end = standing(ROSE_ACTIEGROEP, D(2022, 12, 31), 2)
    met = standing(ROSE_ACTIEGROEP, D(2022, 12, 31), 6)
    assert mid is not None
    assert end is not None
    assert met is not None
    assert mid.verdict is None
    assert mid.mark == "behind"
    assert end.verdict == "niet gehaald (2 van 6)"
    assert end.mark == "missed"
    assert met.verdict == "doel gehaald"
    assert met.mark == "on_schedule"


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))


@given(day=days, per_year=st.integers(1, 52), grace=st.integers(0, 120))
def test_expected_never_decreases_within_a_year_and_stays_below_the_target(
    day: dt.date, per_year: int, grace: int
) -> None:
    today = expected_by(per_year, day, grace)
    assert 0 <= today <= per_year
    if (day.month, day.day) != (12, 31):
        assert expected_by(per_year, day + dt.timedelta(days=1), grace) >= today


@given(day=days, per_year=st.integers(1, 52), grace=st.integers(0, 120), held=st.integers(0, 60))
def test_next_due_is_after_d_and_is_the_first_such_day_in_the_year(
    day: dt.date, per_year: int, grace: int, held: int
) -> None:
    body = BodyCadence(
        id="p", name="P", role="trekker", cadence=(CadenceStep(1990, per_year),), grace_days=grace
    )
    due = next_due(body, day, held)
    if due is None:
        return
    assert due > day
    if due.year == day.year:
        assert expected_by(per_year, due, grace) > held
        before = due - dt.timedelta(days=1)
        if before > day:
            assert expected_by(per_year, before, grace) <= held
    else:
        assert expected_by(per_year, due, grace) > 0
