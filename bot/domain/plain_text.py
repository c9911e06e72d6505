"""What a plain message (no command) is: a question, a meeting to log, or a signal to record.

Team members type what happened, not commands: "gisteren ROA gehad over capacity building",
"signaal: geen kinderopvang voor ploegenwerk in Menen". Such a message is read as a meeting or
a signal only when it clearly is one; anything that reads as a question stays a question. The
bot then proposes what it would store and stores only on a tap, so a misreading costs a tap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from bot.domain.meeting_line import MeetingDraft

_QUESTION_START: Final = re.compile(
    r"^\s*(?:wat|wie|wanneer|waar|waarom|waarover|hoe|hoeveel|hoelang|welke|welk|is|zijn|"
    r"loopt|lopen|heeft|hebben|had|kan|kun|kunnen|mag|moet|moeten|zal|zullen|vergadert|"
    r"toon|geef|zoek|lijst|vertel|info|overzicht|status|stand)(?![^\W_])",
    re.IGNORECASE,
)
_SIGNAL: Final = re.compile(
    r"^\s*(?:nieuw\s+|nog\s+een\s+)?signaal\s*(?::|-|–|—)\s*(?P<text>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class PlainReading:
    """A plain message read as something to store."""

    kind: Literal["meeting", "signal"]
    text: str  # the signal's text; for a meeting the message as typed
    draft: MeetingDraft | None = None


def is_question(text: str) -> bool:
    """A question or a search, not a report of what happened."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def read_signal(text: str) -> str | None:
    """The signal's text when the message starts with "signaal:" (or "signaal -")."""
    m = _SIGNAL.match(text)
    if m is None or not re.search(r"[^\W_]", m.group("text")):
        return None
    return m.group("text").strip()


def reads_as_meeting(draft: MeetingDraft) -> bool:
    """A date, and a body's name where a meeting line has it: a meeting, not a question."""
    return (
        draft.date is not None
        and draft.date_error is None
        and (draft.body_id is not None or bool(draft.body_text))
    )
