"""A strict parser for Telegram's HTML parse mode, modelled on tdlib's `parse_html`.

It gives the text the user sees, its entities (UTF-16 offsets, as the Bot API counts them) and,
for input the real server refuses, the server's error text ("Unsupported start tag ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "span",
        "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\f\v"


class EntityParseError(ValueError):
    """Input the real server refuses; str(error) is the whole 400 description."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Bad Request: can't parse entities: {reason}")
        self.reason = reason


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedText:
    text: str
    entities: list[dict[str, Any]]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _LazyOffset:
    """A byte offset worked out only when an error message shows it (long texts, many tags)."""

    __slots__ = ("index", "text")

    def __init__(self, text: str, index: int) -> None:
        self.text = text
        self.index = index

    def __str__(self) -> str:
        return str(_byte_offset(self.text, self.index))


_TEXT_RUN = re.compile(r"[^&<]+")
_TAG_NAME = re.compile(r"[^ \t\r\n\f\v>]*")


def _end_of_name(text: str, i: int) -> int:
    """The index after a tag name starting at i (at a space, '>' or the end)."""
    match = _TAG_NAME.match(text, i)
    return match.end() if match is not None else i


class _Parser:
    def __init__(self, source: str, *, strict_entities: bool) -> None:
        self.src = source
        self.n = len(source)
        self.strict_entities = strict_entities
        self.out: list[str] = []
        self.out16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def fail(self, reason: str) -> EntityParseError:
        return EntityParseError(reason)

    def char(self, i: int) -> str:
        return self.src[i] if i < self.n else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out16 += _utf16_len(text)

    def parse(self) -> ParsedText:
        i = 0
        while i < self.n:
            c = self.src[i]
            if c == "&":
                i = self.entity(i)
            elif c == "<":
                i = self.end_tag(i) if self.char(i + 1) == "/" else self.start_tag(i)
            else:
                run = _TEXT_RUN.match(self.src, i)
                assert run is not None  # c is neither '&' nor '<'
                self.emit(run.group())
                i = run.end()
        if self.stack:
            name = self.stack[-1].name
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def decode_entity(self, i: int) -> tuple[str, int] | None:
        """The character an HTML entity at i stands for and the index after it, if it is one."""
        end = self.src.find(";", i + 1, i + 12)
        if end < 0:
            return None
        body = self.src[i + 1 : end]
        if body.startswith(("#x", "#X")):
            try:
                code = int(body[2:], 16)
            except ValueError:
                return None
        elif body.startswith("#"):
            if not body[1:].isdigit():
                return None
            code = int(body[1:])
        elif body in NAMED_ENTITIES:
            return NAMED_ENTITIES[body], end + 1
        elif body.isalnum() and self.strict_entities:
            raise self.fail(
                f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(self.src, i)}'
            )
        else:
            return None
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1

    def entity(self, i: int) -> int:
        decoded = self.decode_entity(i)
        if decoded is None:
            # tdlib keeps an '&' that starts no entity as a literal character.
            self.emit("&")
            return i + 1
        self.emit(decoded[0])
        return decoded[1]

    def start_tag(self, begin: int) -> int:
        i = _end_of_name(self.src, begin + 1)
        offset = _LazyOffset(self.src, begin)  # counted only for an error message
        if i >= self.n:
            raise self.fail(f"Unclosed start tag at byte offset {offset}")
        name = self.src[begin + 1 : i].lower()
        if name not in ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {offset}')
        tag = _OpenTag(name, self.out16)
        i = self.attributes(tag, i, offset)
        if name == "span" and tag.attributes.get("class") != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and "emoji-id" not in tag.attributes:
            raise self.fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        self.stack.append(tag)
        return i + 1  # past '>'

    def attributes(self, tag: _OpenTag, i: int, offset: _LazyOffset) -> int:
        """Read the attributes of a start tag; returns the index of its '>'."""
        src = self.src
        while True:
            while i < self.n and src[i] in _SPACES:
                i += 1
            if i >= self.n:
                raise self.fail(f'Unclosed start tag "{tag.name}" at byte offset {offset}')
            if src[i] == ">":
                return i
            name_begin = i
            while i < self.n and src[i] not in _SPACES and src[i] not in "=>":
                i += 1
            attribute = src[name_begin:i].lower()
            while i < self.n and src[i] in _SPACES:
                i += 1
            if self.char(i) != "=":
                if tag.name == "blockquote" and attribute == "expandable":
                    tag.attributes["expandable"] = ""
                    continue
                raise self.fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag.name}" at byte offset {offset}'
                )
            i += 1
            while i < self.n and src[i] in _SPACES:
                i += 1
            if i >= self.n:
                raise self.fail(f'Unclosed start tag "{tag.name}" at byte offset {offset}')
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise self.fail(f"Unclosed start tag at byte offset {offset}")
            tag.attributes[attribute] = value

    def attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        quote = src[i]
        if quote not in "'\"":
            # An unquoted name token: letters, digits, periods and hyphens only.
            begin = i
            while i < self.n and (src[i].isalnum() or src[i] in ".-"):
                i += 1
            if i < self.n and src[i] not in _SPACES and src[i] != ">":
                at = _byte_offset(src, i)
                raise self.fail(f"Unexpected end of name token at byte offset {at}")
            return src[begin:i].lower(), i
        i += 1
        value: list[str] = []
        while i < self.n and src[i] != quote:
            if src[i] == "&":
                decoded = self.decode_entity(i)
                if decoded is not None:
                    value.append(decoded[0])
                    i = decoded[1]
                    continue
            value.append(src[i])
            i += 1
        return "".join(value), i + 1

    def end_tag(self, begin: int) -> int:
        offset = _LazyOffset(self.src, begin)
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {offset}")
        i = _end_of_name(self.src, begin + 2)
        end_name = self.src[begin + 2 : i].lower()
        while i < self.n and self.src[i] in _SPACES:
            i += 1
        if i >= self.n or self.src[i] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {offset}")
        tag = self.stack[-1]
        if end_name and end_name != tag.name:
            raise self.fail(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self.close(tag)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.out16 - tag.start
        if length <= 0:
            return
        entity: dict[str, Any] = {
            "type": ENTITY_TYPES[tag.name],
            "offset": tag.start,
            "length": length,
        }
        attrs = tag.attributes
        if tag.name == "a":
            url = attrs.get("href", "")
            if not url:
                return
            entity["url"] = url
        elif tag.name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = attrs["emoji-id"]
        elif tag.name == "tg-time":
            if "unix" not in attrs:
                return
            entity["unix_time"] = int(attrs["unix"]) if attrs["unix"].isdigit() else 0
        elif tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                # <pre><code class="language-x"> is one pre entity with a language.
                self.stack[-1].attributes["language"] = language.removeprefix("language-")
            return
        elif tag.name == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        self.entities.append(entity)


def parse_html(text: str, *, strict_entities: bool = True) -> ParsedText:
    """Parse Telegram HTML; raises EntityParseError where the real server answers 400.

    strict_entities: refuse named entities other than &lt; &gt; &amp; &quot; (such as
    `&nbsp;`). The real server shows them literally, which is never what the bot meant.
    """
    if "<" not in text and "&" not in text:
        return ParsedText(text, [])
    return _Parser(text, strict_entities=strict_entities).parse()


def strip_text(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace as the server does before it counts characters."""
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    lead = _utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    size = _utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)
