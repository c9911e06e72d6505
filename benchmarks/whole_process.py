"""Running the `regiebot` command as a whole process: wall time and peak memory of one run.

Shared by process_bench.py, report_bench.py and storage_bench.py. A run is a new process of
`.venv/bin/regiebot` (Python start-up, imports, opening the store, the work, exit) with an
environment stripped of regiebot's and Telegram's settings, so only what the benchmark passes
counts.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
REGIEBOT = str(BIN / "regiebot")
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable

# A child's ru_maxrss counts the memory of the process that forked it (the kernel records it
# at exec), so a child of a benchmark holding a filled store would report at least the
# benchmark's size. Commands are therefore started by a small process: /usr/bin/time, or else
# a bare Python that reports its only child's ru_maxrss.
TIME = "/usr/bin/time"
LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_kib: int


def clean_env(tmp: Path, database_url: str | None = None) -> dict[str, str]:
    """This environment without regiebot's and Telegram's settings (and no regiebot.toml)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REGIEBOT_", "TELEGRAM_")) and k != "DATABASE_URL"
    }
    env["REGIEBOT_CONFIG"] = str(tmp / "no-regiebot.toml")
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> Sample:
    """Wall time and peak RSS (KiB) of one process, which must succeed."""
    with tempfile.TemporaryDirectory() as d:
        peak = Path(d) / "peak"
        if Path(TIME).exists():
            launch = [TIME, "-f", "%M", "-o", str(peak), *argv]
        else:
            launch = [sys.executable, "-c", LAUNCHER, str(peak), *argv]
        start = time.perf_counter()
        proc = subprocess.run(
            launch, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{argv} failed: {proc.stderr.decode(errors='replace')}")
        return Sample(seconds, int(peak.read_text().split()[-1]))


def median_seconds(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def median_mib(samples: list[Sample]) -> float:
    return statistics.median(s.peak_kib for s in samples) / 1024
