"""The jaarverslag of a year with 10^4 meetings on SQLite: print medians (issue 7).

In-process (gather, render, the whole report) and as a whole process: `regiebot report YEAR`
on the same file, Python start-up and imports included. Target on this 2-core machine: one
report (gather + render, chart included) <= 5 s. Printed, never asserted.
    .venv/bin/python benchmarks/report_bench.py [--meetings 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select  # noqa: E402
from whole_process import REGIEBOT, Sample, clean_env, measure, median_mib, median_seconds  # noqa: E402

from bot.config import DEFAULT_KB_DIR  # noqa: E402
from bot.services.report import load_report, make_report, render  # noqa: E402
from storage.models import Body, Meeting, MeetingAttendee, Partner, Signal  # noqa: E402
from storage.store import Store  # noqa: E402

YEAR = 2022
TODAY = dt.date(2023, 1, 20)
WORDS = (
    "individueel maatwerk", "beleidsnieuws", "capacity building", "mobiliteit", "taal",
    "doorstroom", "arbeidszorg", "LDE", "wijk-werken", "art. 60", "samenwerkingsovereenkomst",
    "jongeren", "kinderopvang", "digitalisering", "aanvullende dienstverlening", "intervisie",
    "signalen", "actieplan", "evaluatie", "vorming", "werkplekleren", "sociale economie",
)  # fmt: skip


async def fill(
    store: Store,
    meetings: int,
    signals: int,
    *,
    first: dt.date = dt.date(YEAR, 1, 1),
    days: int = 365,
) -> None:
    """Bulk-insert meetings and signals dated from `first` over `days` days (process_bench too).

    Meeting ids are numbered from 1: for a store that has no meetings yet.
    """
    rng = random.Random(7)
    async with store.sessions() as session:
        bodies = list((await session.scalars(select(Body.id))).all())
        partners = list((await session.scalars(select(Partner.id))).all())
        rows = []
        for i in range(meetings):
            topics = [
                f"{rng.choice(WORDS)} {rng.choice(WORDS)} ({rng.randint(1, 40)})"
                for _ in range(rng.randint(1, 4))
            ]
            rows.append(
                {
                    "id": i + 1,
                    "body_id": rng.choice(bodies),
                    "date": first + dt.timedelta(days=rng.randrange(days)),
                    "status": rng.choices(("held", "planned", "cancelled"), (90, 5, 5))[0],
                    "topics": topics,
                    "notes": f"Notitie {i}: " + " ".join(rng.choices(WORDS, k=12))
                    if rng.random() < 0.2
                    else None,
                    "logged_by": 1000 + rng.randrange(8),
                }
            )
        await session.execute(insert(Meeting), rows)
        links = {(m["id"], p) for m in rows if rng.random() < 0.3 for p in rng.sample(partners, 2)}
        await session.execute(
            insert(MeetingAttendee), [{"meeting_id": m, "partner_id": p} for m, p in links]
        )
        await session.execute(
            insert(Signal),
            [
                {
                    "text": "Signaal " + " ".join(rng.choices(WORDS, k=8)),
                    "date": first + dt.timedelta(days=rng.randrange(days)),
                    "status": rng.choice(("nieuw", "doorgegeven", "beantwoord", "afgesloten")),
                    "addressee": rng.choice((None, "VDAB", "minister van Werk")),
                    "logged_by": 1000,
                }
                for _ in range(signals)
            ],
        )
        await session.commit()


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s"


async def bench(meetings: int, signals: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'report.sqlite3'}"
        store = await Store.open(url, kb_dir=DEFAULT_KB_DIR, migrate=True)
        t0 = time.perf_counter()
        await fill(store, meetings, signals)
        elapsed = time.perf_counter() - t0
        print(f"filled {meetings} meetings and {signals} signals in {YEAR}: {elapsed:.1f} s")
        timings: dict[str, list[float]] = {k: [] for k in (
            "gather (queries + build)", "markdown (render)", "docx (render, chart included)",
            "whole md report", "whole docx report")}  # fmt: skip
        size = 0
        for _ in range(runs):
            t = time.perf_counter()
            async with store.sessions() as session:
                report = await load_report(session, year=YEAR, today=TODAY)
            timings["gather (queries + build)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render(report, "md")
            timings["markdown (render)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render(report, "docx")
            timings["docx (render, chart included)"].append(time.perf_counter() - t)
            for fmt in ("md", "docx"):
                t = time.perf_counter()
                made = await make_report(store.sessions, year=YEAR, today=TODAY, fmt=fmt)
                timings[f"whole {fmt} report"].append(time.perf_counter() - t)
                size = len(made.content) if fmt == "docx" else size
        await store.close()
        whole: dict[str, list[Sample]] = {"docx": [], "md": []}
        env = clean_env(Path(tmp), url)
        for _ in range(runs):
            for fmt in whole:
                out = str(Path(tmp) / f"jaarverslag.{fmt}")
                argv = [REGIEBOT, "report", str(YEAR), "--format", fmt, "--output", out]
                whole[fmt].append(measure(argv, env, Path(tmp)))
    print(
        f"report of {YEAR}: {report.held_total} held meetings, {len(report.signals)} signals "
        f"listed, docx {size / 1024:.0f} KiB; median of {runs} runs (target <= 5 s)"
    )
    for key, values in timings.items():
        print(f"  {key:<32} {median(values)}")
    for fmt, samples in whole.items():
        print(
            f"  {f'regiebot report {YEAR} ({fmt})':<32} {median_seconds(samples):.2f} s"
            f"   (whole process, peak RSS {median_mib(samples):.0f} MiB)"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=10_000)
    ap.add_argument("--signals", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    asyncio.run(bench(args.meetings, args.signals, args.runs))


if __name__ == "__main__":
    main()
