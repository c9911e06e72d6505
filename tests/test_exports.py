"""The export ZIP (JSON plus CSV tables for Excel) and importing exports back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.entries import Source, add_member, log_meeting, record_signal
from storage.errors import ImportFileError
from storage.models import Meeting, Plan
from storage.store import Store
from storage.transfer import (
    CSV_TABLES,
    EXPORT_JSON_NAME,
    export_store,
    export_zip,
    import_store,
    read_csv_table,
    read_export_zip,
    table_csv,
)
from tests.report_fixtures import log_year_2022
from tests.test_cli import _one_line_error, regiebot

TRICKY_TOPICS = [
    "=SUM(A1:A3) geen formule",
    "capacity building; doelgroepanalyse",
    'een "aanhalingsteken" en een ; puntkomma',
    "-min en +plus vooraan",
    "'apostrof vooraan",
    "één, twee, drie: ü ç é",
]


async def _tricky_store(store: Store) -> None:
    await log_year_2022(store)
    async with store.sessions() as session:
        await add_member(session, telegram_id=5551234, name="@Anja; De Smet", role="member",
                         actor=777)  # fmt: skip
        await log_meeting(
            session,
            body_id="roa",
            date=dt.date(2024, 2, 6),
            status="held",
            topics=TRICKY_TOPICS,
            notes='Eerste regel\nTweede regel met ; en "quotes"\n=1+1',
            attendees=["vdab", "stam"],
            source=Source(user_id=5551234, chat_id=-1001234567890, message_id=9),
        )
        await record_signal(
            session,
            text="+32 470 00 00 00 belt niet terug",
            date=dt.date(2024, 2, 7),
            themes=["mobiliteit"],
            source=Source(user_id=5551234),
        )
        await session.commit()


def _sub(records: list[dict[str, object]], table: str) -> list[dict[str, object]]:
    names = [name for name, _ in CSV_TABLES[table]]
    return [{n: r.get(n) for n in names} for r in records]


async def test_the_zip_holds_the_json_and_one_excel_csv_per_table(store: Store) -> None:
    await _tricky_store(store)
    async with store.sessions() as session:
        data = await export_store(session)
    content = export_zip(data)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        assert names == {EXPORT_JSON_NAME} | {f"{t}.csv" for t in CSV_TABLES}
        assert set(CSV_TABLES) == {
            "meetings", "signals", "bodies", "actions", "partners", "members",
        }  # fmt: skip
        assert json.loads(archive.read(EXPORT_JSON_NAME)) == data
        meetings_csv = archive.read("meetings.csv")
    assert meetings_csv.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads é right
    text = meetings_csv.decode("utf-8-sig")
    header = text.split("\r\n", 1)[0]
    assert header.startswith("id;title;date;body;status;topics;")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert len(rows) == len(data["meetings"])
    tricky = next(r for r in rows if "capacity building; doelgroepanalyse" in r["topics"])
    assert tricky["attendees"] == "stam, vdab"
    # A cell Excel would run as a formula starts with ' (taken off again when read back).
    assert tricky["topics"].startswith("'=SUM(A1:A3) geen formule\ncapacity building; ")
    assert tricky["source_chat_id"] == "-1001234567890"  # numbers stay numbers


async def test_every_table_survives_the_csv_round_trip(store: Store) -> None:
    await _tricky_store(store)
    async with store.sessions() as session:
        data = await export_store(session)
    for table in CSV_TABLES:
        records = list(data[table])
        assert records, table
        back = read_csv_table(table, table_csv(table, records))
        assert back == _sub(records, table), table
    members = read_csv_table("members", table_csv("members", data["members"]))
    assert members[0]["name"] == "@Anja; De Smet"
    [signal] = [s for s in read_csv_table("signals", table_csv("signals", data["signals"]))
                if s["text"].startswith("+32")]  # fmt: skip
    assert signal["themes"] == ["mobiliteit"]


async def test_the_json_in_the_zip_imports_into_an_empty_store_without_loss(
    store: Store, databases: object
) -> None:
    await _tricky_store(store)
    async with store.sessions() as session:
        data = await export_store(session)
    loaded, tables = read_export_zip(export_zip(data))
    assert tables["meetings"] == _sub(data["meetings"], "meetings")
    other_url = await databases.new()  # type: ignore[attr-defined]
    other = await Store.open(other_url, migrate=True, seed_kb=False)
    try:
        async with other.sessions() as session:
            counts = await import_store(session, loaded, origin="zip")
            await session.commit()
        assert counts["meetings"] == len(data["meetings"])
        async with other.sessions() as session:
            again = await export_store(session)
    finally:
        await other.close()
    assert again == data


def test_a_file_that_is_not_an_export_zip_is_refused() -> None:
    with pytest.raises(ImportFileError):
        read_export_zip(b"PK\x03\x04 not really a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.txt", "hallo")
    with pytest.raises(ImportFileError, match="not a regiebot export ZIP"):
        read_export_zip(buffer.getvalue())
    with pytest.raises(ImportFileError, match="unexpected columns"):
        read_csv_table("members", "naam;rol\r\nAnja;lid\r\n".encode("utf-8-sig"))


async def test_a_foreign_json_is_refused_and_changes_nothing(store: Store) -> None:
    async with store.sessions() as session:
        with pytest.raises(ImportFileError, match="not a regiebot export"):
            await import_store(session, {"hello": "world"}, origin="foreign.json")
        with pytest.raises(ImportFileError, match="not a regiebot export"):
            await import_store(session, [1, 2, 3], origin="list.json")


async def _empty_user_tables(url: str) -> tuple[int, int]:
    s = await Store.open(url, migrate=True, seed_kb=False)
    try:
        async with s.sessions() as session:
            plans = await session.scalar(select(func.count()).select_from(Plan))
            meetings = await session.scalar(select(func.count()).select_from(Meeting))
    finally:
        await s.close()
    return int(plans or 0), int(meetings or 0)


async def test_a_truncated_export_is_a_one_line_error_and_imports_nothing(
    cli_env: dict[str, str], tmp_path: Path, databases_sync_url: str
) -> None:
    dump = tmp_path / "dump.json"
    proc = regiebot(cli_env, "export", "--json", "--output", str(dump))
    assert proc.returncode == 0, proc.stderr
    raw = dump.read_text("utf-8")
    truncated = tmp_path / "truncated.json"
    truncated.write_text(raw[: len(raw) // 2], "utf-8")
    other_env = {**cli_env, "DATABASE_URL": databases_sync_url}
    assert "not valid JSON" in _one_line_error(regiebot(other_env, "import", str(truncated)))
    assert await _empty_user_tables(databases_sync_url) == (0, 0)


async def test_an_export_with_a_broken_record_imports_nothing_at_all(
    cli_env: dict[str, str], tmp_path: Path, databases_sync_url: str
) -> None:
    dump = tmp_path / "dump.json"
    assert regiebot(cli_env, "export", "--json", "--output", str(dump)).returncode == 0
    data = json.loads(dump.read_text("utf-8"))
    data["meetings"] = [
        {"id": 1, "body": "bestaat-niet", "date": "2022-03-17", "status": "held", "topics": []}
    ]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), "utf-8")
    other_env = {**cli_env, "DATABASE_URL": databases_sync_url}
    last = _one_line_error(regiebot(other_env, "import", str(broken)))
    assert "unknown body 'bestaat-niet'" in last
    assert await _empty_user_tables(databases_sync_url) == (0, 0)  # not even the plans


async def test_the_zip_itself_given_to_import_is_a_one_line_error(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(export_zip({"format": "regiebot-export", "meetings": []}))
    last = _one_line_error(regiebot(cli_env, "import", str(archive)))
    assert str(archive) in last
