"""`regiebot chat` end to end: a whole transcript on stdin, the printed replies, stored rows."""

from __future__ import annotations

import json

from tests.test_cli import regiebot


def test_a_scripted_chat_logs_a_meeting_via_buttons_and_answers_a_question(
    cli_env: dict[str, str],
) -> None:
    transcript = (
        "\n".join(
            [
                "/vergadering ROA over capacity building, doelgroepanalyse",
                "2",  # [2] Gisteren
                "wat loopt er rond mobiliteit?",
                "/signaal instroom doelgroepmedewerkers ligt lager <b>dringend</b>",
                "/vergadering Onbestaand orgaan 31/02/2026",
                "/annuleer",
            ]
        )
        + "\n"
    )
    proc = regiebot(cli_env, "chat", stdin=transcript)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Op welke datum?" in out
    assert "[1] Vandaag   [2] Gisteren   [3] Andere datum" in out
    assert "Vergadering opgeslagen" in out
    assert "Acties" in out
    assert "2.3.2 Mobiliteit" in out
    assert "Signaal opgeslagen" in out
    assert "<b>dringend</b>" in out  # the user's own text comes back as typed, not as markup
    assert "31/02/2026 bestaat niet" in out
    assert "niets opgeslagen" in out
    export = json.loads(regiebot(cli_env, "export", "--json").stdout)
    assert [(m["body"], m["topics"]) for m in export["meetings"]] == [
        ("roa", ["capacity building", "doelgroepanalyse"])
    ]
    assert len(export["signals"]) == 1
