"""Cadence status for every body on SQLite: 10^3 bodies / 10^5 meetings and 10^4 / 10^6 (issue 6).

Target on this 2-core machine: status for 10^4 bodies with 10^6 meetings in <= 1 s, with
aggregate queries (never one query per body). Prints medians and how they grow; never asserted.
    .venv/bin/python benchmarks/reminder_bench.py [--runs 5] [--sizes 1000:100000,10000:1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.services.status import build_status  # noqa: E402
from storage.store import Store  # noqa: E402

ON = dt.date(2026, 6, 17)
FIRST = dt.date(2020, 1, 1)


def fill(path: Path, bodies: int, meetings: int, seed: int = 6) -> float:
    """Bulk-load bodies, cadences and meetings with the plain sqlite3 module; seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    # Indexes are rebuilt once after the load: much faster than updating them row by row.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meetings'"
        " AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    roles = ["trekker", "facilitator", "participant", "extern"]
    conn.executemany(
        "INSERT INTO bodies (id, name, role, active_from, active_until, grace_days, aliases,"
        " sources, retired) VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', 0)",
        [
            (
                f"b{i:05d}",
                f"Orgaan {i:05d}",
                roles[i % 4] if i % 10 else "trekker",
                2020,
                2022 if i % 97 == 0 else None,  # a few stopped
                15 if i % 13 == 0 else None,
            )
            for i in range(bodies)
        ],
    )
    conn.executemany(
        "INSERT INTO cadences (body_id, from_year, per_year, source) VALUES (?, ?, ?, 'bench')",
        [(f"b{i:05d}", year, n) for i in range(bodies) for year, n in ((2020, 6), (2023, 4))],
    )
    span = (ON - FIRST).days
    statuses = ["held"] * 8 + ["planned", "cancelled"]
    created = "2026-06-01 00:00:00.000000"
    conn.executemany(
        "INSERT INTO meetings (body_id, date, status, topics, created_at)"
        " VALUES (?, ?, ?, '[]', ?)",
        (
            (
                f"b{rng.randrange(bodies):05d}",
                (FIRST + dt.timedelta(days=rng.randrange(span + 200))).isoformat(),
                rng.choice(statuses),
                created,
            )
            for _ in range(meetings)
        ),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def measure(tmp: Path, bodies: int, meetings: int, runs: int) -> dict[str, float]:
    path = tmp / f"bench_{bodies}_{meetings}.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await (await Store.open(url, migrate=True, seed_kb=False)).close()  # schema only
    load = fill(path, bodies, meetings)
    store = await Store.open(url, seed_kb=False)
    try:
        report = await build_status(store, on=ON)  # warm-up: connection, caches
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            report = await build_status(store, on=ON)
            times.append(time.perf_counter() - t0)
    finally:
        await store.close()
    return {
        "load": load,
        "median": statistics.median(times),
        "max": max(times),
        "rows": float(len(report.rows)),
        "behind": float(len(report.behind)),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000:100000,10000:100000,10000:1000000")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in pair.split(":")) for pair in args.sizes.split(",")]
    results: list[tuple[int, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for bodies, meetings in sizes:
            figures = await measure(Path(tmp), bodies, meetings, args.runs)
            results.append((bodies, meetings, figures))
            print(
                f"{bodies:>6} bodies {meetings:>8} meetings: status median "
                f"{figures['median'] * 1000:7.1f} ms (max {figures['max'] * 1000:.1f} ms, "
                f"{args.runs} runs); {int(figures['rows'])} bodies with a cadence, "
                f"{int(figures['behind'])} behind; bulk load {figures['load']:.1f} s",
                flush=True,
            )
    for (b1, m1, f1), (b2, m2, f2) in itertools.pairwise(results):
        print(
            f"from {b1} to {b2} bodies (x{b2 / b1:.0f}) and {m1} to {m2} meetings "
            f"(x{m2 / m1:.0f}): status time x{f2['median'] / f1['median']:.1f}"
        )
    print("target: <= 1000 ms for 10^4 bodies and 10^6 meetings (never asserted)")


if __name__ == "__main__":
    asyncio.run(main())
