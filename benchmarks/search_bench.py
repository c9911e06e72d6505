"""Search benchmark: build time, latency, memory and growth with N, side by side with FTS5.

    python benchmarks/search_bench.py [--sizes 1000 10000 100000] [--questions 300] [--no-memory]

A synthetic store of N meetings and signals (Dutch text over three decades, see
search_synthetic.py) is put on top of the real knowledge base in data/. For every N it prints
the index build time, median and p99 latency per question over a few hundred varied questions
(a third with typos), the index's memory (tracemalloc: retained and peak during the build), and
the same questions against SQLite FTS5 (AND and OR of the words, ranked by bm25) and, when the
`tantivy` package is installed (`pip install -e .[bench]`), tantivy with fuzzy terms.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_synthetic import synthetic_logs, synthetic_questions  # noqa: E402

from bot.search import SearchIndex  # noqa: E402
from bot.search.lexicon import KINDS, STOPWORDS  # noqa: E402
from bot.search.text import fold, words  # noqa: E402
from tests.search_fixtures import TODAY, load_snapshot  # noqa: E402

Timings = tuple[float, float]  # median, p99 in ms


def latency(ask: Callable[[str], object], questions: list[str]) -> Timings:
    """Median and p99 in milliseconds of answering each question once (after a warm-up)."""
    for question in questions[:20]:
        ask(question)
    spent = []
    for question in questions:
        start = time.perf_counter()
        ask(question)
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, int(len(spent) * 0.99))]


def record_text(kind: str, rec: dict[str, Any], bodies: dict[str, str]) -> str:
    """The text FTS5 and tantivy index for a record (what the search core indexes, flat)."""
    if kind == "meetings":
        topics = " ; ".join(str(t) for t in rec.get("topics") or [])
        return f"{bodies.get(rec.get('body') or '', '')} ; {topics} ; {rec.get('notes') or ''}"
    if kind == "signals":
        return str(rec.get("text") or "")
    keys = ("id", "code", "name", "title", "description", "text", "heading")
    parts = [str(rec.get(k) or "") for k in keys]
    parts += [str(a) for a in rec.get("aliases") or []]
    return " ".join(parts)


def query_words(question: str) -> list[str]:
    """The question's words as the baselines get them: folded, stopwords dropped."""
    found = [p for w in words(question) for p in w.parts if p not in STOPWORDS]
    return [w for w in found if w.isalnum()][:12]


class Fts5:
    """SQLite FTS5 over the same records, one table per kind, ranked by bm25."""

    def __init__(self, data: dict[str, Any]) -> None:
        bodies = {str(b["id"]): str(b.get("name") or "") for b in data.get("bodies") or []}
        self.db = sqlite3.connect(":memory:")
        for kind in KINDS:
            self.db.execute(
                f"CREATE VIRTUAL TABLE {kind} USING fts5(body, "
                "tokenize='unicode61 remove_diacritics 2')"
            )
            rows = [(i + 1, record_text(kind, r, bodies)) for i, r in enumerate(data[kind])]
            self.db.executemany(f"INSERT INTO {kind}(rowid, body) VALUES (?, ?)", rows)

    def ask(self, question: str, joiner: str) -> None:
        terms = query_words(question)
        if not terms:
            return
        match = f" {joiner} ".join(f'"{w}"' for w in terms)
        for kind in KINDS:
            self.db.execute(
                f"SELECT rowid FROM {kind} WHERE {kind} MATCH ? ORDER BY bm25({kind}) LIMIT 10",
                (match,),
            ).fetchall()


class Tantivy:
    """tantivy (when installed) over the same records, each word a fuzzy term."""

    def __init__(self, data: dict[str, Any]) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("kind", tokenizer_name="raw")
        builder.add_text_field("body", stored=False)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        writer = self.index.writer(heap_size=200_000_000)
        bodies = {str(b["id"]): str(b.get("name") or "") for b in data.get("bodies") or []}
        for kind in KINDS:
            for rec in data[kind]:
                text = fold(record_text(kind, rec, bodies))
                writer.add_document(tantivy.Document(kind=kind, body=text))
        writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()

    def ask(self, question: str) -> None:
        tv = self.tantivy
        terms = query_words(question)
        if not terms:
            return
        fuzzy = [
            (
                tv.Occur.Should,
                tv.Query.fuzzy_term_query(
                    self.schema, "body", w, distance=0 if len(w) < 5 else 1 if len(w) <= 8 else 2
                ),
            )
            for w in terms
        ]
        words_query = tv.Query.boolean_query(fuzzy)
        for kind in KINDS:
            query = tv.Query.boolean_query(
                [
                    (tv.Occur.Must, tv.Query.term_query(self.schema, "kind", kind)),
                    (tv.Occur.Must, words_query),
                ]
            )
            self.searcher.search(query, 10)


def measure_memory(data: dict[str, Any]) -> tuple[float, float]:
    """MB retained by a built index and MB at the peak of building it (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    index = SearchIndex.build(data, today=TODAY)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    return current / 2**20, peak / 2**20


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 10_000, 100_000])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc build")
    args = parser.parse_args()
    snapshot = load_snapshot()
    questions = synthetic_questions(snapshot, args.questions)
    try:
        import tantivy  # noqa: F401

        has_tantivy = True
    except ImportError:
        has_tantivy = False
    print(f"{len(questions)} questions, e.g. {questions[:4]}")
    print(
        "knowledge base: "
        + ", ".join(f"{k} {len(snapshot.get(k) or [])}" for k in KINDS if k in snapshot)
    )
    rows: list[dict[str, float]] = []
    for n in args.sizes:
        meetings, signals = synthetic_logs(snapshot, n)
        data = {**snapshot, "meetings": meetings, "signals": signals}
        gc.collect()
        before = rss_mb()
        start = time.perf_counter()
        index = SearchIndex.build(data, today=TODAY)
        row: dict[str, float] = {"n": n, "build": time.perf_counter() - start}
        row["rss"] = rss_mb() - before
        row["med"], row["p99"] = latency(index.search, questions)
        start = time.perf_counter()
        fts = Fts5(data)
        row["fts_build"] = time.perf_counter() - start
        row["and_med"], row["and_p99"] = latency(partial(fts.ask, joiner="AND"), questions)
        row["or_med"], row["or_p99"] = latency(partial(fts.ask, joiner="OR"), questions)
        if has_tantivy:
            start = time.perf_counter()
            engine = Tantivy(data)
            row["tv_build"] = time.perf_counter() - start
            row["tv_med"], row["tv_p99"] = latency(engine.ask, questions)
            del engine
        del index, fts
        if not args.no_memory:
            row["mem"], row["mem_peak"] = measure_memory(data)
        rows.append(row)
        print_row(row)
    print_growth(rows)


def print_row(row: dict[str, float]) -> None:
    n = int(row["n"])
    print(f"\nN = {n:,} meetings+signals (+ knowledge base)")
    print(f"  regiebot   build {row['build']:6.2f} s   resident +{row['rss']:.0f} MB", end="")
    if "mem" in row:
        print(f"   tracemalloc {row['mem']:.0f} MB kept, {row['mem_peak']:.0f} MB peak", end="")
    print()
    print(f"  regiebot   median {row['med']:6.2f} ms   p99 {row['p99']:6.2f} ms")
    print(
        f"  FTS5 AND   median {row['and_med']:6.2f} ms   p99 {row['and_p99']:6.2f} ms"
        f"   (build {row['fts_build']:.2f} s)"
    )
    print(f"  FTS5 OR    median {row['or_med']:6.2f} ms   p99 {row['or_p99']:6.2f} ms")
    if "tv_med" in row:
        print(
            f"  tantivy    median {row['tv_med']:6.2f} ms   p99 {row['tv_p99']:6.2f} ms"
            f"   (fuzzy terms, build {row['tv_build']:.2f} s)"
        )
    print(
        f"  ratio regiebot/FTS5-OR: median {row['med'] / row['or_med']:.2f}x,"
        f" p99 {row['p99'] / row['or_p99']:.2f}x"
    )


def print_growth(rows: list[dict[str, float]]) -> None:
    print("\nGrowth with N (factor from the previous size):")
    for prev, row in itertools.pairwise(rows):
        grow = row["n"] / prev["n"]
        print(
            f"  N x{grow:.0f} ({int(prev['n']):,} -> {int(row['n']):,}): "
            f"build x{row['build'] / prev['build']:.1f}, "
            f"median x{row['med'] / prev['med']:.1f}, p99 x{row['p99'] / prev['p99']:.1f}, "
            f"FTS5-OR median x{row['or_med'] / prev['or_med']:.1f}"
        )
    print("targets at 10^5: build <= 10 s, p99 <= 25 ms, index memory <= 300 MB")


if __name__ == "__main__":
    main()
