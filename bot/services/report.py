"""The jaarverslag: one year's meetings and signals arranged the way the team writes its report.

The team's own reports (jaarverslag 2021, 2022) go pillar by pillar of the plan in force and,
per overlegorgaan, give W13's role ("Rol regie: ..."), how often it met ("kwam in 2022 twee
keer samen"), what was on the agenda and what came of it. This module builds that structure
from the store (no Telegram here); bot/services/report_render.py writes it as Markdown or Word.

Which plan, which pillar:
- the plan in force is the newest plan whose period covers the year; between equally new plans
  (rose-2020 and the W13 meerjarenplan both start in 2020) the one whose actions name the most
  bodies, i.e. the regie plan rather than the organisation-wide one;
- bodies carry no pillar of their own: a body is reported under the pillar (section) of the
  lowest-numbered action of that plan that names it. For 2022 this puts the ROSE bodies, the
  LDE- and AZ-fabriek under "Netwerking op het grondgebied stimuleren" and ROA, the lerend
  netwerk and the diensthoofdenoverleg under "De lokale sociale economie verder uitbouwen", as
  the jaarverslag 2022 does. Bodies no action of the plan names go under "Andere overlegorganen".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from babel.dates import format_date as babel_format_date
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.cadence import BodyCadence, CadenceStep, standing, step_in_force
from bot.domain.dutch_words import counted, number_word, times
from bot.domain.shorten import shorten
from bot.services.chart import ChartRow, render_chart
from storage.report_queries import (
    ActionRow,
    BodyRow,
    MeetingRow,
    PlanRow,
    YearData,
    year_data,
)

MIN_YEAR: Final = 2000
LOCALE: Final = "nl_BE"
OTHER_BODIES: Final = "Andere overlegorganen"
# Caps that keep a report of a (synthetic) year with 10^4 meetings readable and fast; the
# team's real years stay far below them.
MAX_TOPICS: Final = 100
MAX_NOTES: Final = 50
MAX_SIGNALS: Final = 500
MAX_TEXT: Final = 1000

ROLE_ORDER: Final = {"trekker": 0, "facilitator": 1, "participant": 2, "extern": 3}
ROLE_NL: Final = {
    "trekker": "trekker",
    "facilitator": "faciliterende rol",
    "participant": "deelnemer",
    "extern": "extern (W13 zit niet aan tafel)",
}
SIGNAL_STATUS_NL: Final = {
    "nieuw": "nieuw",
    "doorgegeven": "doorgegeven",
    "beantwoord": "beantwoord",
    "afgesloten": "afgesloten",
}

ChartRenderer = Callable[[Sequence[ChartRow], str], bytes]

# Characters XML 1.0 (and so .docx) cannot hold; a pasted control character must not break it.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROLE_PREFIX = re.compile(r"^\s*rol\s+(regie|w13)\s*:\s*", re.IGNORECASE)


class ReportError(Exception):
    """No report can be made; carries the Dutch text for the bot and English for the CLI."""

    def __init__(self, dutch: str, english: str) -> None:
        super().__init__(english)
        self.dutch = dutch


# --- small helpers ----------------------------------------------------------------------------


def clean(text: str | None, limit: int = MAX_TEXT) -> str:
    """One line of plain text: no control characters, whitespace collapsed, at most limit."""
    flat = " ".join(_XML_INVALID.sub(" ", text or "").split())
    return shorten(flat, limit)


def nl_date(day: dt.date) -> str:
    """15 maart 2022, as the reports write dates (Babel, nl_BE)."""
    return str(babel_format_date(day, format="long", locale=LOCALE))


def nl_dates(days: Sequence[dt.date]) -> str:
    return ", ".join(nl_date(d) for d in days)


def check_year(raw: str | int | None, *, today: dt.date) -> int:
    """The year asked for, or ReportError when it is not a year a report can be made for."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return today.year - 1
    text = str(raw).strip()
    if not text.isdigit():
        raise ReportError(
            f"'{clean(text, 40)}' is geen jaartal. Gebruik bv. /jaarverslag {today.year - 1}.",
            f"'{clean(text, 40)}' is not a year (e.g. {today.year - 1})",
        )
    year = int(text)
    if year > today.year:
        raise ReportError(
            f"{year} ligt in de toekomst: kies een jaar tussen {MIN_YEAR} en {today.year}.",
            f"{year} is in the future: choose a year from {MIN_YEAR} to {today.year}",
        )
    if year < MIN_YEAR:
        raise ReportError(
            f"{year} is te vroeg: kies een jaar tussen {MIN_YEAR} en {today.year}.",
            f"{year} is too early: choose a year from {MIN_YEAR} to {today.year}",
        )
    return year


def _code_key(code: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in code.split(".")]


# --- the report's structure -------------------------------------------------------------------


@dataclass
class BodySection:
    """One overlegorgaan in the report: role, result, dates, agenda, notes."""

    body_id: str
    name: str
    role: str
    role_line: str
    result: str
    held: int
    target: int | None
    dates: list[dt.date]
    planned: list[dt.date]
    cancelled: int
    topics: list[tuple[str, int]]  # (topic, how many meetings had it), first mention first
    topics_more: int
    notes: list[tuple[dt.date, str]]
    notes_more: int
    attendees: list[str]


@dataclass
class Pillar:
    title: str
    section_id: str | None
    bodies: list[BodySection] = field(default_factory=list)


@dataclass
class SignalLine:
    id: int
    date: dt.date
    text: str
    themes: list[str]
    source: str | None
    addressee: str | None
    status: str


@dataclass
class ActionLine:
    code: str
    title: str
    bodies: list[str]


@dataclass
class PartnerLine:
    name: str
    bodies: list[str]


@dataclass
class Report:
    """A year's report, ready to be written as Markdown or Word."""

    year: int
    today: dt.date
    plan: PlanRow | None
    partial: bool  # the year is not over yet
    pillars: list[Pillar]
    signals: list[SignalLine]
    signals_more: int
    signal_summary: str
    actions: list[ActionLine]
    partners: list[PartnerLine]
    chart_rows: list[ChartRow]
    held_total: int
    bodies_met: int

    @property
    def title(self) -> str:
        return f"Jaarverslag {self.year}"

    @property
    def chart_title(self) -> str:
        return f"Vergaderingen {self.year}: gehouden tegenover doel"

    @property
    def intro(self) -> list[str]:
        lines = [
            f"Regierol sociale economie en werk (W13). Ontwerp van het jaarverslag {self.year}, "
            f"gemaakt door regiebot op {nl_date(self.today)} uit de gelogde vergaderingen en "
            "signalen.",
        ]
        if self.plan is not None:
            title = clean(self.plan.title)
            if str(self.plan.period_from) not in title:
                title += f", {self.plan.period_from}-{self.plan.period_to}"
            lines.append(
                f"Per pijler van het plan in voege ({title}) en per overlegorgaan: de rol "
                "van de regie, hoe vaak het samenkwam tegenover het doel, wat op de agenda "
                "stond."
            )
        if self.partial:
            lines.append(f"{self.year} is nog niet voorbij: de cijfers gelden tot nu toe.")
        held = (
            f"In {self.year} werden {counted(self.held_total, 'vergadering', 'vergaderingen')} "
            f"gehouden in {counted(self.bodies_met, 'overlegorgaan', 'overlegorganen')}"
            if self.held_total
            else f"In {self.year} werden geen vergaderingen gehouden"
        )
        lines.append(f"{held}; {self.signal_summary[0].lower()}{self.signal_summary[1:]}")
        return lines

    @property
    def summary(self) -> str:
        """One Dutch line for a caption or the CLI."""
        meetings = counted(self.held_total, "vergadering", "vergaderingen")
        if self.held_total:
            meetings += f" in {counted(self.bodies_met, 'overlegorgaan', 'overlegorganen')}"
        signals = counted(len(self.signals) + self.signals_more, "signaal", "signalen")
        return f"{meetings}, {signals}"


def plan_in_force(data: YearData) -> PlanRow | None:
    """The newest plan covering the year; between equals, the one naming the most bodies."""
    covering = [p for p in data.plans if p.period_from <= data.year <= p.period_to]
    if not covering:
        return None
    newest = max(p.period_from for p in covering)

    def reach(plan: PlanRow) -> int:
        return len({b for a in data.actions if a.plan_id == plan.id for b in a.bodies})

    return max((p for p in covering if p.period_from == newest), key=lambda p: (reach(p), p.id))


def _plan_actions(data: YearData, plan: PlanRow | None) -> list[ActionRow]:
    """The plan's actions that run in the year (all of them when none says its werkjaren)."""
    if plan is None:
        return []
    mine = [a for a in data.actions if a.plan_id == plan.id]
    running = [a for a in mine if not a.werkjaren or data.year in a.werkjaren]
    return sorted(running or mine, key=lambda a: _code_key(a.code))


def _role_line(body: BodyRow) -> str:
    text = clean(_ROLE_PREFIX.sub("", body.role_text or ""))
    return f"Rol regie: {text or ROLE_NL.get(body.role, body.role)}"


def _result(body: BodyRow, held: int, target: int | None, year: int, partial: bool) -> str:
    so_far = " tot nu toe" if partial else ""
    if target is None:
        goal = ""
    elif target == 0:
        goal = " (het overleg is volgens plan gestopt)"
    else:
        goal = f" (doel: {target})"
    if body.role == "extern" and not held:
        return f"Resultaat: in {year} werd{so_far} geen vergadering van {body.name} gelogd."
    if body.role == "participant":
        if held:
            return f"Resultaat: W13 sloot in {year}{so_far} {times(held)} aan op {body.name}."
        return f"Resultaat: in {year} werd{so_far} geen vergadering van {body.name} gelogd."
    if held:
        return f"Resultaat: {body.name} kwam in {year}{so_far} {times(held)} samen{goal}."
    return f"Resultaat: {body.name} is in {year}{so_far} niet samengekomen{goal}."


def _topics(meetings: list[MeetingRow]) -> tuple[list[tuple[str, int]], int]:
    order: dict[str, str] = {}
    count: Counter[str] = Counter()
    for m in meetings:
        for topic in dict.fromkeys(clean(t).casefold() for t in m.topics):
            if topic:
                count[topic] += 1
        for topic in m.topics:
            text = clean(topic)
            if text:
                order.setdefault(text.casefold(), text)
    topics = [(text, count[key]) for key, text in order.items()]
    return topics[:MAX_TOPICS], max(0, len(topics) - MAX_TOPICS)


def _body_section(
    body: BodyRow, meetings: list[MeetingRow], data: YearData, partial: bool
) -> BodySection:
    held = [m for m in meetings if m.status == "held"]
    step = step_in_force((CadenceStep(f, n) for f, n in body.cadence), data.year)
    target = step.per_year if step is not None and body.organised_by_w13 else None
    topics, topics_more = _topics(held)
    notes = [(m.date, clean(m.notes)) for m in held if clean(m.notes)]
    attendees = sorted(
        {data.partner_names.get(p, p) for m in held for p in m.attendees}, key=str.casefold
    )
    return BodySection(
        body_id=body.id,
        name=body.name,
        role=body.role,
        role_line=_role_line(body),
        result=_result(body, len(held), target, data.year, partial),
        held=len(held),
        target=target,
        dates=[m.date for m in held],
        planned=[m.date for m in meetings if m.status == "planned"],
        cancelled=sum(1 for m in meetings if m.status == "cancelled"),
        topics=topics,
        topics_more=topics_more,
        notes=notes[:MAX_NOTES],
        notes_more=max(0, len(notes) - MAX_NOTES),
        attendees=attendees,
    )


def _chart_row(body: BodyRow, held: int, year: int, today: dt.date) -> ChartRow | None:
    """The body's bar as /grafiek draws it (bot.domain.cadence's standing), on 31/12 or today."""
    on = today if year == today.year else dt.date(year, 12, 31)
    cadence = BodyCadence(
        id=body.id,
        name=body.name,
        role=body.role,
        cadence=tuple(CadenceStep(from_year=f, per_year=n) for f, n in body.cadence),
        active_from=body.active_from,
        active_until=body.active_until,
        grace_days=body.grace_days,
        retired=body.retired,
    )
    found = standing(cadence, on, held)
    if found is None:
        return None
    return ChartRow(body.name, held, found.target, found.expected)


def _signals(data: YearData) -> tuple[list[SignalLine], int, str]:
    lines = [
        SignalLine(
            id=s.id,
            date=s.date,
            text=clean(s.text, 600),
            themes=[data.theme_names.get(t, t) for t in s.themes],
            source=(
                data.bodies[s.source_body_id].name
                if s.source_body_id in data.bodies
                else data.partner_names.get(s.source_partner_id or "", s.source_partner_id)
            ),
            addressee=clean(s.addressee, 200) or None,
            status=SIGNAL_STATUS_NL.get(s.status, s.status),
        )
        for s in data.signals
    ]
    n = len(lines)
    if not n:
        return [], 0, f"Er werden in {data.year} geen signalen genoteerd."
    by_status = Counter(s.status for s in data.signals)
    parts = [
        f"{number_word(by_status[status])} {SIGNAL_STATUS_NL[status]}"
        for status in SIGNAL_STATUS_NL
        if by_status[status]
    ]
    verb = "werd" if n == 1 else "werden"
    summary = (
        f"Er {verb} in {data.year} {counted(n, 'signaal', 'signalen')} genoteerd "
        f"({', '.join(parts)})."
    )
    return lines[:MAX_SIGNALS], max(0, n - MAX_SIGNALS), summary


def build_report(data: YearData, *, today: dt.date) -> Report:
    """Arrange a year's data into the report's pillars, bodies, signals, actions and partners."""
    partial = data.year >= today.year
    plan = plan_in_force(data)
    actions = _plan_actions(data, plan)
    by_body: defaultdict[str, list[MeetingRow]] = defaultdict(list)
    for m in data.meetings:
        by_body[m.body_id].append(m)
    shown = [b for b in data.bodies.values() if b.active_in(data.year) or by_body.get(b.id)]
    pillar_of: dict[str, str] = {}
    for action in actions:  # lowest-numbered action first: its pillar wins
        for body_id in action.bodies:
            if action.section:
                pillar_of.setdefault(body_id, action.section)
    pillars = [Pillar(title=clean(t), section_id=s) for s, t in (plan.sections if plan else ())]
    by_section = {p.section_id: p for p in pillars}
    other = Pillar(title=OTHER_BODIES if pillars else "Overlegorganen", section_id=None)
    for body in sorted(shown, key=lambda b: (ROLE_ORDER.get(b.role, 9), b.name.casefold())):
        pillar = by_section.get(pillar_of.get(body.id), other)
        pillar.bodies.append(_body_section(body, by_body.get(body.id, []), data, partial))
    if other.bodies:
        pillars.append(other)
    sections = [s for p in pillars for s in p.bodies]
    met = {s.body_id for s in sections if s.held}
    chart_rows = [
        row
        for s in sections
        if (row := _chart_row(data.bodies[s.body_id], s.held, data.year, today)) is not None
    ]
    names = {b.id: b.name for b in data.bodies.values()}
    touched = [
        ActionLine(
            code=a.code,
            title=clean(a.title, 300),
            bodies=[names.get(b, b) for b in a.bodies if b in met],
        )
        for a in actions
        if met.intersection(a.bodies)
    ]
    partner_bodies: defaultdict[str, set[str]] = defaultdict(set)
    for m in data.meetings:
        if m.status != "held" or m.body_id not in data.bodies:
            continue
        for p in {*m.attendees, *data.bodies[m.body_id].partners}:
            partner_bodies[p].add(names.get(m.body_id, m.body_id))
    partners = sorted(
        (
            PartnerLine(name=data.partner_names.get(p, p), bodies=sorted(b, key=str.casefold))
            for p, b in partner_bodies.items()
        ),
        key=lambda line: line.name.casefold(),
    )
    signals, signals_more, signal_summary = _signals(data)
    return Report(
        year=data.year,
        today=today,
        plan=plan,
        partial=partial,
        pillars=pillars,
        signals=signals,
        signals_more=signals_more,
        signal_summary=signal_summary,
        actions=touched,
        partners=partners,
        chart_rows=chart_rows,
        held_total=sum(s.held for s in sections),
        bodies_met=len(met),
    )


# --- the chart --------------------------------------------------------------------------------

# Reports render in worker threads; one chart at a time keeps matplotlib's shared state (font
# cache, rcParams) out of harm's way.
_CHART_LOCK = threading.Lock()


def chart_png(report: Report, renderer: ChartRenderer | None = None) -> bytes | None:
    """The /grafiek chart of the report's bodies; None when no body has a cadence that year."""
    if not report.chart_rows:
        return None
    with _CHART_LOCK:
        return (renderer or render_chart)(list(report.chart_rows), report.chart_title)


# --- making the file --------------------------------------------------------------------------

FORMATS: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown",
}


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    mimetype: str
    report: Report
    chart: bytes | None


async def load_report(session: AsyncSession, *, year: int, today: dt.date) -> Report:
    """The report of a year; ReportError when nothing was logged in it."""
    data = await year_data(session, year=year)
    if data.empty:
        raise ReportError(
            f"Voor {year} is niets gelogd (geen vergaderingen of signalen): "
            "er is geen jaarverslag te maken.",
            f"nothing was logged for {year} (no meetings or signals): no report to make",
        )
    return build_report(data, today=today)


def render(
    report: Report, fmt: str, *, chart: ChartRenderer | None = None, chart_name: str | None = None
) -> ReportFile:
    """Write the report as .docx or .md (CPU-bound: call it in a thread from async code)."""
    from bot.services.report_render import render_docx, render_markdown

    if fmt not in FORMATS:
        raise ReportError(
            f"Onbekend formaat '{clean(fmt, 20)}': docx of md.",
            f"unknown format '{fmt}': use docx or md",
        )
    png = chart_png(report, chart)
    if fmt == "docx":
        content = render_docx(report, png)
    else:
        content = render_markdown(report, chart_name if png else None).encode("utf-8")
    return ReportFile(
        filename=f"jaarverslag-{report.year}.{fmt}",
        content=content,
        mimetype=FORMATS[fmt],
        report=report,
        chart=png,
    )


async def make_report(
    sessions: async_sessionmaker[AsyncSession],
    *,
    year: int,
    today: dt.date,
    fmt: str = "docx",
    chart: ChartRenderer | None = None,
    chart_name: str | None = None,
) -> ReportFile:
    """Gather (async) and render (in a worker thread) one year's report."""
    async with sessions() as session:
        report = await load_report(session, year=year, today=today)
    return await asyncio.to_thread(render, report, fmt, chart=chart, chart_name=chart_name)
