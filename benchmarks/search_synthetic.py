"""Synthetic meetings, signals and questions on top of the real knowledge base, for benchmarks."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

_SENTENCE = re.compile(r"[^.!?\n]{30,240}[.!?]")
_SYLLABLE_TEXT = "van de ver mee ker bro uck ens aert hove wyn dael lie rik gem sel bee kel mans"
_SYLLABLES = _SYLLABLE_TEXT.split()
_QUESTION_FORMS = (
    "{}",
    "{}",
    "{}",
    "wat loopt er rond {}?",
    "wie werkt mee aan {}",
    "is er iets met {}",
    "acties over {}",
    "welke partners rond {}",
    "wanneer is er overleg over {}",
    "{} signalen",
)
_STATUSES = ("held", "held", "held", "planned", "cancelled")
_SIGNAL_STATUSES = ("open", "open", "doorgegeven", "afgesloten")


def _sentences(snapshot: dict[str, Any]) -> list[str]:
    texts = [str(d.get("text") or "") for d in snapshot.get("documents") or []]
    texts += [str(a.get("description") or "") for a in snapshot.get("actions") or []]
    found = [" ".join(m.group().split()) for t in texts for m in _SENTENCE.finditer(t)]
    return found or ["Overleg over de werking in de regio."]


def _topics(snapshot: dict[str, Any]) -> list[str]:
    topics: list[str] = []
    for theme in snapshot.get("themes") or []:
        topics.append(str(theme.get("name") or ""))
        topics += [str(s) for s in theme.get("synonyms") or []]
    topics += [str(a.get("title") or "")[:60] for a in snapshot.get("actions") or []]
    return [t for t in topics if t]


def _person(rng: random.Random) -> str:
    # Surnames grow the vocabulary with N, as real notes do.
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic_logs(
    snapshot: dict[str, Any], n: int, seed: int = 13
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`n` records: 70% meetings, 30% signals, dated over three decades (1996-2025)."""
    rng = random.Random(seed)
    sentences, topics = _sentences(snapshot), _topics(snapshot)
    bodies = [str(b["id"]) for b in snapshot.get("bodies") or []] or ["overleg"]
    partners = [str(p["id"]) for p in snapshot.get("partners") or []] or ["w13"]
    themes = [str(t["id"]) for t in snapshot.get("themes") or []] or ["werk"]
    start = dt.date(1996, 1, 1).toordinal()
    span = dt.date(2025, 12, 31).toordinal() - start
    meetings: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    for i in range(n):
        day = dt.date.fromordinal(start + rng.randrange(span)).isoformat()
        if i % 10 < 7:
            notes = " ".join(rng.sample(sentences, rng.randint(1, 3)))
            notes += f" Verslag door {_person(rng)}."
            meetings.append(
                {
                    "id": len(meetings) + 1,
                    "body": rng.choice(bodies),
                    "date": day,
                    "status": rng.choice(_STATUSES),
                    "topics": rng.sample(topics, rng.randint(1, 4)),
                    "notes": notes,
                    "attendees": rng.sample(partners, rng.randint(0, 4)),
                }
            )
        else:
            signals.append(
                {
                    "id": len(signals) + 1,
                    "text": " ".join(rng.sample(sentences, rng.randint(1, 2))),
                    "date": day,
                    "themes": rng.sample(themes, rng.randint(1, 2)),
                    "source_body": rng.choice(bodies),
                    "source_partner": rng.choice(partners),
                    "addressee": rng.choice(("VDAB", "VVSG", "Vlaamse overheid", "")),
                    "status": rng.choice(_SIGNAL_STATUSES),
                }
            )
    return meetings, signals


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap
    if kind == 1:
        return word[:i] + word[i + 1 :]  # drop
    if kind == 2:
        return word[:i] + rng.choice("aeiou") + word[i:]  # insert
    return word[:i] + rng.choice("aeioutdrs") + word[i + 1 :]  # replace


def synthetic_questions(snapshot: dict[str, Any], count: int, seed: int = 7) -> list[str]:
    """Varied questions: themes, synonyms, names, title words; a third with a typo."""
    rng = random.Random(seed)
    pool: list[str] = []
    for theme in snapshot.get("themes") or []:
        pool.append(str(theme.get("name") or ""))
        pool += [str(s) for s in (theme.get("synonyms") or [])[:4]]
    pool += [str(p.get("name") or "") for p in snapshot.get("partners") or []]
    pool += [str(b.get("name") or "") for b in snapshot.get("bodies") or []]
    for action in snapshot.get("actions") or []:
        words = [w for w in str(action.get("title") or "").split() if len(w) > 5]
        pool += rng.sample(words, min(2, len(words)))
    pool = [p for p in pool if p]
    questions = []
    for _ in range(count):
        topic = rng.choice(pool)
        if rng.random() < 0.33:
            topic = " ".join(_typo(w, rng) for w in topic.split())
        questions.append(rng.choice(_QUESTION_FORMS).format(topic))
    return questions
