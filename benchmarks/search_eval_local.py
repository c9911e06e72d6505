"""Score the search core on question sets without the CLI, with score.py's own metrics.

    python benchmarks/search_eval_local.py [CASES.yaml ...] [--baselines] [--verbose]

Reads data/ directly (as tests/search_fixtures.py does), so it works while the CLI is being
wired; the default cases are the shared public set and tests/search_quality_cases.yaml.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search import SearchIndex  # noqa: E402
from tests.search_fixtures import TODAY, load_snapshot  # noqa: E402

SCORE_PY = ROOT.parent / "shared" / "eval" / "score.py"
DEFAULT_CASES = [
    ROOT.parent / "shared" / "eval" / "queries_public.yaml",
    ROOT / "tests" / "search_quality_cases.yaml",
]


def load_score_module() -> ModuleType:
    """score.py itself, so the figures are computed exactly as the graders compute them."""
    spec = importlib.util.spec_from_file_location("score", SCORE_PY)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {SCORE_PY}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--baselines", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    score = load_score_module()
    snapshot = load_snapshot()
    index = SearchIndex.build(snapshot, today=TODAY)
    for path in args.cases:
        cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions = [case["q"] for case in cases]
        answers = [index.search(q).to_dict() for q in questions]
        rows = {"regiebot": score.score(cases, answers, args.verbose)}
        if args.baselines:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
                json.dump(snapshot, fh, default=str)
            for name, base in score.baselines(f"cat {fh.name}", questions).items():
                rows[name] = score.score(cases, base, False)
        print(f"== {path.name}")
        for name, row in rows.items():
            print(
                f"{name:10s} n={row['n']:3d}  hit@3={row['hit@3']:.3f}  mrr={row['mrr']:.3f}"
                f"  recall@10={row['recall@10']:.3f}"
            )


if __name__ == "__main__":
    main()
