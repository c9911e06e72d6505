"""The status of every body against its cadence, from the real data/ on a real database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event

from bot.services.status import (
    StatusInputError,
    build_status,
    chart_rows,
    parse_iso_date,
    parse_status_date,
    render_status_html,
    render_status_text,
    short_name,
)
from storage.models import Meeting
from storage.store import Store
from tests.fakes import parse_html
from tests.test_cli import _one_line_error, regiebot

pytestmark = pytest.mark.asyncio

D = dt.date

# What the jaarverslag 2022 (seed 002) reports for 2022: the actiegroep met twice, the
# LDE-fabriek four times, the AZ-fabriek once, the lerend netwerk trajectbegeleiders four
# times, and the algemene vergadering did not take place.
JAARVERSLAG_2022 = {
    "rose-actiegroep": [D(2022, 3, 15), D(2022, 10, 4)],
    "lde-fabriek": [D(2022, 2, 8), D(2022, 5, 10), D(2022, 9, 13), D(2022, 11, 22)],
    "az-fabriek": [D(2022, 6, 21)],
    "lerend-netwerk-trajectbegeleiders": [
        D(2022, 1, 27),
        D(2022, 4, 28),
        D(2022, 9, 29),
        D(2022, 12, 1),
    ],
}


async def add_meetings(
    store: Store, body_id: str, days: list[dt.date], *, status: str = "held"
) -> None:
    async with store.sessions() as session:
        for day in days:
            session.add(Meeting(body_id=body_id, date=day, status=status, topics=[]))
        await session.commit()


async def log_2022(store: Store) -> None:
    for body_id, days in JAARVERSLAG_2022.items():
        await add_meetings(store, body_id, days)


async def test_the_2022_figures_reproduce_the_jaarverslag(store: Store) -> None:
    await log_2022(store)
    report = await build_status(store, on=D(2022, 12, 31))
    verdicts = {row.id: row.verdict for row in report.rows}
    assert verdicts == {
        "rose-algemene-vergadering": "niet gehaald (0 van 3)",
        "rose-actiegroep": "niet gehaald (2 van 6)",
        "lde-fabriek": "niet gehaald (4 van 6)",
        "lerend-netwerk-trajectbegeleiders": "niet gehaald (4 van 12)",
    }
    # The AZ-fabriek met once but had no cadence; ROA's cadence only starts in 2023.
    assert report.row("az-fabriek") is None
    assert report.row("roa") is None
    actiegroep = report.row("rose-actiegroep")
    assert actiegroep is not None
    assert (actiegroep.held, actiegroep.target, actiegroep.expected) == (2, 6, 5)
    assert actiegroep.last_meeting == D(2022, 10, 4)
    assert actiegroep.behind
    assert actiegroep.next_due == D(2023, 5, 2)  # 4 a year from 2023
    lde = report.row("lde-fabriek")
    assert lde is not None
    assert lde.next_due is None  # stopped after 2022
    text = render_status_html(report)
    assert "niet gehaald (2 van 6)" in text
    assert "0 van 4 organen haalden hun doel." in text
    parse_html(text)  # valid Telegram HTML


async def test_status_follows_cadence_changes_and_stopped_bodies(store: Store) -> None:
    await log_2022(store)
    report = await build_status(store, on=D(2023, 12, 31))
    assert report.row("lde-fabriek") is None  # stopped: never behind again
    actiegroep = report.row("rose-actiegroep")
    assert actiegroep is not None
    assert (actiegroep.held, actiegroep.target) == (0, 4)
    assert actiegroep.last_meeting == D(2022, 10, 4)  # the last one, from an earlier year
    assert report.row("roa") is not None
    assert report.row("diensthoofdenoverleg") is None  # W13 only attends


async def test_planned_and_cancelled_meetings_do_not_count(store: Store) -> None:
    await add_meetings(store, "roa", [D(2026, 2, 1)], status="cancelled")
    await add_meetings(store, "roa", [D(2026, 2, 2), D(2026, 12, 1)], status="planned")
    await add_meetings(store, "roa", [D(2026, 1, 20)])
    await add_meetings(store, "roa", [D(2026, 3, 20)])  # after the date asked about
    report = await build_status(store, on=D(2026, 3, 18))
    roa = report.row("roa")
    assert roa is not None
    assert roa.held == 1
    assert roa.last_meeting == D(2026, 1, 20)


async def test_held_counts_only_the_year_of_the_date_up_to_that_date(store: Store) -> None:
    await add_meetings(store, "roa", [D(2025, 12, 31), D(2026, 1, 1), D(2026, 5, 1)])
    on_new_year = (await build_status(store, on=D(2026, 1, 1))).row("roa")
    before_may = (await build_status(store, on=D(2026, 4, 30))).row("roa")
    assert on_new_year is not None
    assert before_may is not None
    assert on_new_year.held == 1
    assert before_may.held == 1
    assert before_may.last_meeting == D(2026, 1, 1)


async def test_status_uses_a_fixed_number_of_queries_whatever_the_number_of_bodies(
    store: Store,
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    await log_2022(store)
    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        report = await build_status(store, on=D(2022, 12, 31))
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    assert len(report.rows) == 4
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


async def test_the_json_has_the_documented_shape(store: Store) -> None:
    await log_2022(store)
    data = (await build_status(store, on=D(2022, 12, 31))).to_json()
    json.dumps(data)
    assert data["date"] == "2022-12-31"
    body = next(b for b in data["bodies"] if b["id"] == "rose-actiegroep")
    assert body == {
        "id": "rose-actiegroep",
        "name": "ROSE-actiegroep",
        "target": 6,
        "held": 2,
        "expected": 5,
        "behind": True,
        "last_meeting": "2022-10-04",
        "next_due": "2023-05-02",
    }


async def test_the_current_year_shows_marks_and_next_due(store: Store) -> None:
    await add_meetings(store, "roa", [D(2026, 1, 20), D(2026, 3, 2)])
    report = await build_status(store, on=D(2026, 6, 15))
    text = render_status_html(report)
    parse_html(text)
    assert "Vergaderritme op 15/06/2026" in text
    assert "⚠️ <b>ROSE-actiegroep</b>: 0/4 gehouden, verwacht tegen nu: 1" in text
    assert "achter sinds 02/05/2026" in text
    assert "✅ <b>Regionaal Overleg Activering (ROA)</b>: 2/4 gehouden" in text
    assert "volgende tegen 01/08/2026" in text
    plain = render_status_text(report)
    assert "ACHTER sinds 02/05/2026" in plain
    rows = {r.name: r for r in chart_rows(report)}
    assert rows["ROA"].held == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", D(2026, 3, 18)),
        ("2022", D(2022, 12, 31)),
        ("2026", D(2026, 3, 18)),
        ("15/03/2026", D(2026, 3, 15)),
        ("gisteren", D(2026, 3, 17)),
        ("31/12/2023", D(2023, 12, 31)),
    ],
)
async def test_stand_reads_a_year_or_a_date(text: str, expected: dt.date) -> None:
    assert parse_status_date(text, today=D(2026, 3, 18)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1899", "Geef een jaar tussen 2000 en 2026"),
        ("2027", "Geef een jaar tussen 2000 en 2026"),
        ("morgen", "19/03/2026 ligt in de toekomst"),
        ("31/02/2026", "31/02/2026"),
        ("blabla", "Dat begrijp ik niet"),
    ],
)
async def test_stand_refuses_what_is_not_a_usable_date_in_dutch(text: str, message: str) -> None:
    with pytest.raises(StatusInputError, match=message):
        parse_status_date(text, today=D(2026, 3, 18))


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "18/03/2026", "20260318", ""])
async def test_the_cli_date_must_be_an_existing_iso_date(text: str) -> None:
    with pytest.raises(StatusInputError, match="invalid date"):
        parse_iso_date(text)


async def test_short_names_take_the_acronym_in_brackets() -> None:
    assert short_name("Regionaal Overleg Activering (ROA)") == "ROA"
    assert short_name("ROSE-actiegroep") == "ROSE-actiegroep"


async def test_regiebot_status_at_the_end_of_2022_as_json(
    cli_env: dict[str, str], database_url: str
) -> None:
    store = await Store.open(database_url, kb_dir=None, seed_kb=False)
    await store.close()
    assert regiebot(cli_env, "kb", "seed").returncode == 0
    store = await Store.open(database_url, seed_kb=False)
    try:
        await log_2022(store)
    finally:
        await store.close()
    proc = regiebot(cli_env, "status", "--at", "2022-12-31", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["date"] == "2022-12-31"
    held = {b["id"]: (b["held"], b["target"]) for b in data["bodies"]}
    assert held == {
        "lde-fabriek": (4, 6),
        "lerend-netwerk-trajectbegeleiders": (4, 12),
        "rose-actiegroep": (2, 6),
        "rose-algemene-vergadering": (0, 3),
    }
    text = regiebot(cli_env, "status", "--at", "2022-12-31")
    assert text.returncode == 0
    assert "niet gehaald (2 van 6)" in text.stdout


async def test_regiebot_status_with_an_impossible_date_is_a_one_line_error(
    cli_env: dict[str, str],
) -> None:
    last = _one_line_error(regiebot(cli_env, "status", "--at", "2026-02-30"))
    assert "2026-02-30" in last
    proc = regiebot(cli_env, "remind", "--at", "2026-02-30")
    assert proc.returncode == 1
    assert "invalid date" in _one_line_error(proc)
