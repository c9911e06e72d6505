"""Seeding a fresh SQLite from data/ and `regiebot export --json`: print medians (issue 3).

Each step in-process, and beside it the same step through the `regiebot` command as a whole
process (`db upgrade` and `kb seed` on a new file, `kb check`, `export --json`), Python
start-up and imports included. Targets on this 2-core machine: seeding <= 2 s, export <= 1 s.
Not asserted anywhere.
    .venv/bin/python benchmarks/storage_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from whole_process import REGIEBOT, Sample, clean_env, measure, median_mib, median_seconds  # noqa: E402

from bot.config import DEFAULT_KB_DIR  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.kb import load_dir  # noqa: E402
from storage.store import Store  # noqa: E402
from storage.transfer import export_store  # noqa: E402


async def one_run(tmp: Path, i: int) -> dict[str, float]:
    url = f"sqlite+aiosqlite:///{tmp / f'bench{i}.sqlite3'}"
    t0 = time.perf_counter()
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    t1 = time.perf_counter()
    kb = load_dir(DEFAULT_KB_DIR)
    t2 = time.perf_counter()
    store = await Store.open(url, kb_dir=DEFAULT_KB_DIR)  # seeds (schema already current)
    t3 = time.perf_counter()
    async with store.sessions() as session:
        data = await export_store(session)
    json.dumps(data, ensure_ascii=False)
    t4 = time.perf_counter()
    await store.close()
    return {
        "migrate": t1 - t0,
        "load+validate yaml": t2 - t1,
        "seed (load+write)": t3 - t2,
        "first start total": t3 - t0,
        "export": t4 - t3,
        "records": float(sum(kb.counts().values())),
    }


# The same steps through the `regiebot` command, each a whole process (Python start-up included).
COMMANDS = {
    "migrate": "db upgrade",
    "load+validate yaml": "kb check",
    "seed (load+write)": "kb seed",
    "export": "export --json",
}
FIRST_START = "db upgrade + kb seed"


def whole_processes(tmp: Path, i: int) -> dict[str, Sample]:
    """`regiebot db upgrade` and `kb seed` on a new file, `kb check`, `export --json`."""
    env = clean_env(tmp, f"sqlite+aiosqlite:///{tmp / f'cli{i}.sqlite3'}")
    samples = {key: measure([REGIEBOT, *c.split()], env, tmp) for key, c in COMMANDS.items()}
    migrate, seed = samples["migrate"], samples["seed (load+write)"]
    samples["first start total"] = Sample(
        migrate.seconds + seed.seconds, max(migrate.peak_kib, seed.peak_kib)
    )
    return samples


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        runs = [asyncio.run(one_run(tmp, i)) for i in range(args.runs)]
        cli = [whole_processes(tmp, i) for i in range(args.runs)]
    print(f"storage benchmark, {args.runs} runs, {int(runs[0]['records'])} KB records, SQLite")
    print(f"  {'median (min-max)':<22} {'in-process':>25}   whole process, start-up included")
    for key in runs[0]:
        if key == "records":
            continue
        values = [r[key] for r in runs]
        samples = [c[key] for c in cli]
        print(
            f"  {key:<22} {statistics.median(values) * 1000:7.1f} ms"
            f" ({min(values) * 1000:5.1f}-{max(values) * 1000:5.1f})"
            f"   {median_seconds(samples) * 1000:7.1f} ms, peak RSS {median_mib(samples):3.0f} MiB"
            f"  regiebot {COMMANDS.get(key, FIRST_START)}"
        )
    print("  targets: seeding a fresh SQLite <= 2000 ms, export <= 1000 ms")


if __name__ == "__main__":
    main()
