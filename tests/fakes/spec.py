"""The Bot API specification (api.json) as the fake reads it: methods, fields, value coercion.

Parameters reach the real server as strings (query string, form fields, multipart parts) or as
JSON values; both are turned into the Python value the field's type describes, so the rest of
the fake sees `chat_id` as an int and `reply_markup` as a dict whatever the transport was.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# Looked up in this order; the env var lets CI point at its own copy of the spec.
SPEC_CANDIDATES = (
    _HERE / "api.json",
    _HERE.parents[2] / "shared" / "telegram" / "api.json",
)
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_TRUE = {"true", "1", "True"}
_FALSE = {"false", "0", "False"}


class SpecError(ValueError):
    """A parameter value that does not fit its field's type; the message is the 400 text."""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file part of a multipart request."""

    name: str
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]


@dataclass(frozen=True, slots=True)
class BotApiSpec:
    version: str
    methods: dict[str, MethodSpec]
    # Telegram accepts method names in any case: "sendmessage" works like "sendMessage".
    by_lower_name: dict[str, str]
    type_names: frozenset[str]

    def method(self, name: str) -> MethodSpec | None:
        canonical = self.by_lower_name.get(name.lower())
        return self.methods[canonical] if canonical else None


def spec_path() -> Path:
    """Where api.json is: $REGIEBOT_BOT_API_SPEC, tests/fakes/api.json or ../shared/telegram."""
    override = os.environ.get("REGIEBOT_BOT_API_SPEC")
    if override:
        return Path(override)
    for candidate in SPEC_CANDIDATES:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        "Bot API spec not found; set REGIEBOT_BOT_API_SPEC or put api.json in tests/fakes/"
    )


@lru_cache(maxsize=4)
def load_spec(path: Path | None = None) -> BotApiSpec:
    """Read api.json once per process."""
    raw = json.loads((path or spec_path()).read_text(encoding="utf-8"))
    methods: dict[str, MethodSpec] = {}
    for name, method in raw["methods"].items():
        fields = {
            f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f.get("required")))
            for f in method.get("fields", [])
        }
        methods[name] = MethodSpec(name, fields, tuple(method.get("returns", [])))
    return BotApiSpec(
        version=str(raw.get("version", "")),
        methods=methods,
        by_lower_name={name.lower(): name for name in methods},
        type_names=frozenset(raw.get("types", {})),
    )


def _json_value(name: str, value: Any, expected: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            kind = "object" if expected is dict else "array"
            raise SpecError(f"Bad Request: can't parse {name} JSON {kind}") from None
    if not isinstance(value, expected):
        raise SpecError(f'Bad Request: field "{name}" must be of type {expected.__name__}')
    return value


def _coerce_one(name: str, kind: str, value: Any) -> Any:
    """The value as `kind`, or raise LookupError when it is not one."""
    if kind == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
    elif kind == "Float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
            return float(value)
    elif kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in _TRUE | _FALSE:
            return value in _TRUE
    elif kind == "InputFile":
        if isinstance(value, UploadedFile):
            return value
    elif kind.startswith("Array of "):
        if isinstance(value, list | str):
            return _json_value(name, value, list)
    elif isinstance(value, dict | str):
        # An object type such as InlineKeyboardMarkup or ReplyParameters.
        return _json_value(name, value, dict)
    raise LookupError(kind)


def coerce(field: FieldSpec, value: Any) -> Any:
    """Turn a wire value into the Python value of the field's type, or raise SpecError."""
    for kind in field.types:
        try:
            return _coerce_one(field.name, kind, value)
        except LookupError:
            continue
    if field.name == "chat_id":
        raise SpecError("Bad Request: chat not found")
    if isinstance(value, str) and "Integer" in field.types:
        raise SpecError(f"Bad Request: invalid {field.name} specified")
    raise SpecError(
        f'Bad Request: field "{field.name}" must be of type {" or ".join(field.types)}'
    )
