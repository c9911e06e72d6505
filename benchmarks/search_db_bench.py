"""Search as the bot runs it: logged entries searched in the database, beside SQLite FTS5.

    python benchmarks/search_db_bench.py [--sizes 10000 100000] [--questions 300]

For each N, a fresh SQLite store (migrated, seeded from data/) gets N synthetic meetings and
signals (search_synthetic.py) inserted in bulk; `Regie.open` then indexes them in the
database once (timed: what the first start after the upgrade to revision 0006 pays). The
questions are then answered with `Regie.ask` (the knowledge base in memory, the logs read per
question from the database's index), snippets of the shown hits included, and the same
questions against SQLite FTS5 over the same texts (AND of the words, bm25, 10 per kind).
Figures only; nothing is asserted. Issue 13's target: p99 at 10^5 at or below FTS5's AND p99.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_bench import Fts5  # noqa: E402
from search_synthetic import synthetic_logs, synthetic_questions  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.config import DEFAULT_KB_DIR, Settings  # noqa: E402
from bot.services.core import Regie  # noqa: E402
from storage.models import Meeting, MeetingAttendee, Signal, SignalTheme  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.search_fixtures import TODAY, load_snapshot  # noqa: E402


async def fill(url: str, meetings: list[dict[str, Any]], signals: list[dict[str, Any]]) -> None:
    store = await Store.open(url, kb_dir=DEFAULT_KB_DIR, migrate=True)
    now = dt.datetime.now(dt.UTC)
    try:
        async with store.sessions() as session:
            await session.execute(
                insert(Meeting),
                [
                    {
                        "id": m["id"],
                        "body_id": m["body"],
                        "date": dt.date.fromisoformat(m["date"]),
                        "status": m["status"],
                        "topics": m["topics"],
                        "notes": m["notes"],
                        "created_at": now,
                    }
                    for m in meetings
                ],
            )
            links = [
                {"meeting_id": m["id"], "partner_id": p} for m in meetings for p in m["attendees"]
            ]
            if links:
                await session.execute(insert(MeetingAttendee), links)
            await session.execute(
                insert(Signal),
                [
                    {
                        "id": s["id"],
                        "text": s["text"],
                        "date": dt.date.fromisoformat(s["date"]),
                        "source_body_id": s["source_body"],
                        "source_partner_id": s["source_partner"],
                        "addressee": s["addressee"] or None,
                        "status": s["status"],
                        "created_at": now,
                    }
                    for s in signals
                ],
            )
            themes = [{"signal_id": s["id"], "theme_id": t} for s in signals for t in s["themes"]]
            if themes:
                await session.execute(insert(SignalTheme), themes)
            await session.commit()
    finally:
        await store.close()


def percentiles(spent: list[float]) -> tuple[float, float]:
    spent = sorted(spent)
    return statistics.median(spent), spent[min(len(spent) - 1, int(len(spent) * 0.99))]


async def measure(n: int, questions: list[str], snapshot: dict[str, Any]) -> None:
    meetings, signals = synthetic_logs(snapshot, n)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await fill(url, meetings, signals)
        settings = Settings(database_url=url, kb_dir=DEFAULT_KB_DIR, telegram_base_url=None)
        start = time.perf_counter()
        regie = await Regie.open(settings, clock=lambda: dt.datetime.combine(TODAY, dt.time(10)))
        first_open = time.perf_counter() - start
        start = time.perf_counter()
        await regie.close()
        regie = await Regie.open(settings, clock=lambda: dt.datetime.combine(TODAY, dt.time(10)))
        later_open = time.perf_counter() - start
        try:
            for question in questions[:20]:
                await regie.ask(question)
            spent = []
            for question in questions:
                begin = time.perf_counter()
                answer = await regie.ask(question)
                for kind in ("meetings", "signals"):
                    for hit in answer.hits(kind)[:3]:
                        hit.detail()  # the snippet, as the chat shows the first hits
                spent.append((time.perf_counter() - begin) * 1000)
        finally:
            await regie.close()
    fts = Fts5({**snapshot, "meetings": meetings, "signals": signals})
    and_spent, or_spent = [], []
    for question in questions:
        for joiner, bucket in (("AND", and_spent), ("OR", or_spent)):
            begin = time.perf_counter()
            fts.ask(question, joiner)
            bucket.append((time.perf_counter() - begin) * 1000)
    ours = percentiles(spent)
    fts_and, fts_or = percentiles(and_spent), percentiles(or_spent)
    print(
        f"N={n:>7}: first open (indexes the logs once) {first_open:6.1f} s, later open "
        f"{later_open:5.2f} s\n"
        f"           regiebot ask (database)  median {ours[0]:6.2f} ms  p99 {ours[1]:6.2f} ms\n"
        f"           SQLite FTS5 AND          median {fts_and[0]:6.2f} ms  "
        f"p99 {fts_and[1]:6.2f} ms   ratio of p99 {ours[1] / fts_and[1]:.2f}\n"
        f"           SQLite FTS5 OR           median {fts_or[0]:6.2f} ms  p99 {fts_or[1]:6.2f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    snapshot = load_snapshot()
    questions = synthetic_questions(snapshot, args.questions)
    print("search with the logs in the database (2 cores; figures only)")
    for n in args.sizes:
        asyncio.run(measure(n, questions, snapshot))


if __name__ == "__main__":
    main()
