"""Seeding a fresh SQLite from data/ and `regiebot export --json`: print medians (issue 3).

Targets on this 2-core machine: seeding <= 2 s, export <= 1 s. Not asserted anywhere.
    .venv/bin/python benchmarks/storage_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

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
        "export in-process": t4 - t3,
        "records": float(sum(kb.counts().values())),
    }


def cli_export(tmp: Path) -> float:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench0.sqlite3'}"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.interface.cli", "export", "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    elapsed = time.perf_counter() - t0
    json.loads(proc.stdout)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        runs = [asyncio.run(one_run(tmp, i)) for i in range(args.runs)]
        cli = [cli_export(tmp) for _ in range(args.runs)]
    print(f"storage benchmark, {args.runs} runs, {int(runs[0]['records'])} KB records, SQLite")
    for key in runs[0]:
        if key == "records":
            continue
        values = [r[key] for r in runs]
        print(
            f"  {key:<22} median {statistics.median(values) * 1000:8.1f} ms"
            f"   (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"
        )
    print(
        f"  {'regiebot export --json':<22} median {statistics.median(cli) * 1000:8.1f} ms"
        f"   (whole process, incl. Python start-up)"
    )
    print("  targets: seeding a fresh SQLite <= 2000 ms, export <= 1000 ms")


if __name__ == "__main__":
    main()
