"""The year 2022 as the team's jaarverslag 2022 reports it, logged into a store.

Counts and agenda topics come from the report's own text (seed 002): the actiegroep ROSE met
twice (beleidsnieuws, the new call for the regie and its widening to werk, individueel
maatwerk), the LDE-fabriek four times, the AZ-fabriek once, the lerend netwerk
trajectbegeleiders four times, ROA at least four times, W13 joined the stuurgroep Digibanken
four times and the regioraad once; the algemene vergadering did not take place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.entries import Source, log_meeting, record_signal, update_signal
from storage.store import Store

USER = 424242  # tests.fakes.DEFAULT_USER_ID: the member who logged the year

MEETINGS_2022: list[dict[str, Any]] = [
    {"body": "rose-actiegroep", "date": "2022-03-17",
     "topics": ["Beleidsnieuws", "Aanpak nieuwe oproep regie en verbreding naar werk"],
     "attendees": ["vdab"]},
    {"body": "rose-actiegroep", "date": "2022-10-13",
     "topics": ["Beleidsnieuws", "Individueel maatwerk"],
     "notes": "Klankbord voor sociale economiebedrijven; informatie delen en aftoetsen."},
    {"body": "lde-fabriek", "date": "2022-02-08",
     "topics": ["Impact van individueel maatwerk op LDE-initiatieven"]},
    {"body": "lde-fabriek", "date": "2022-04-26",
     "topics": ["Individueel maatwerk", "Lokaal aanvullende dienstverlening"]},
    {"body": "lde-fabriek", "date": "2022-09-20",
     "topics": ["Regionale visie over aanvullende dienstverlening"]},
    {"body": "lde-fabriek", "date": "2022-11-29",
     "topics": ["Werkgroep aanvullende dienstverlening"],
     "notes": "Door het individueel maatwerk zal de LDE-fabriek niet meer relevant zijn. "
              "In 2023 zullen we niet meer samen komen met dit netwerk."},
    {"body": "az-fabriek", "date": "2022-05-31",
     "topics": ["Financiële incentive voor doelgroepmedewerkers arbeidszorg"],
     "notes": "Het thema overschrijdt de regio: niet verder op inzetten, tenzij er zich "
              "nieuwe beleidsontwikkelingen voordoen.",
     "attendees": ["stam"]},
    {"body": "lerend-netwerk-trajectbegeleiders", "date": "2022-01-25",
     "topics": ["Intervisie"]},
    {"body": "lerend-netwerk-trajectbegeleiders", "date": "2022-04-19",
     "topics": ["Afstemming rond art. 60 met VDAB"], "attendees": ["vdab"]},
    {"body": "lerend-netwerk-trajectbegeleiders", "date": "2022-09-13",
     "topics": ["Regionaal kader rond TWE art. 60"]},
    {"body": "lerend-netwerk-trajectbegeleiders", "date": "2022-12-06",
     "topics": ["Voorstel visie en afspraken binnen de regio"]},
    {"body": "roa", "date": "2022-02-15", "topics": ["Capacity building"]},
    {"body": "roa", "date": "2022-05-10", "topics": ["Regionale analyse van de doelgroep"]},
    {"body": "roa", "date": "2022-09-06",
     "topics": ["Samenwerkingsovereenkomst VDAB - lokale besturen"]},
    {"body": "roa", "date": "2022-11-22", "topics": ["Prioriteiten actieplan 2023"]},
    {"body": "stuurgroep-digibank", "date": "2022-03-01", "topics": ["Digitaal aanbod"]},
    {"body": "stuurgroep-digibank", "date": "2022-06-07", "topics": ["Digitaal aanbod"]},
    {"body": "stuurgroep-digibank", "date": "2022-09-27", "topics": ["Digitalisering"]},
    {"body": "stuurgroep-digibank", "date": "2022-12-13", "topics": ["Evaluatie"]},
    {"body": "regioraad", "date": "2022-10-04",
     "topics": ["LDE in kader van individueel maatwerk"]},
    # "Wegens personeelswissels is het in 2022 niet gelukt om de algemene vergadering te laten
    # plaatsvinden": planned, then cancelled.
    {"body": "rose-algemene-vergadering", "date": "2022-06-21", "status": "cancelled",
     "topics": ["Algemene vergadering"]},
    # 2021, which the 2022 report must leave out: the AZ-fabriek met twice that year.
    {"body": "az-fabriek", "date": "2021-03-09", "topics": ["Nota aan minister Crevits"]},
    {"body": "az-fabriek", "date": "2021-10-12", "topics": ["Financiële incentive"]},
]  # fmt: skip

SIGNALS_2022: list[dict[str, Any]] = [
    {"date": "2022-03-17", "text": "De instroom van doelgroepmedewerkers ligt een stuk lager",
     "themes": [], "addressee": "VDAB", "status": "doorgegeven"},
    {"date": "2022-05-31",
     "text": "Geen financiële incentive meer voor doelgroepmedewerkers arbeidszorg",
     "themes": [], "addressee": "minister van Werk", "status": "beantwoord"},
    {"date": "2022-11-08", "text": "AZ-initiatieven vragen intervisie en opleiding",
     "themes": [], "addressee": None, "status": "nieuw"},
]  # fmt: skip


async def log_year_2022(store: Store, *, user_id: int = USER) -> None:
    """Log the meetings and signals of the jaarverslag 2022 as user_id."""
    async with store.sessions() as session:
        for n, rec in enumerate(MEETINGS_2022, start=1):
            await log_meeting(
                session,
                body_id=rec["body"],
                date=dt.date.fromisoformat(rec["date"]),
                status=rec.get("status", "held"),
                topics=list(rec["topics"]),
                notes=rec.get("notes"),
                attendees=rec.get("attendees"),
                source=Source(user_id=user_id, chat_id=user_id, message_id=n),
            )
        for n, rec in enumerate(SIGNALS_2022, start=1000):
            stored = await record_signal(
                session,
                text=rec["text"],
                date=dt.date.fromisoformat(rec["date"]),
                themes=rec["themes"],
                source=Source(user_id=user_id, chat_id=user_id, message_id=n),
            )
            if rec["status"] != "nieuw" or rec["addressee"]:
                await update_signal(
                    session,
                    stored.id,
                    actor=user_id,
                    addressee=rec["addressee"],
                    status=rec["status"],
                )
        await session.commit()
