"""Whole-process figures: the `regiebot` command as people start it, on empty and full stores.

Each figure is a new process of `.venv/bin/regiebot` (Python start-up, imports, opening the
store, the work, exit), its wall time and its peak resident memory (ru_maxrss, as
/usr/bin/time -v prints it), the median of --runs runs (3).
The runs go round-robin over all cases, so a slow spell of this shared machine hits them all.

- `regiebot ask "wat loopt er rond mobiliteit?"` and `regiebot status` on an empty store
  (migrated and seeded by `regiebot db upgrade` and `regiebot kb seed`) and on stores of 10^4
  and 10^5 meetings (the same, then meetings and signals bulk-inserted with report_bench.py's
  generator: 10^4 meetings and 500 signals in 2022; 10^5 meetings and 5,000 signals over
  2016-2025, so 2022 again holds about 10^4).
- `python -c "import sqlalchemy.ext.asyncio, telegram.ext"`: the least any such command costs,
  the reference for the empty `ask`.
- `regiebot run`, from its start until the first update is answered: a question waits in the
  loopback fake Bot API server (tests/fakes/server.py, TELEGRAM_BASE_URL pointing at it, as in
  tests/test_e2e.py) before the process starts; the clock stops when the fake receives the
  answer, and the memory is the process's VmHWM at that moment. One unmeasured start per
  store first: the first start of a day also catches up the day's reminder sweep.
- `regiebot report 2022` (Word, chart included) for the year of 10^4 meetings (and 2022 in the
  10^5 store).

Targets on this 2-core machine (issue 13): ask and status at 10^5 within 1.5x of the empty
store (time and peak memory); the empty `ask` within 1.3x of the bare import; `regiebot run`
answering within 3 s at 10^5; the report of 10^4 meetings within 5 s. Printed, never asserted.

    .venv/bin/python benchmarks/process_bench.py [--runs 3] [--quick]   (--quick: no 10^5)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from report_bench import fill  # noqa: E402
from whole_process import (  # noqa: E402
    PYTHON,
    REGIEBOT,
    Sample,
    clean_env,
    measure,
    median_mib,
    median_seconds,
)

from bot.config import DEFAULT_KB_DIR  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.fakes import DEFAULT_USER_ID, FakeBotApi, FakeBotApiServer  # noqa: E402

QUESTION = "wat loopt er rond mobiliteit?"
BARE_IMPORT = "import sqlalchemy.ext.asyncio, telegram.ext"
TOKEN = "123456:fake-token-for-benchmarks-only-0123456789"
REPORT_YEAR = 2022


@dataclass(frozen=True)
class StoreFile:
    label: str
    url: str


def vm_hwm_kib(pid: int) -> int:
    """A live process's peak resident memory so far (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class RunBench:
    """`regiebot run` on one store, started again and again against one loopback fake."""

    def __init__(self, store: StoreFile, tmp: Path) -> None:
        self.store = store
        self.tmp = tmp
        # One fake per store for all runs: update ids keep rising past those in the inbox.
        self.api = FakeBotApi(token=TOKEN)
        self.server = FakeBotApiServer(self.api, lifetime=3600).start()

    def __call__(self) -> Sample:
        self.api.clear_records()
        self.api.push_message(QUESTION)
        env = {
            **clean_env(self.tmp, self.store.url),
            **self.server.env(),
            "REGIEBOT_ALLOWED_USERS": str(DEFAULT_USER_ID),
            "REGIEBOT_LOG_LEVEL": "WARNING",
        }
        log = self.tmp / f"run-{self.store.label}.log"
        start = time.perf_counter()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [REGIEBOT, "run"], env=env, cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            while not any(
                c.params.get("chat_id") == DEFAULT_USER_ID
                for c in self.api.calls_of("sendMessage")
            ):
                if proc.poll() is not None or time.perf_counter() - start > 300:
                    raise RuntimeError(f"`regiebot run` did not answer; see {log}")
                time.sleep(0.005)
            sample = Sample(time.perf_counter() - start, vm_hwm_kib(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        return sample

    def answered(self) -> bool:
        sent = self.api.calls_of("sendMessage")
        return any(c.params.get("chat_id") == DEFAULT_USER_ID for c in sent)

    def close(self) -> None:
        # A stopped bot's long poll still waits in the fake until stop() cancels it, and asyncio
        # logs each such cancellation as an error: nothing went wrong.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        self.server.stop()


def make_store(tmp: Path, label: str, meetings: int, first: dt.date, days: int) -> StoreFile:
    """A SQLite file migrated and seeded by `regiebot`, then bulk-filled."""
    url = f"sqlite+aiosqlite:///{tmp / f'{label}.sqlite3'}"
    env = clean_env(tmp, url)
    for command in (["db", "upgrade"], ["kb", "seed"]):
        subprocess.run([REGIEBOT, *command], env=env, cwd=tmp, check=True, capture_output=True)
    if meetings:
        asyncio.run(fill_store(url, meetings, first, days))
    return StoreFile(label, url)


async def fill_store(url: str, meetings: int, first: dt.date, days: int) -> None:
    store = await Store.open(url, kb_dir=DEFAULT_KB_DIR, seed_kb=False)
    try:
        await fill(store, meetings, meetings // 20, first=first, days=days)
    finally:
        await store.close()


def cell(samples: list[Sample] | None) -> str:
    if not samples:
        return f"{'-':>18}"
    return f"{median_seconds(samples):7.2f} s {median_mib(samples):5.0f} MiB"


def ratio_line(what: str, numerator: list[Sample], denominator: list[Sample], target: str) -> str:
    seconds = median_seconds(numerator) / median_seconds(denominator)
    memory = median_mib(numerator) / median_mib(denominator)
    return f"  {what:<44} time {seconds:5.2f}x, peak memory {memory:5.2f}x   (target {target})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of each case (median)")
    ap.add_argument("--quick", action="store_true", help="leave out the store of 10^5 meetings")
    args = ap.parse_args()
    runs = max(1, args.runs)
    sizes = {"empty": 0, "10^4": 10_000} | ({} if args.quick else {"10^5": 100_000})
    spans = {
        "empty": (dt.date(REPORT_YEAR, 1, 1), 365),
        "10^4": (dt.date(REPORT_YEAR, 1, 1), 365),
        "10^5": (dt.date(2016, 1, 1), (dt.date(2026, 1, 1) - dt.date(2016, 1, 1)).days),
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        stores: dict[str, StoreFile] = {}
        for label, meetings in sizes.items():
            t0 = time.perf_counter()
            stores[label] = make_store(tmp, label, meetings, *spans[label])
            print(f"store {label}: built in {time.perf_counter() - t0:.1f} s", flush=True)

        cases: dict[tuple[str, str], Callable[[], Sample]] = {}
        bare = clean_env(tmp)
        cases[("bare import", "empty")] = partial(measure, [PYTHON, "-c", BARE_IMPORT], bare, tmp)
        servers: list[RunBench] = []
        for label, store in stores.items():
            env = clean_env(tmp, store.url)
            cases[("ask", label)] = partial(measure, [REGIEBOT, "ask", QUESTION], env, tmp)
            cases[("status", label)] = partial(measure, [REGIEBOT, "status"], env, tmp)
            if label != "10^4":
                run = RunBench(store, tmp)
                servers.append(run)
                run()  # unmeasured: the day's reminder catch-up, the file in the page cache
                cases[("run", label)] = run
            if label != "empty":
                out = str(tmp / f"jaarverslag-{label}.docx")
                report = [REGIEBOT, "report", str(REPORT_YEAR), "--output", out]
                cases[("report", label)] = partial(measure, report, env, tmp)
        samples: dict[tuple[str, str], list[Sample]] = {key: [] for key in cases}
        try:
            for number in range(runs):
                t0 = time.perf_counter()
                for key, case in cases.items():
                    samples[key].append(case())
                print(f"run {number + 1}/{runs}: {time.perf_counter() - t0:.1f} s", flush=True)
        finally:
            for server in servers:
                server.close()

    print_figures(list(stores), samples, runs)


def print_figures(
    labels: list[str], samples: dict[tuple[str, str], list[Sample]], runs: int
) -> None:
    """The table, then the ratios the issue names as targets."""
    rows = {
        "ask": f'regiebot ask "{QUESTION}"',
        "status": "regiebot status",
        "run": "regiebot run, until the first answer",
        "report": f"regiebot report {REPORT_YEAR} (docx)",
        "bare import": f'python -c "{BARE_IMPORT}"',
    }
    print()
    print(
        f"whole processes, median of {runs} runs: wall time and peak RSS "
        f"({os.cpu_count()} cores, SQLite)"
    )
    header = {"empty": "empty store", "10^4": "10^4 meetings", "10^5": "10^5 meetings"}
    print(f"{'':<56}" + "".join(f"{header[label]:>20}" for label in labels))
    for row, title in rows.items():
        print(f"{title:<56}" + "".join(f"  {cell(samples.get((row, label)))}" for label in labels))
    print(f"(report {REPORT_YEAR}: every meeting of the 10^4 store; about 10^4 of the 10^5 store)")
    print("targets (issue 13):")
    if "10^5" in labels:
        for row in ("ask", "status"):
            print(
                ratio_line(
                    f"{row} at 10^5 / empty store",
                    samples[(row, "10^5")],
                    samples[(row, "empty")],
                    "<= 1.5x",
                )
            )
    else:
        print("  ask and status at 10^5: not measured (--quick)")
    print(
        ratio_line(
            "empty ask / bare import",
            samples[("ask", "empty")],
            samples[("bare import", "empty")],
            "time <= 1.3x",
        )
    )
    ready = samples.get(("run", "10^5"))
    if ready:
        seconds = median_seconds(ready)
        print(f"  {'regiebot run answering at 10^5':<44} {seconds:.2f} s   (target <= 3 s)")
    else:
        print("  regiebot run at 10^5: not measured (--quick)")
    seconds = median_seconds(samples[("report", "10^4")])
    print(f"  {'report of 10^4 meetings':<44} {seconds:.2f} s   (target <= 5 s)")


if __name__ == "__main__":
    main()
