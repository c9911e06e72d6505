"""The jaarverslag: a store holding 2022 yields the counts and topics of the real report."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import shutil
import struct
import subprocess
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from docx import Document

from bot.config import Settings
from bot.domain.cadence import CadenceStep, step_in_force
from bot.domain.dutch_words import capitalised, counted, number_word, times
from bot.interface.cli_errors import CliError
from bot.interface.report_cli import add_report_parser, cmd_report
from bot.services.chart import ChartRow
from bot.services.report import (
    ReportError,
    build_report,
    check_year,
    load_report,
    make_report,
    plan_in_force,
    render,
)
from bot.services.report_render import md, render_markdown
from storage.entries import Source, log_meeting, record_signal
from storage.report_queries import year_data
from storage.store import Store
from tests.conftest import DATA_DIR
from tests.report_fixtures import log_year_2022
from tests.test_cli import _one_line_error, regiebot

TODAY = dt.date(2023, 1, 20)  # the team writes the 2022 report in January 2023
NETWERKING = "Netwerking op het grondgebied stimuleren"
LOKALE_SE = "De lokale sociale economie verder uitbouwen"


@pytest.fixture
async def store_2022(store: Store) -> Store:
    await log_year_2022(store)
    return store


def _no_chart(rows: Sequence[ChartRow], title: str) -> bytes:
    return _PNG


def _tiny_png() -> bytes:
    """A valid 1x1 PNG, for tests that do not look at the chart."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


_PNG = _tiny_png()


# --- Dutch words and the year ----------------------------------------------------------------


def test_counts_up_to_twelve_are_dutch_words_and_digits_above() -> None:
    assert [times(n) for n in (1, 2, 4, 12)] == [
        "één keer",
        "twee keer",
        "vier keer",
        "twaalf keer",
    ]
    assert times(13) == "13 keer"
    assert number_word(0) == "nul"
    assert counted(1, "signaal", "signalen") == "één signaal"
    assert counted(3, "signaal", "signalen") == "drie signalen"
    assert counted(0, "signaal", "signalen") == "geen signalen"
    assert capitalised(counted(1, "signaal", "signalen")) == "Één signaal"


def _target(cadence: tuple[tuple[int, int], ...], year: int) -> int | None:
    step = step_in_force((CadenceStep(f, n) for f, n in cadence), year)
    return step.per_year if step else None


def test_the_target_in_force_is_the_newest_cadence_row_not_after_the_year() -> None:
    cadence = ((2020, 6), (2023, 4))
    assert _target(cadence, 2019) is None
    assert _target(cadence, 2022) == 6
    assert _target(cadence, 2023) == 4
    assert _target(((2020, 6), (2023, 0)), 2024) == 0
    assert _target((), 2022) is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("3000", "ligt in de toekomst"),
        ("1899", "te vroeg"),
        ("twintig", "geen jaartal"),
        ("-5", "geen jaartal"),
    ],
)
def test_an_impossible_year_is_refused_in_dutch_and_english(raw: str, fragment: str) -> None:
    with pytest.raises(ReportError) as caught:
        check_year(raw, today=TODAY)
    assert fragment in caught.value.dutch
    assert str(caught.value)  # the English one-liner for the CLI


def test_no_year_means_last_year_and_this_year_is_allowed() -> None:
    assert check_year(None, today=TODAY) == 2022
    assert check_year("2023", today=TODAY) == 2023


# --- the 2022 report --------------------------------------------------------------------------


async def test_the_2022_report_has_the_counts_of_the_real_jaarverslag(store_2022: Store) -> None:
    async with store_2022.sessions() as session:
        report = await load_report(session, year=2022, today=TODAY)
    text = render_markdown(report)
    assert "ROSE-actiegroep kwam in 2022 twee keer samen (doel: 6)." in text
    assert "LDE-fabriek kwam in 2022 vier keer samen (doel: 6)." in text
    assert "AZ-fabriek kwam in 2022 één keer samen." in text
    assert "Lerend netwerk trajectbegeleiders kwam in 2022 vier keer samen (doel: 12)." in text
    assert "Regionaal Overleg Activering (ROA) kwam in 2022 vier keer samen." in text
    assert "W13 sloot in 2022 vier keer aan op Stuurgroep Digibanken Kortrijk." in text
    assert "W13 sloot in 2022 één keer aan op Regioraad." in text
    assert "ROSE algemene vergadering is in 2022 niet samengekomen (doel: 3)." in text
    assert "**Geannuleerd:** één keer." in text
    assert report.held_total == 20
    assert "tot nu toe" not in text


async def test_the_agenda_lists_the_topics_of_the_year_and_not_of_other_years(
    store_2022: Store,
) -> None:
    async with store_2022.sessions() as session:
        report = await load_report(session, year=2022, today=TODAY)
    sections = {s.body_id: s for p in report.pillars for s in p.bodies}
    assert [t for t, _ in sections["rose-actiegroep"].topics] == [
        "Beleidsnieuws",
        "Aanpak nieuwe oproep regie en verbreding naar werk",
        "Individueel maatwerk",
    ]
    assert sections["rose-actiegroep"].topics[0] == ("Beleidsnieuws", 2)
    assert [t for t, _ in sections["az-fabriek"].topics] == [
        "Financiële incentive voor doelgroepmedewerkers arbeidszorg"
    ]
    assert sections["az-fabriek"].dates == [dt.date(2022, 5, 31)]
    text = render_markdown(report)
    assert "- Beleidsnieuws (twee keer)" in text
    assert "Nota aan minister Crevits" not in text  # a 2021 meeting
    assert "31 mei 2022" in text  # dates in Dutch (Babel, nl_BE)


async def test_bodies_sit_under_the_pillars_of_the_plan_in_force_as_in_the_real_report(
    store_2022: Store,
) -> None:
    async with store_2022.sessions() as session:
        data = await year_data(session, year=2022)
    assert plan_in_force(data) is not None
    assert plan_in_force(data).id == "rose-2020"  # type: ignore[union-attr]
    report = build_report(data, today=TODAY)
    pillars = {p.title: [s.body_id for s in p.bodies] for p in report.pillars}
    for body in ("rose-algemene-vergadering", "rose-actiegroep", "lde-fabriek", "az-fabriek"):
        assert body in pillars[NETWERKING]
    for body in ("roa", "lerend-netwerk-trajectbegeleiders", "diensthoofdenoverleg"):
        assert body in pillars[LOKALE_SE]
    assert "overleg-w13-stam" not in {b for ids in pillars.values() for b in ids}  # from 2023
    text = render_markdown(report)
    assert text.index(f"## {NETWERKING}") < text.index("### ROSE-actiegroep")
    assert text.index("### ROSE-actiegroep") < text.index(f"## {LOKALE_SE}")
    assert text.index(f"## {LOKALE_SE}") < text.index("### Lerend netwerk trajectbegeleiders")
    assert "**Rol regie:** Faciliterende rol" in text  # not "Rol regie: Rol regie: ..."


async def test_a_later_year_follows_the_new_plan_and_its_cadence(store: Store) -> None:
    async with store.sessions() as session:
        await log_meeting(
            session,
            body_id="rose-actiegroep",
            date=dt.date(2023, 5, 4),
            status="held",
            topics=["Werking 2023"],
            source=Source(user_id=1),
        )
        await session.commit()
        data = await year_data(session, year=2023)
    assert plan_in_force(data).id == "wse-2023"  # type: ignore[union-attr]
    report = build_report(data, today=dt.date(2024, 2, 1))
    text = render_markdown(report)
    assert "ROSE-actiegroep kwam in 2023 één keer samen (doel: 4)." in text
    assert "LDE-fabriek" not in text  # stopped after 2022


async def test_the_current_year_is_reported_so_far(store: Store) -> None:
    async with store.sessions() as session:
        await log_meeting(
            session,
            body_id="roa",
            date=dt.date(2026, 2, 10),
            status="held",
            topics=["Jaarplanning"],
            source=Source(user_id=1),
        )
        await log_meeting(
            session,
            body_id="roa",
            date=dt.date(2026, 6, 10),
            status="planned",
            topics=["Zomer"],
            source=Source(user_id=1),
        )
        await session.commit()
        report = await load_report(session, year=2026, today=dt.date(2026, 3, 18))
    text = render_markdown(report)
    assert "kwam in 2026 tot nu toe één keer samen (doel: 4)." in text
    assert "**Nog gepland:** 10 juni 2026." in text
    [row] = [r for r in report.chart_rows if r.name.startswith("Regionaal Overleg")]
    assert (row.held, row.target) == (1, 4)
    assert (
        row.expected == 0
    )  # 18 March, 30 days of grace: nothing expected yet (bot.domain.cadence)


async def test_signals_of_the_year_come_with_addressee_and_status(store_2022: Store) -> None:
    async with store_2022.sessions() as session:
        report = await load_report(session, year=2022, today=TODAY)
    text = render_markdown(report)
    assert "Er werden in 2022 drie signalen genoteerd (één nieuw, één doorgegeven, " in text
    assert "ligt een stuk lager (aan: VDAB; status: doorgegeven)" in text
    assert "intervisie en opleiding (nog geen bestemmeling; status: nieuw)" in text


async def test_actions_and_partners_the_meetings_touched_are_listed(store_2022: Store) -> None:
    async with store_2022.sessions() as session:
        report = await load_report(session, year=2022, today=TODAY)
    codes = [a.code for a in report.actions]
    assert codes[0] == "1"
    assert "3.2" in codes  # arbeidszorg, via the AZ-fabriek
    partners = {p.name: p.bodies for p in report.partners}
    assert "AZ-fabriek" in partners["STAM"]
    assert "ROSE-actiegroep" in partners["VDAB"]


async def test_a_year_with_nothing_logged_gives_a_clear_message(store_2022: Store) -> None:
    async with store_2022.sessions() as session:
        with pytest.raises(ReportError) as caught:
            await load_report(session, year=2019, today=TODAY)
    assert "Voor 2019 is niets gelogd" in caught.value.dutch


async def test_the_chart_gets_held_against_target_per_body(store_2022: Store) -> None:
    seen: list[tuple[list[ChartRow], str]] = []

    def renderer(rows: Sequence[ChartRow], title: str) -> bytes:
        seen.append((list(rows), title))
        return _PNG

    made = await make_report(
        store_2022.sessions, year=2022, today=TODAY, fmt="docx", chart=renderer
    )
    [(rows, title)] = seen
    assert "2022" in title
    by_name = {r.name: r for r in rows}
    # As /grafiek draws it on 31/12/2022: held, the target in force, and the expectation of
    # bot.domain.cadence.
    assert by_name["ROSE-actiegroep"] == ("ROSE-actiegroep", 2, 6, 5)
    assert by_name["ROSE algemene vergadering"][1:3] == (0, 3)
    assert by_name["Lerend netwerk trajectbegeleiders"][1:3] == (4, 12)
    assert "AZ-fabriek" not in by_name  # no cadence: no bar, as on /grafiek
    assert "Stuurgroep Digibanken Kortrijk" not in by_name  # W13 only attends
    assert made.chart == _PNG


# --- the Word document ------------------------------------------------------------------------


async def test_the_docx_opens_again_with_headings_lists_and_the_chart(store_2022: Store) -> None:
    made = await make_report(store_2022.sessions, year=2022, today=TODAY, fmt="docx")
    assert made.filename == "jaarverslag-2022.docx"
    document = Document(io.BytesIO(made.content))
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == ["Jaarverslag 2022"]
    for heading in (NETWERKING, LOKALE_SE, "Vergaderingen tegenover doel", "Signalen"):
        assert heading in by_style["Heading 1"]
    for body in ("ROSE-actiegroep", "LDE-fabriek", "AZ-fabriek", "ROSE algemene vergadering"):
        assert body in by_style["Heading 2"]
    bullets = by_style["List Bullet"]
    assert "Beleidsnieuws (twee keer)" in bullets
    assert "Aanpak nieuwe oproep regie en verbreding naar werk" in bullets
    assert "Individueel maatwerk" in bullets
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Resultaat: ROSE-actiegroep kwam in 2022 twee keer samen (doel: 6)." in text
    assert "Resultaat: LDE-fabriek kwam in 2022 vier keer samen (doel: 6)." in text
    assert "ROSE algemene vergadering is in 2022 niet samengekomen" in text
    assert len(document.inline_shapes) == 1  # the chart
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Overlegorgaan", "Gehouden", "Doel"]
    assert ["ROSE-actiegroep", "2", "6"] in [[c.text for c in r.cells] for r in table.rows]
    assert document.core_properties.language == "nl-BE"


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice is not installed")
async def test_libreoffice_converts_the_docx_to_pdf(store_2022: Store, tmp_path: Path) -> None:
    made = await make_report(store_2022.sessions, year=2022, today=TODAY, fmt="docx")
    source = tmp_path / made.filename
    source.write_bytes(made.content)
    office = _office()
    assert office is not None
    proc = await asyncio.to_thread(
        subprocess.run,
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "jaarverslag-2022.pdf"
    assert pdf.exists(), proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


# --- bad input in the data --------------------------------------------------------------------


async def test_html_control_characters_and_very_long_topics_break_neither_format(
    store: Store,
) -> None:
    long_topic = "x" * 450 + " " + "lang onderwerp " * 3
    async with store.sessions() as session:
        await log_meeting(
            session,
            body_id="rose-actiegroep",
            date=dt.date(2022, 3, 1),
            status="held",
            topics=[
                "<script>alert('x')</script> & <b>vet</b>",
                "* geen lijst _ geen nadruk [link](http://x) # geen kop",
                "1. geen genummerde lijst",
                "- geen opsomming",
                long_topic,
                "stuur\x00teken\x0b erin",
            ],
            notes="Notitie met <i>html</i>\nover twee regels & een \x07 belletje",
            source=Source(user_id=1),
        )
        await session.commit()
        report = await load_report(session, year=2022, today=TODAY)
    text = render_markdown(report)
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "<b>" not in text
    assert "\\[link\\]" in text
    assert "- 1\\. geen genummerde lijst" in text
    assert "- \\- geen opsomming" in text
    assert "\x00" not in text
    assert "\x07" not in text
    made = render(report, "docx", chart=_no_chart)
    document = Document(io.BytesIO(made.content))
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "<script>alert('x')</script> & <b>vet</b>" in bullets  # plain text in Word
    assert "stuur teken erin" in bullets
    assert any(b.startswith("x" * 450) for b in bullets)
    assert any("over twee regels & een belletje" in b for b in bullets)


def test_markdown_escaping_leaves_ordinary_text_alone() -> None:
    assert md("Capacity building, doelgroepanalyse (2022)") == (
        "Capacity building, doelgroepanalyse (2022)"
    )
    assert md("a < b & c") == "a \\< b \\& c"
    assert md("1.1 samenwerking") == "1.1 samenwerking"


async def test_markdown_output_names_the_chart_file_when_there_is_one(store_2022: Store) -> None:
    made = await make_report(
        store_2022.sessions,
        year=2022,
        today=TODAY,
        fmt="md",
        chart=_no_chart,
        chart_name="jaarverslag-2022-grafiek.png",
    )
    text = made.content.decode("utf-8")
    assert text.startswith("# Jaarverslag 2022\n")
    assert "(<jaarverslag-2022-grafiek.png>)" in text
    assert "| ROSE-actiegroep | 2 | 6 |" in text


# --- `regiebot report` ------------------------------------------------------------------------


def _report_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="regiebot")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


def _settings(url: str) -> Settings:
    return Settings(database_url=url, kb_dir=DATA_DIR, telegram_base_url=None)


async def test_regiebot_report_writes_the_docx_and_markdown_with_its_chart(
    store_2022: Store, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "verslag.docx"
    args = _report_args("2022", "--output", str(target))
    assert await cmd_report(args, _settings(database_url)) == 0
    assert "ROSE-actiegroep" in "\n".join(p.text for p in Document(str(target)).paragraphs)
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {target}: jaarverslag 2022 (docx), 20 meetings held")
    markdown = tmp_path / "verslag.md"
    args = _report_args("2022", "--format", "md", "-o", str(markdown))
    assert await cmd_report(args, _settings(database_url)) == 0
    text = markdown.read_text("utf-8")
    assert "(<verslag-grafiek.png>)" in text
    assert (tmp_path / "verslag-grafiek.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("3000",), "3000 is in the future"),
        (("1899",), "1899 is too early"),
        (("twintig",), "'twintig' is not a year"),
        (("2019",), "nothing was logged for 2019 (no meetings or signals): no report to make"),
        (
            ("2022", "-o", "-", "--format", "docx"),
            "--output - (standard output) is for --format md",
        ),
        (("2022", "-o", "/nergens/verslag.docx"), "folder /nergens does not exist"),
    ],
)
async def test_regiebot_report_refuses_bad_input_with_one_line(
    store_2022: Store, database_url: str, argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CliError) as caught:
        await cmd_report(_report_args(*argv), _settings(database_url))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_regiebot_report_as_a_command_once_wired(cli_env: dict[str, str], tmp_path: Path) -> None:
    if " report " not in regiebot(cli_env, "--help").stdout:
        pytest.skip("`regiebot report` is not wired into bot/interface/cli.py yet")
    assert "3000 is in the future" in _one_line_error(regiebot(cli_env, "report", "3000"))
    empty = _one_line_error(regiebot(cli_env, "report", "2022", "-o", str(tmp_path / "x.docx")))
    assert "nothing was logged for 2022" in empty


def test_the_cli_offers_exactly_the_formats_the_report_can_write() -> None:
    from bot.interface.report_cli import FORMAT_CHOICES
    from bot.services.report import FORMATS

    assert tuple(FORMATS) == FORMAT_CHOICES


async def test_a_year_with_only_signals_still_gets_a_report(store: Store) -> None:
    async with store.sessions() as session:
        await record_signal(
            session,
            text="Wachtlijst kinderopvang",
            date=dt.date(2024, 9, 2),
            themes=[],
            source=Source(user_id=1),
        )
        await session.commit()
        report = await load_report(session, year=2024, today=dt.date(2025, 1, 10))
    text = render_markdown(report)
    assert "In 2024 werden geen vergaderingen gehouden; er werd in 2024 één signaal" in text
    assert report.summary == "geen vergaderingen, één signaal"
    assert "Geen overlegorgaan met een vergaderritme" not in text  # cadences apply in 2024
