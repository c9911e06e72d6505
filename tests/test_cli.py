"""The `regiebot` command end to end, as a subprocess: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import DATA_DIR


def regiebot(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.interface.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("regiebot: error: ")
    return last


def test_help_lists_the_subcommands(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "--help")
    assert proc.returncode == 0
    for word in ("db", "kb", "export", "import"):
        assert word in proc.stdout


def test_kb_check_prints_counts_per_kind(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "kb", "check")
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout
    for kind in ("plans", "themes", "partners", "bodies", "actions", "documents"):
        assert kind in proc.stdout


def test_kb_check_on_a_broken_folder_lists_problems_and_fails(
    cli_env: dict[str, str], kb_copy: Path
) -> None:
    path = kb_copy / "actions" / "wse-2023.yaml"
    actions = yaml.safe_load(path.read_text("utf-8"))
    actions[0]["themes"].append("onbekend-thema")
    path.write_text(yaml.safe_dump(actions, allow_unicode=True), "utf-8")
    proc = regiebot(cli_env, "kb", "check", "--data", str(kb_copy))
    last = _one_line_error(proc)
    assert "1 problem found" in last
    assert "wse-2023/1.1.1" in proc.stderr
    assert "unknown theme 'onbekend-thema'" in proc.stderr


def test_export_prints_one_json_object_with_every_kind(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "export", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for key in (
        "plans",
        "actions",
        "partners",
        "bodies",
        "themes",
        "documents",
        "members",
        "meetings",
        "signals",
    ):
        assert isinstance(data[key], list), key
    for kind in ("plans", "actions", "partners", "bodies", "themes", "documents"):
        for rec in data[kind]:
            assert "id" in rec
            assert rec.get("name") or rec.get("title"), (kind, rec["id"])
    body = next(b for b in data["bodies"] if b["id"] == "rose-actiegroep")
    assert body["role"] == "organiser"
    assert [(c["from"], c["per_year"]) for c in body["cadence"]] == [(2020, 6), (2023, 4)]
    assert isinstance(body["aliases"], list)


def test_export_import_export_round_trip_through_files(
    cli_env: dict[str, str], tmp_path: Path, databases_sync_url: str
) -> None:
    dump = tmp_path / "dump.json"
    assert regiebot(cli_env, "export", "--json", "--output", str(dump)).returncode == 0
    other_env = {**cli_env, "DATABASE_URL": databases_sync_url}
    proc = regiebot(other_env, "import", str(dump))
    assert proc.returncode == 0, proc.stderr
    again = regiebot(other_env, "export", "--json")
    assert json.loads(again.stdout) == json.loads(dump.read_text("utf-8"))


def test_import_of_a_foreign_or_truncated_file_is_a_one_line_error(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": "world"}', "utf-8")
    assert "not a regiebot export" in _one_line_error(regiebot(cli_env, "import", str(foreign)))
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"plans": [', "utf-8")
    assert "not valid JSON" in _one_line_error(regiebot(cli_env, "import", str(truncated)))
    missing = tmp_path / "nope.json"
    assert "cannot read" in _one_line_error(regiebot(cli_env, "import", str(missing)))


def test_an_unreachable_database_is_a_one_line_error_without_the_password(
    cli_env: dict[str, str],
) -> None:
    env = {**cli_env, "DATABASE_URL": "postgresql://regie:geheim@127.0.0.1:1/nergens"}
    last = _one_line_error(regiebot(env, "export", "--json"))
    assert "cannot use the database" in last
    assert "geheim" not in last


def test_an_unsupported_database_url_is_a_one_line_error(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DATABASE_URL": "mysql://x@localhost/db"}
    assert "supports sqlite and postgresql" in _one_line_error(regiebot(env, "db", "upgrade"))


def test_db_upgrade_reports_the_database_without_password(cli_env: dict[str, str]) -> None:
    proc = regiebot(cli_env, "db", "upgrade")
    assert proc.returncode == 0, proc.stderr
    assert "newest schema" in proc.stdout


def test_kb_seed_reseeds_and_reports_no_changes_the_second_time(cli_env: dict[str, str]) -> None:
    assert regiebot(cli_env, "kb", "seed").returncode == 0
    proc = regiebot(cli_env, "kb", "seed", "--data", str(DATA_DIR))
    assert proc.returncode == 0, proc.stderr
    assert "no changes" in proc.stdout
