"""/jaarverslag, /export, /mijngegevens, /geschiedenis and erasure through the Telegram fake."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.models import Meeting, Member
from tests.bot_harness import ADMIN_ID, Harness, close_harness, make_harness
from tests.conftest import ON_POSTGRES
from tests.fakes import DEFAULT_USER_ID, UploadedFile
from tests.report_fixtures import log_year_2022

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    h = await make_harness(database_url)
    try:
        yield h
    finally:
        await close_harness(h)


def _documents(h: Harness) -> list[tuple[UploadedFile, str]]:
    return [(c.files["document"], c.params.get("caption", "")) for c in h.api.calls_of(
        "sendDocument") if c.ok]  # fmt: skip


# --- /jaarverslag -----------------------------------------------------------------------------


async def test_jaarverslag_sends_the_year_as_a_word_document(bot: Harness) -> None:
    await log_year_2022(bot.regie.store)
    texts = await bot.say("/jaarverslag 2022")
    assert texts == []
    [(document, caption)] = _documents(bot)
    assert document.filename == "jaarverslag-2022.docx"
    assert "Jaarverslag 2022" in caption
    assert "20 vergaderingen" in caption
    opened = Document(io.BytesIO(document.content))
    text = "\n".join(p.text for p in opened.paragraphs)
    assert "ROSE-actiegroep kwam in 2022 twee keer samen (doel: 6)." in text
    assert not bot.errors()


async def test_jaarverslag_in_markdown_on_request(bot: Harness) -> None:
    await log_year_2022(bot.regie.store)
    await bot.say("/jaarverslag md 2022")
    [(document, _)] = _documents(bot)
    assert document.filename == "jaarverslag-2022.md"
    assert "LDE-fabriek kwam in 2022 vier keer samen (doel: 6)." in document.content.decode()
    assert not bot.errors()


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/jaarverslag 3000", "3000 ligt in de toekomst: kies een jaar tussen 2000 en 2026."),
        ("/jaarverslag 1899", "1899 is te vroeg: kies een jaar tussen 2000 en 2026."),
        ("/jaarverslag vorig", "'vorig' is geen jaartal. Gebruik bv. /jaarverslag 2025."),
        ("/jaarverslag 2021 2022", "Geef één jaar, bv. /jaarverslag 2022"),
        ("/jaarverslag 2019", "Voor 2019 is niets gelogd (geen vergaderingen of signalen)"),
        ("/jaarverslag", "Voor 2025 is niets gelogd"),
    ],
)
async def test_jaarverslag_for_an_impossible_or_empty_year_answers_in_dutch(
    bot: Harness, command: str, answer: str
) -> None:
    await log_year_2022(bot.regie.store)
    [text] = await bot.say(command)
    assert answer in text
    assert _documents(bot) == []
    assert not bot.errors()


async def test_html_in_topics_is_escaped_in_the_caption_and_harmless_in_the_file(
    bot: Harness,
) -> None:
    # Tags are dropped from what is typed (issue 12); angle brackets that are no tag stay and
    # are escaped in the file.
    await bot.say("/vergadering ROA 02/03/2026 <b>vet</b> & <script>x</script>, 3 < 5 > 1")
    await bot.say("/jaarverslag 2026 md")
    [(document, caption)] = _documents(bot)
    assert "tussentijds" in caption
    content = document.content.decode()
    assert "<b>" not in content
    assert "<script>" not in content
    assert "3 \\< 5 \\> 1" in content
    assert not bot.errors()


# --- /export ----------------------------------------------------------------------------------


async def test_export_is_refused_to_members_who_are_not_admins(bot: Harness) -> None:
    [text] = await bot.say("/export")
    assert text == "Enkel beheerders kunnen een export opvragen."
    assert _documents(bot) == []


async def test_export_sends_an_admin_the_zip_with_json_and_csv_tables(bot: Harness) -> None:
    await log_year_2022(bot.regie.store)
    await bot.say("/export", user_id=ADMIN_ID)
    [(document, caption)] = _documents(bot)
    assert document.filename == "regiebot-export-2026-03-18.zip"
    assert "23 vergaderingen" in caption
    with zipfile.ZipFile(io.BytesIO(document.content)) as archive:
        data = json.loads(archive.read("regiebot-export.json"))
        assert len(data["meetings"]) == 23
        meetings_csv = archive.read("meetings.csv")
    assert meetings_csv.startswith(b"\xef\xbb\xbfid;")
    assert not bot.errors()


async def test_export_and_mijngegevens_never_go_into_a_group(bot: Harness) -> None:
    [text] = await bot.say("/export", user_id=ADMIN_ID, chat_type="group")
    assert "privégesprek" in text
    [text] = await bot.say("/mijngegevens", chat_type="group")
    assert "privégesprek" in text
    assert _documents(bot) == []
    assert not bot.errors()


# --- /mijngegevens ----------------------------------------------------------------------------


async def test_mijngegevens_sends_a_summary_and_everything_as_json(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    await bot.say("/signaal instroom ligt lager")
    texts = await bot.say("/mijngegevens")
    [summary] = texts
    assert "Wat regiebot over jou bewaart" in summary
    assert "• Één vergadering en één signaal door jou gelogd." in summary
    assert "• Drie berichten van jou in de inbox" in summary
    [(document, _)] = _documents(bot)
    assert document.filename == f"mijngegevens-{DEFAULT_USER_ID}.json"
    data = json.loads(document.content)
    assert data["telegram_id"] == DEFAULT_USER_ID
    assert [m["topics"] for m in data["meetings_logged"]] == [["capacity building"]]
    assert len(data["inbox_updates"]) == 3
    assert not bot.errors()


# --- /geschiedenis ----------------------------------------------------------------------------


async def test_geschiedenis_shows_who_changed_what_and_when(bot: Harness) -> None:
    await bot.say("/vergadering ROA 15/03/2026 capacity building")
    await bot.say("/wijzig datum 12/03/2026")
    [text] = await bot.say("/geschiedenis vergadering 1")
    assert "Geschiedenis van vergadering nr. 1" in text
    lines = text.splitlines()
    assert lines[1].startswith("• 18/03/2026 ") or lines[1].startswith("• ")
    assert f"lid {DEFAULT_USER_ID}: aangemaakt" in text
    assert "datum: 15/03/2026" in text
    assert "overlegorgaan: Regionaal Overleg Activering (ROA)" in text
    assert "gewijzigd" in text
    assert "datum: 15/03/2026 → 12/03/2026" in text
    [same] = await bot.say("/geschiedenis 1")
    assert same == text
    assert not bot.errors()


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/geschiedenis signaal 99", "Geen geschiedenis gevonden voor signaal nr. 99."),
        ("/geschiedenis 42", "Geen geschiedenis gevonden voor vergadering nr. 42."),
        ("/geschiedenis", "Gebruik: /geschiedenis vergadering 12"),
        ("/geschiedenis vergadering <b>", "Gebruik: /geschiedenis vergadering 12"),
        ("/geschiedenis 99999999999999999999", "Gebruik: /geschiedenis vergadering 12"),
    ],
)
async def test_geschiedenis_of_an_unknown_entry_answers_in_dutch(
    bot: Harness, command: str, answer: str
) -> None:
    [text] = await bot.say(command)
    assert answer in text
    assert not bot.errors()


# --- erasure: /lid wis <id> ---------------------------------------------------------------------


def _database_bytes(url: str) -> bytes:
    path = Path(str(make_url(url).database))
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


async def test_an_admin_erases_a_member_and_their_entries_stay_as_verwijderd_lid(
    bot: Harness, database_url: str
) -> None:
    name = "Jozefien Vermeulen-Dewaele"
    await bot.say(f"/lid {DEFAULT_USER_ID} {name}", user_id=ADMIN_ID)
    await bot.say("/vergadering ROA 15/03/2026 capacity building", username="jozefien_vd")
    await bot.say(f"/signaal {name} meldt: instroom ligt lager", username="jozefien_vd")
    [text] = await bot.say(f"/lid wis {DEFAULT_USER_ID}", user_id=ADMIN_ID)
    assert f"Lid {DEFAULT_USER_ID} gewist" in text
    assert "één vergadering en één signaal blijven bewaard onder 'verwijderd lid'" in text
    assert "REGIEBOT_ALLOWED_USERS" in text  # still allowed by the configuration
    async with bot.regie.store.sessions() as session:
        assert await session.get(Member, DEFAULT_USER_ID) is None
        [meeting] = (await session.scalars(select(Meeting))).all()
    assert meeting.logged_by is None
    [history] = await bot.say("/geschiedenis 1", user_id=ADMIN_ID)
    assert "verwijderd lid: aangemaakt" in history
    assert name not in json.dumps(bot.regie.snapshot, ensure_ascii=False)
    if not ON_POSTGRES:
        raw = _database_bytes(database_url).lower()
        for secret in (b"jozefien", b"vermeulen-dewaele"):
            assert secret not in raw
    assert not bot.errors()


async def test_erasure_is_for_admins_and_for_someone_known(bot: Harness) -> None:
    [text] = await bot.say("/lid wis 5")
    assert text == "Enkel beheerders kunnen leden toevoegen of verwijderen."
    [text] = await bot.say("/lid wis", user_id=ADMIN_ID)
    assert text.startswith("Gebruik: /lid wis")
    [text] = await bot.say("/lid wis 4040", user_id=ADMIN_ID)
    assert text == "Over 4040 is niets opgeslagen: er valt niets te wissen."
    assert not bot.errors()
