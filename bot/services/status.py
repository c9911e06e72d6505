"""Where every body with a cadence stands on a date: rows for /stand, the chart and the CLI.

The rows come from two aggregate queries (storage/cadence_queries.py) and the pure rule in
bot/domain/cadence.py. Rendering: Dutch HTML for Telegram, plain text and JSON for the terminal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from bot.domain.cadence import DEFAULT_GRACE_DAYS, BodyCadence, CadenceStep, standing
from bot.domain.dutch_dates import format_date, parse_dutch_date
from bot.services.chart import ChartRow
from storage.cadence_queries import BodyRow, HeldSoFar, body_rows, held_so_far
from storage.store import Store

MIN_YEAR: Final = 2000
MARKS: Final = {"on_schedule": "✅", "behind": "⚠️", "missed": "❌"}
_YEAR_RE: Final = re.compile(r"^\d{1,6}$")
_SHORT_RE: Final = re.compile(r"\(([^()]{2,20})\)\s*$")


class StatusInputError(ValueError):
    """A /stand or --at argument that names no usable date; the text is Dutch, for the user."""


@dataclass(frozen=True, slots=True)
class BodyStatus:
    """One body's line on the status page."""

    id: str
    name: str
    target: int
    held: int
    expected: int
    behind: bool
    last_meeting: dt.date | None
    next_due: dt.date | None
    behind_since: dt.date | None
    mark: str  # on_schedule | behind | missed
    verdict: str | None  # "doel gehaald" / "niet gehaald (x van N)" on 31 December

    @property
    def short_name(self) -> str:
        return short_name(self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "target": self.target,
            "held": self.held,
            "expected": self.expected,
            "behind": self.behind,
            "last_meeting": _iso(self.last_meeting),
            "next_due": _iso(self.next_due),
        }


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Every body with a cadence in force on `on`, ordered by name."""

    on: dt.date
    rows: tuple[BodyStatus, ...]

    @property
    def year_complete(self) -> bool:
        return (self.on.month, self.on.day) == (12, 31)

    @property
    def behind(self) -> list[BodyStatus]:
        return [r for r in self.rows if r.behind]

    def row(self, body_id: str) -> BodyStatus | None:
        return next((r for r in self.rows if r.id == body_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.on.isoformat(), "bodies": [r.to_json() for r in self.rows]}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def short_name(name: str) -> str:
    """ "Regionaal Overleg Activering (ROA)" -> "ROA"; other names as they are."""
    found = _SHORT_RE.search(name)
    return found.group(1).strip() if found else name


def to_cadence(row: BodyRow) -> BodyCadence:
    return BodyCadence(
        id=row.id,
        name=row.name,
        role=row.role,
        cadence=tuple(CadenceStep(from_year=f, per_year=n) for f, n in row.cadence),
        active_from=row.active_from,
        active_until=row.active_until,
        grace_days=row.grace_days,
        retired=row.retired,
    )


def status_from(
    bodies: Sequence[BodyRow],
    held: dict[str, HeldSoFar],
    *,
    on: dt.date,
    default_grace: int = DEFAULT_GRACE_DAYS,
) -> StatusReport:
    """The report from the queried bodies and aggregates (pure)."""
    rows: list[BodyStatus] = []
    for body in sorted(bodies, key=lambda b: (b.name.casefold(), b.id)):
        so_far = held.get(body.id)
        found = standing(
            to_cadence(body), on, so_far.in_year if so_far else 0, default_grace=default_grace
        )
        if found is None:
            continue
        rows.append(
            BodyStatus(
                id=body.id,
                name=body.name,
                target=found.target,
                held=found.held,
                expected=found.expected,
                behind=found.behind,
                last_meeting=so_far.last if so_far else None,
                next_due=found.next_due,
                behind_since=found.behind_since,
                mark=found.mark,
                verdict=found.verdict,
            )
        )
    return StatusReport(on=on, rows=tuple(rows))


async def build_status(
    store: Store, *, on: dt.date, default_grace: int = DEFAULT_GRACE_DAYS
) -> StatusReport:
    """Status of every body on a date: three queries whatever the number of bodies."""
    async with store.sessions() as session:
        bodies = await body_rows(session)
        held = await held_so_far(session, on=on)
    return status_from(bodies, held, on=on, default_grace=default_grace)


# --- reading the date asked for ----------------------------------------------------------------


def parse_status_date(text: str, *, today: dt.date) -> dt.date:
    """The date /stand asks about: today, a past year (its 31 December) or a date up to today."""
    words = " ".join(text.split())
    if not words:
        return today
    if _YEAR_RE.match(words):
        year = int(words)
        if not MIN_YEAR <= year <= today.year:
            raise StatusInputError(
                f"Geef een jaar tussen {MIN_YEAR} en {today.year}, bv. /stand {today.year - 1}."
            )
        return today if year == today.year else dt.date(year, 12, 31)
    parsed = parse_dutch_date(words, today=today)
    if parsed.error:
        raise StatusInputError(parsed.error)
    if parsed.date is None or parsed.rest:
        raise StatusInputError(
            "Dat begrijp ik niet. Geef een jaar (bv. /stand 2022) of een datum "
            "(bv. /stand 15/03/2026)."
        )
    if parsed.date > today:
        raise StatusInputError(
            f"{format_date(parsed.date)} ligt in de toekomst; de stand kan ik enkel tonen "
            "tot vandaag."
        )
    if parsed.date.year < MIN_YEAR:
        raise StatusInputError(f"Geef een datum vanaf {MIN_YEAR}.")
    return parsed.date


def parse_iso_date(text: str) -> dt.date:
    """A YYYY-MM-DD date for the CLI; StatusInputError (English) when it is not one."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise StatusInputError(
            f"invalid date {text!r} (expected an existing YYYY-MM-DD)"
        ) from None
    if len(text.strip()) != 10:
        raise StatusInputError(f"invalid date {text!r} (expected YYYY-MM-DD)")
    return day


# --- rendering ----------------------------------------------------------------------------------


def _nl(day: dt.date | None) -> str:
    return format_date(day) if day else "nog geen"


def render_status_html(report: StatusReport) -> str:
    """The /stand reply: one line per body with a cadence, Telegram HTML, in Dutch."""
    if report.year_complete:
        head = f"📊 <b>Vergaderritme {report.on.year}</b> (jaar afgesloten op 31/12)"
    else:
        head = f"📊 <b>Vergaderritme op {format_date(report.on)}</b>"
    if not report.rows:
        return f"{head}\nGeen overlegorganen met een vergaderritme in {report.on.year}."
    lines = [head, ""]
    for row in report.rows:
        mark = MARKS[row.mark]
        name = f"<b>{escape(row.name, quote=False)}</b>"
        last = f"laatste: {_nl(row.last_meeting)}"
        if row.verdict is not None:
            verdict = (
                row.verdict if row.mark == "missed" else f"{row.verdict} ({row.held}/{row.target})"
            )
            lines.append(f"{mark} {name}: {escape(verdict, quote=False)} · {last}")
            continue
        if row.behind and row.behind_since:
            due = f"volgende: nu, achter sinds {format_date(row.behind_since)}"
        elif row.next_due:
            due = f"volgende tegen {format_date(row.next_due)}"
        else:
            due = "geen volgende dit jaar"
        lines.append(
            f"{mark} {name}: {row.held}/{row.target} gehouden, verwacht tegen nu: "
            f"{row.expected} · {last} · {due}"
        )
    lines.append("")
    if report.year_complete:
        missed = sum(1 for r in report.rows if r.mark == "missed")
        lines.append(
            f"{len(report.rows) - missed} van {len(report.rows)} organen haalden hun doel."
        )
    else:
        behind = len(report.behind)
        lines.append(
            "Alle organen liggen op schema."
            if not behind
            else f"{behind} van {len(report.rows)} organen achter op schema."
        )
    return "\n".join(lines)


def render_status_text(report: StatusReport) -> str:
    """Plain text for the terminal (`regiebot status`)."""
    title = (
        f"Vergaderritme {report.on.year} (jaar afgesloten)"
        if report.year_complete
        else f"Vergaderritme op {format_date(report.on)}"
    )
    if not report.rows:
        return f"{title}\ngeen overlegorganen met een vergaderritme in {report.on.year}"
    width = min(max(len(r.name) for r in report.rows), 48)
    lines = [title]
    for row in report.rows:
        if row.verdict is not None:
            state = row.verdict
        elif row.behind:
            state = "ACHTER" + (
                f" sinds {format_date(row.behind_since)}" if row.behind_since else ""
            )
        else:
            state = "op schema" + (
                f", volgende tegen {format_date(row.next_due)}" if row.next_due else ""
            )
        lines.append(
            f"{row.name[:width]:<{width}}  {row.held:>3}/{row.target:<3} "
            f"verwacht {row.expected:>3}  laatste {_nl(row.last_meeting):<10}  {state}"
        )
    return "\n".join(lines)


def chart_rows(report: StatusReport) -> list[ChartRow]:
    """The chart's bars; for a finished year the expectation is the whole target."""
    return [
        ChartRow(
            name=row.short_name,
            held=row.held,
            target=row.target,
            expected=row.target if report.year_complete else row.expected,
        )
        for row in report.rows
    ]


def chart_title(report: StatusReport) -> str:
    if report.year_complete:
        return f"Vergaderritme {report.on.year}"
    return f"Vergaderritme {report.on.year} (tot {format_date(report.on)})"
