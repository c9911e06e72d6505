"""Split the seed documents into paragraphs with heading, year and source: data/documents/.

Run `python -m storage.build_documents [SEEDS_DIR] [OUT_DIR]` when a seed changes. The seeds are
PDF text: lines of one paragraph are often separated by blank lines, bullets come out as "v'",
so paragraphs are rebuilt from sentence ends and headings are recognised by their shape.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

SEEDS = {
    "000": ("wse-2023", 2023),
    "001": ("rose-2020", 2020),
    "002": ("jaarverslag-2022", 2022),
    "003": ("jaarverslag-2021", 2021),
    "004": ("w13-2020", 2020),
}
MAX_PARAGRAPH = 900
_BULLET = re.compile(r"^\s*(?:v['’\"]{0,2}|[•\-–]|)\s+(?=\S)")
_SENTENCE_END = re.compile(r"[.!?:;)…]['’”]?$")
_NUMBERED_HEADING = re.compile(r"^(?:Actie\s+)?\d+(?:\.\d+)*\.?\s*[:.]?\s+\S")


def _clean(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("", "").replace("\uf0b7", "")
    line = _BULLET.sub("", line) if re.match(r"^\s*(v['’\"]{0,2}|[•–])\s", line) else line
    return re.sub(r"\s+", " ", line).strip()


def _is_heading(line: str, next_line: str | None) -> bool:
    if re.match(r"^- [^.]{3,80}:$", line):  # "- ROSE-actiegroep:" opens a sub-item
        return True
    if (":" in line and not _NUMBERED_HEADING.match(line)) or line.startswith(("W13 (", "- ")):
        return False
    numbered = _NUMBERED_HEADING.match(line) is not None
    if (len(line) > 90 or _SENTENCE_END.search(line)) and not numbered:
        return False
    if _NUMBERED_HEADING.match(line) and len(line) <= 160:
        return True
    if line.isupper() and len(line) > 3:
        return True
    starts_upper = line[:1].isupper()
    next_upper = next_line is None or next_line[:1].isupper() or next_line[:1].isdigit()
    return starts_upper and next_upper and len(line.split()) <= 10


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_PARAGRAPH:
        return [text]
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9‘'\"(])", text)
    out, current = [], ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > MAX_PARAGRAPH:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def paragraphs(text: str) -> list[tuple[str | None, str]]:
    """(heading, paragraph) pairs in document order."""
    lines = [_clean(ln) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not re.fullmatch(r"\d{1,3}", ln)]
    out: list[tuple[str | None, str]] = []
    heading: str | None = None
    current = ""
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        continuation = bool(current) and not _SENTENCE_END.search(current)
        sub_item = re.match(r"^- [^.]{3,80}:$", line) is not None
        if (sub_item or not continuation) and _is_heading(line, nxt):
            if current:
                out += [(heading, p) for p in _split_long(current)]
                current = ""
            heading = line.lstrip("- ").rstrip(":").strip()
            continue
        if current and _SENTENCE_END.search(current) and (line[:1].isupper() or line[:1] == "-"):
            out += [(heading, p) for p in _split_long(current)]
            current = line
        else:
            joined = (
                current[:-1] + line
                if current.endswith("-") and line[:1].islower()
                else (f"{current} {line}" if current else line)
            )
            current = joined
    if current:
        out += [(heading, p) for p in _split_long(current)]
    return [(h, p) for h, p in out if len(p) >= 25]


def build(seeds_dir: Path, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        prefix = path.name[:3]
        if prefix not in SEEDS:
            continue
        source, year = SEEDS[prefix]
        records = [
            {"id": f"{source}/{i}", "source": source, "year": year, "heading": h, "text": p}
            for i, (h, p) in enumerate(paragraphs(path.read_text(encoding="utf-8")), start=1)
        ]
        header = (
            f"# Generated from seed {path.name} by `python -m storage.build_documents`.\n"
            "# Paragraphs of the document in its own words; re-generate rather than edit.\n"
        )
        body = yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=100)
        (out_dir / f"{source}.yaml").write_text(header + body, encoding="utf-8")
        counts[source] = len(records)
    return counts


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "seeds"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "data" / "documents"
    for source, n in build(seeds, out).items():
        print(f"{source}: {n} paragraphs")


if __name__ == "__main__":
    main()
