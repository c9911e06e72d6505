"""Read and validate the knowledge base (data/ YAML, or the KB part of an export file).

Validation collects every problem it finds, each naming the file, the record and the field,
so one run of `regiebot kb check` shows all of them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from storage.errors import KnowledgeBaseError
from storage.models import BODY_ROLES

# libyaml's C loader is ~10x faster than the pure-Python one; both are safe loaders.
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS = ("plans", "themes", "partners", "bodies", "actions", "documents")
DOCUMENT_SOURCES = ("jaarverslag-2021", "jaarverslag-2022")
PARTNER_KINDS = (
    "overheid",
    "gemeente",
    "intercommunale",
    "koepel",
    "onderwijs",
    "vzw",
    "sociale-economie",
    "netwerk",
    "project",
    "werkgevers",
    "middenveld",
    "zorg",
    "categorie",
)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ACTION_ID_RE = re.compile(r"^([a-z0-9-]+)/([A-Za-z0-9][A-Za-z0-9.-]*)$")
DOC_ID_RE = re.compile(r"^[a-z0-9-]+/[0-9]+$")

# Allowed keys per kind; "id" is always required. Unknown keys are errors (typos get caught).
FIELDS: dict[str, dict[str, bool]] = {  # key -> required
    "plans": {"id": True, "title": True, "period": True, "seed": False, "sections": False},
    "themes": {"id": True, "name": True, "synonyms": False, "description": False},
    "partners": {
        "id": True,
        "name": True,
        "kind": True,
        "aliases": False,
        "description": False,
        "themes": False,
        "note": False,
    },
    "bodies": {
        "id": True,
        "name": True,
        "aliases": False,
        "role": True,
        "role_text": False,
        "description": False,
        "organiser": False,
        "partners": False,
        "themes": False,
        "active": False,
        "grace_days": False,
        "cadence": False,
        "sources": False,
    },
    "actions": {
        "id": True,
        "code": False,
        "title": True,
        "section": False,
        "description": False,
        "trekker": False,
        "partners": False,
        "partners_text": False,
        "themes": False,
        "bodies": False,
        "timing": False,
        "werkjaren": False,
        "source": False,
    },
    "documents": {
        "id": True,
        "source": True,
        "year": False,
        "heading": False,
        "text": True,
        "position": False,
    },
}
# Keys the export adds that an import may carry back; they are derived, so they are ignored.
DERIVED_KEYS: dict[str, set[str]] = {
    "plans": {"name"},
    "themes": {"retired"},
    "partners": {"retired"},
    "bodies": {"w13_role", "retired"},
    "actions": {"plan"},
    "documents": {"title"},
}


@dataclass
class KnowledgeBase:
    """Validated, normalised records per kind (plain dicts in the YAML's shape)."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fingerprint: str = ""

    def counts(self) -> dict[str, int]:
        return {kind: len(self.records.get(kind, [])) for kind in KINDS}

    def ids(self, kind: str) -> set[str]:
        return {r["id"] for r in self.records.get(kind, [])}


@dataclass
class _Raw:
    kind: str
    origin: str
    record: Any


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, origin: str, kind: str, rec_id: object, fld: str | None, msg: str) -> None:
        what = kind[:-1] if kind.endswith("s") else kind
        where = f"{origin}: {what} '{rec_id}'" if rec_id is not None else f"{origin}: {what}"
        self.items.append(f"{where}, field '{fld}': {msg}" if fld else f"{where}: {msg}")


# --- reading ----------------------------------------------------------------------------------


def _kind_files(data_dir: Path, kind: str) -> list[Path]:
    single = data_dir / f"{kind}.yaml"
    folder = data_dir / kind
    files = [single] if single.is_file() else []
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    return files


def _read_yaml(path: Path, shown: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError([f"{shown}: cannot read file: {exc}"]) from None
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KnowledgeBaseError([f"{shown}: invalid YAML{at}: {problem}"]) from None


def fingerprint_dir(data_dir: Path) -> str:
    """A hash of every YAML file under data_dir: changes when any of them changes."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.rglob("*.y*ml")):
        digest.update(str(path.relative_to(data_dir)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_dir(data_dir: Path) -> KnowledgeBase:
    """Read and validate data_dir; raises KnowledgeBaseError listing every problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise KnowledgeBaseError([f"{data_dir}: no such knowledge-base folder"])
    raws: list[_Raw] = []
    problems = _Problems()
    for kind in KINDS:
        files = _kind_files(data_dir, kind)
        if not files and kind != "documents":
            problems.items.append(f"{data_dir}: missing {kind}.yaml (or folder {kind}/)")
        for path in files:
            shown = str(path.relative_to(data_dir.parent)) if data_dir.parent else str(path)
            content = _read_yaml(path, shown)
            if content is None:
                continue
            if not isinstance(content, list):
                problems.items.append(f"{shown}: expected a list of {kind} records")
                continue
            raws += [_Raw(kind, shown, rec) for rec in content]
    kb = validate(raws, problems)
    kb.fingerprint = fingerprint_dir(data_dir)
    return kb


def from_export(data: dict[str, Any], origin: str) -> KnowledgeBase:
    """Validate the knowledge-base part of an export (regiebot export --json)."""
    raws: list[_Raw] = []
    problems = _Problems()
    for kind in KINDS:
        items = data.get(kind)
        if items is None:
            if kind != "documents":
                problems.items.append(f"{origin}: missing key '{kind}'")
            continue
        if not isinstance(items, list):
            problems.items.append(f"{origin}: '{kind}' must be a list")
            continue
        for rec in items:
            raws.append(_Raw(kind, origin, _export_to_yaml_shape(kind, rec)))
    return validate(raws, problems)


def _export_to_yaml_shape(kind: str, rec: Any) -> Any:
    if not isinstance(rec, dict):
        return rec
    rec = dict(rec)
    if kind == "bodies" and "w13_role" in rec:
        rec["role"] = rec["w13_role"]
    if kind == "bodies" and isinstance(rec.get("cadence"), list):
        rec["cadence"] = [
            {k: v for k, v in c.items() if v is not None} if isinstance(c, dict) else c
            for c in rec["cadence"]
        ]
    for key in DERIVED_KEYS.get(kind, set()):
        rec.pop(key, None)
    # The export writes every optional key (null when unset); YAML simply leaves them out.
    return {k: v for k, v in rec.items() if v is not None}


# --- validation -------------------------------------------------------------------------------


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be text")
    text = str(value).strip()
    return text or None


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("must be a list")
    out = []
    for item in value:
        text = _str(item)
        if text is None:
            raise ValueError("contains an empty item")
        out.append(text)
    return out


def _int(value: Any, *, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"must be between {lo} and {hi}, got {value}")
    return value


def _year(value: Any) -> int:
    return _int(value, lo=1990, hi=2100)


def validate(raws: list[_Raw], problems: _Problems | None = None) -> KnowledgeBase:
    """Normalise raw records; raise KnowledgeBaseError naming file, record and field."""
    problems = problems or _Problems()
    records: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    origins: dict[tuple[str, str], str] = {}
    for raw in raws:
        rec = _normalise(raw, problems)
        if rec is None:
            continue
        key = (raw.kind, rec["id"])
        if key in origins:
            problems.add(
                raw.origin, raw.kind, rec["id"], "id", f"duplicate id (also in {origins[key]})"
            )
            continue
        origins[key] = raw.origin
        records[raw.kind].append(rec)
    kb = KnowledgeBase(records=records)
    _check_references(kb, origins, problems)
    if problems.items:
        raise KnowledgeBaseError(problems.items)
    return kb


def _normalise(raw: _Raw, problems: _Problems) -> dict[str, Any] | None:
    kind, origin, rec = raw.kind, raw.origin, raw.record
    if not isinstance(rec, dict):
        problems.add(origin, kind, None, None, f"expected a mapping, got {type(rec).__name__}")
        return None
    rec_id = rec.get("id")
    allowed = FIELDS[kind]
    ok = True
    for key in rec:
        if key not in allowed:
            problems.add(origin, kind, rec_id, str(key), "unknown field")
            ok = False
    for key, required in allowed.items():
        if required and rec.get(key) in (None, "", []):
            problems.add(origin, kind, rec_id, key, "is required")
            ok = False
    if not ok:
        return None
    try:
        return _NORMALISERS[kind](rec, problems, origin)
    except _FieldError as exc:
        problems.add(origin, kind, rec_id, exc.field, exc.message)
        return None


class _FieldError(Exception):
    def __init__(self, fld: str, message: str) -> None:
        super().__init__(message)
        self.field = fld
        self.message = message


def _get(rec: dict[str, Any], key: str, conv: Any) -> Any:
    try:
        return conv(rec.get(key))
    except ValueError as exc:
        raise _FieldError(key, str(exc)) from None


def _id(rec: dict[str, Any], pattern: re.Pattern[str] = ID_RE) -> str:
    value = rec.get("id")
    if not isinstance(value, str) or not pattern.match(value):
        raise _FieldError("id", f"malformed id {value!r}")
    return value


def _norm_plan(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    period = rec.get("period")
    if not (isinstance(period, list) and len(period) == 2):
        raise _FieldError("period", "must be [first year, last year]")
    first, last = (_get({"y": y}, "y", _year) for y in period)
    if first > last:
        raise _FieldError("period", "first year is after last year")
    sections = []
    for sec in rec.get("sections") or []:
        if not isinstance(sec, dict) or not sec.get("id") or not sec.get("title"):
            raise _FieldError("sections", "each section needs an id and a title")
        sections.append({"id": str(sec["id"]), "title": str(sec["title"]).strip()})
    return {
        "id": _id(rec),
        "title": _get(rec, "title", _str),
        "period": [first, last],
        "seed": _get(rec, "seed", _str),
        "sections": sections,
    }


def _norm_theme(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    return {
        "id": _id(rec),
        "name": _get(rec, "name", _str),
        "synonyms": _get(rec, "synonyms", _str_list),
        "description": _get(rec, "description", _str),
    }


def _norm_partner(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    kind = _get(rec, "kind", _str)
    if kind not in PARTNER_KINDS:
        raise _FieldError("kind", f"unknown kind {kind!r} (one of {', '.join(PARTNER_KINDS)})")
    return {
        "id": _id(rec),
        "name": _get(rec, "name", _str),
        "kind": kind,
        "aliases": _get(rec, "aliases", _str_list),
        "description": _get(rec, "description", _str),
        "themes": _get(rec, "themes", _str_list),
        "note": _get(rec, "note", _str),
    }


def _norm_cadence(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("must be a list of {from, per_year, source}")
    out: list[dict[str, Any]] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - {"from", "per_year", "source", "text"}:
            raise ValueError("each entry is {from, per_year, source, text}")
        for key in ("from", "per_year", "source"):
            if entry.get(key) is None:
                raise ValueError(f"an entry lacks '{key}'")
        item = {
            "from": _year(entry["from"]),
            "per_year": _int(entry["per_year"], lo=0, hi=366),
            "source": _str(entry["source"]),
            "text": _str(entry.get("text")),
        }
        if out and item["from"] <= out[-1]["from"]:
            raise ValueError("entries must be oldest first, one per year")
        out.append(item)
    return out


def _norm_body(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    role = _get(rec, "role", _str)
    if role not in BODY_ROLES:
        raise _FieldError("role", f"unknown role {role!r} (one of {', '.join(BODY_ROLES)})")
    active = rec.get("active") or {}
    if not isinstance(active, dict) or set(active) - {"from", "until"}:
        raise _FieldError("active", "must be {from: year, until: year or null}")
    try:
        a_from = _year(active["from"]) if active.get("from") is not None else None
        a_until = _year(active["until"]) if active.get("until") is not None else None
    except ValueError as exc:
        raise _FieldError("active", str(exc)) from None
    if a_from and a_until and a_from > a_until:
        raise _FieldError("active", "from is after until")
    grace = rec.get("grace_days")
    if grace is not None:
        grace = _get(rec, "grace_days", lambda v: _int(v, lo=0, hi=365))
    cadence = _get(rec, "cadence", _norm_cadence)
    if any(c["per_year"] > 0 for c in cadence) and role not in ("trekker", "facilitator"):
        raise _FieldError("cadence", f"a body with role '{role}' carries no cadence")
    return {
        "id": _id(rec),
        "name": _get(rec, "name", _str),
        "aliases": _get(rec, "aliases", _str_list),
        "role": role,
        "role_text": _get(rec, "role_text", _str),
        "description": _get(rec, "description", _str),
        "organiser": _get(rec, "organiser", _str),
        "partners": _get(rec, "partners", _str_list),
        "themes": _get(rec, "themes", _str_list),
        "active": {"from": a_from, "until": a_until},
        "grace_days": grace,
        "cadence": cadence,
        "sources": _get(rec, "sources", _str_list),
    }


def _norm_action(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    rec_id = rec.get("id")
    match = ACTION_ID_RE.match(rec_id) if isinstance(rec_id, str) else None
    if not match:
        raise _FieldError("id", f"malformed action id {rec_id!r} (expected <plan>/<code>)")
    code = _get(rec, "code", _str) or match.group(2)
    if code != match.group(2):
        raise _FieldError("code", f"'{code}' does not match the id's code '{match.group(2)}'")
    werkjaren = _get(rec, "werkjaren", lambda v: [_year(y) for y in (v or [])])
    return {
        "id": rec_id,
        "plan": match.group(1),
        "code": code,
        "title": _get(rec, "title", _str),
        "section": _get(rec, "section", _str),
        "description": _get(rec, "description", _str),
        "trekker": _get(rec, "trekker", _str),
        "partners": _get(rec, "partners", _str_list),
        "partners_text": _get(rec, "partners_text", _str),
        "themes": _get(rec, "themes", _str_list),
        "bodies": _get(rec, "bodies", _str_list),
        "timing": _get(rec, "timing", _str),
        "werkjaren": werkjaren,
        "source": _get(rec, "source", _str),
    }


def _norm_document(rec: dict[str, Any], _p: _Problems, _o: str) -> dict[str, Any]:
    rec_id = _id(rec, DOC_ID_RE)
    year = rec.get("year")
    return {
        "id": rec_id,
        "source": _get(rec, "source", _str),
        "year": _get(rec, "year", _year) if year is not None else None,
        "heading": _get(rec, "heading", _str),
        "text": _get(rec, "text", _str),
        "position": _get(rec, "position", lambda v: _int(v, lo=0))
        if rec.get("position") is not None
        else int(rec_id.rsplit("/", 1)[1]),
    }


_NORMALISERS = {
    "plans": _norm_plan,
    "themes": _norm_theme,
    "partners": _norm_partner,
    "bodies": _norm_body,
    "actions": _norm_action,
    "documents": _norm_document,
}


def _check_references(
    kb: KnowledgeBase, origins: dict[tuple[str, str], str], problems: _Problems
) -> None:
    themes, partners, bodies = kb.ids("themes"), kb.ids("partners"), kb.ids("bodies")
    plans = {p["id"]: p for p in kb.records["plans"]}
    sources = set(plans) | set(DOCUMENT_SOURCES)

    def check(kind: str, rec: dict[str, Any], fld: str, known: set[str], what: str) -> None:
        values = rec.get(fld)
        for value in values if isinstance(values, list) else [values]:
            if value is not None and value not in known:
                origin = origins[(kind, rec["id"])]
                problems.add(origin, kind, rec["id"], fld, f"unknown {what} '{value}'")

    for rec in kb.records["partners"]:
        check("partners", rec, "themes", themes, "theme")
    for rec in kb.records["bodies"]:
        check("bodies", rec, "partners", partners, "partner")
        check("bodies", rec, "themes", themes, "theme")
        check("bodies", rec, "organiser", partners, "partner")
        check("bodies", rec, "sources", sources, "source")
        for cad in rec["cadence"]:
            if cad["source"] not in sources:
                problems.add(
                    origins[("bodies", rec["id"])],
                    "bodies",
                    rec["id"],
                    "cadence",
                    f"unknown source '{cad['source']}'",
                )
    for rec in kb.records["actions"]:
        origin = origins[("actions", rec["id"])]
        plan = plans.get(rec["plan"])
        if plan is None:
            problems.add(origin, "actions", rec["id"], "id", f"unknown plan '{rec['plan']}'")
        elif rec["section"] and rec["section"] not in {s["id"] for s in plan["sections"]}:
            problems.add(
                origin,
                "actions",
                rec["id"],
                "section",
                f"unknown section '{rec['section']}' of plan '{plan['id']}'",
            )
        check("actions", rec, "partners", partners, "partner")
        check("actions", rec, "themes", themes, "theme")
        check("actions", rec, "bodies", bodies, "body")
    for rec in kb.records["documents"]:
        check("documents", rec, "source", sources, "source")
