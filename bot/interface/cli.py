"""The `regiebot` command: database, knowledge base, export and import (more in later parts)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.config import Settings, get_settings
from bot.interface.cli_errors import CliError
from bot.interface.report_cli import add_report_parser
from storage.errors import KnowledgeBaseError, StorageError
from storage.kb import KINDS, load_dir
from storage.store import Store, describe_url
from storage.transfer import export_store, import_store

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


# --- sub-commands -----------------------------------------------------------------------------


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database schema to the newest migration."""
    store = await Store.open(settings.database_url, migrate=True, seed_kb=False)
    await store.close()
    print(f"database {describe_url(settings.database_url)} is at the newest schema")
    return 0


async def cmd_kb_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validate a knowledge-base folder and print the counts per kind."""
    data_dir = Path(args.data) if args.data else settings.kb_dir
    try:
        kb = load_dir(data_dir)
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        raise CliError(f"{data_dir}: {n} problem{'s' if n != 1 else ''} found") from None
    counts = kb.counts()
    width = max(len(k) for k in KINDS)
    print(f"{data_dir}: valid")
    for kind in KINDS:
        print(f"  {kind:<{width}}  {counts[kind]:>5}")
    cadenced = sum(1 for b in kb.records["bodies"] if b["cadence"])
    print(f"  {'cadences':<{width}}  {cadenced:>5} bodies with a cadence history")
    return 0


async def cmd_kb_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Seed (or re-seed) the database from a knowledge-base folder, keeping user data."""
    data_dir = Path(args.data) if args.data else settings.kb_dir
    store = await Store.open(settings.database_url, seed_kb=False)
    try:
        report = await store.seed_if_changed(data_dir, force=True)
    finally:
        await store.close()
    print(f"seeded from {data_dir}: {report.summary() if report else 'no changes'}")
    return 0


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Print the whole store as one JSON object (or write it to --output)."""
    store = await Store.open(settings.database_url, kb_dir=settings.kb_dir)
    try:
        async with store.sessions() as session:
            data = await export_store(session)
    finally:
        await store.close()
    text = json.dumps(data, ensure_ascii=False, indent=args.indent)
    if args.output:
        await asyncio.to_thread(Path(args.output).write_text, text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Load an export file into a database that holds no user data yet."""
    path = Path(args.file)
    try:
        raw = (
            sys.stdin.read()
            if args.file == "-"
            else await asyncio.to_thread(path.read_text, encoding="utf-8")
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    store = await Store.open(settings.database_url, kb_dir=settings.kb_dir, seed_kb=False)
    try:
        async with store.sessions() as session:
            counts = await import_store(session, data, origin=str(args.file))
            await session.commit()
    finally:
        await store.close()
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    print(f"imported {args.file} into {describe_url(settings.database_url)}: {summary}")
    return 0


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer questions from the knowledge base and the logged meetings and signals."""
    from bot.search import render_text
    from bot.services.core import Regie

    from_stdin = args.question == ["-"]
    if not args.question:
        raise CliError("give a question, or - to read one question per line from stdin")
    # The knowledge base is loaded; logged entries are searched in the database per question.
    regie = await Regie.open(settings)
    try:
        questions = sys.stdin if from_stdin else [" ".join(args.question)]
        for line in questions:
            answer = await regie.ask(line.rstrip("\n"))
            if args.json:
                sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(render_text(answer) + ("\n\n" if from_stdin else "\n"))
            sys.stdout.flush()
    finally:
        await regie.close()
    return 0


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Telegram bot (long polling) until interrupted."""
    import signal

    from bot.interface.application import run_bot

    logging.getLogger().setLevel(getattr(logging, settings.log_level.upper(), logging.INFO))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_bot(settings, stop=stop)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return 0


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in the terminal (no Telegram needed)."""
    from bot.interface.chat import run_chat

    await run_chat(settings)
    return 0


def _at_date(args: argparse.Namespace, settings: Settings) -> tuple[dt.date, dt.datetime]:
    """The day --at names (today in the team's time zone by default) and the wall clock."""
    from bot.services.status import StatusInputError, parse_iso_date

    now = dt.datetime.now(ZoneInfo(settings.timezone))
    if args.at is None:
        return now.date(), now
    try:
        return parse_iso_date(args.at), now
    except StatusInputError as exc:
        raise CliError(f"--at: {exc}") from None


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Where every body with a cadence stands on a date (today by default)."""
    from bot.services.status import build_status, render_status_text

    day, _ = _at_date(args, settings)
    store = await Store.open(settings.database_url, kb_dir=settings.kb_dir)
    try:
        report = await build_status(store, on=day, default_grace=settings.grace_days)
    finally:
        await store.close()
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_status_text(report) + "\n")
    return 0


async def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    """Run the reminder check as on a date and send through the Bot API (same outbox)."""
    from handlers.reminders import remind_from_cli  # the Telegram side lives in handlers/

    day, now = _at_date(args, settings)
    try:
        report = await remind_from_cli(settings, today=day, now=now, dry_run=args.dry_run)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
        return 0
    verb = "would send" if args.dry_run else "sent"
    print(
        f"reminder check for {day.isoformat()}: {len(report.behind)} bodies behind"
        + (f" ({', '.join(report.behind)})" if report.behind else "")
    )
    for chat in report.reminders:
        state = verb if chat.status in ("sent", "would_send") else chat.status
        extra = f" ({chat.error})" if chat.error else ""
        print(f"  chat {chat.chat_id}: {state}: {', '.join(chat.bodies) or '-'}{extra}")
    for question in report.questions:
        state = verb if question.status in ("sent", "would_send") else question.status
        print(
            f"  chat {question.chat_id}: {state}: question about meeting "
            f"{question.meeting_id} ({question.body_id}, {question.date.isoformat()})"
        )
    if not report.reminders and not report.questions:
        print("  nothing new to send")
    return 0


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regiebot",
        description="regiebot: the assistant of the regie sociale economie en werk (W13).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", metavar="SUBCOMMAND", required=True
    )
    p = db.add_parser("upgrade", help="apply all migrations (the bot does this for SQLite)")
    p.set_defaults(handler=cmd_db_upgrade)

    kb = sub.add_parser("kb", help="the knowledge base in data/").add_subparsers(
        dest="kb_command", metavar="SUBCOMMAND", required=True
    )
    p = kb.add_parser("check", help="validate data/ (or --data DIR) and print counts")
    p.add_argument("--data", metavar="DIR", help="folder with the same layout as data/")
    p.set_defaults(handler=cmd_kb_check)
    p = kb.add_parser("seed", help="re-seed the database from data/ now (user data is kept)")
    p.add_argument("--data", metavar="DIR", help="folder with the same layout as data/")
    p.set_defaults(handler=cmd_kb_seed)

    p = sub.add_parser("export", help="the whole store as one JSON object")
    p.add_argument("--json", action="store_true", default=True, help="JSON output (default)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("ask", help="answer a question, e.g. 'wat loopt er rond mobiliteit?'")
    p.add_argument(
        "question",
        nargs="*",
        metavar="QUESTION",
        help="the question; - reads one question per line from stdin",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("chat", help="talk to the bot in the terminal (no Telegram needed)")
    p.set_defaults(handler=cmd_chat)

    p = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("import", help="load an export file into an empty database")
    p.add_argument("file", metavar="FILE", help="a file written by `regiebot export --json`")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("status", help="meetings held against each body's cadence")
    p.add_argument("--at", metavar="YYYY-MM-DD", help="as on this date (default: today)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("remind", help="run the reminder check now and send what is due")
    p.add_argument("--at", metavar="YYYY-MM-DD", help="as on this date (default: today)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be sent")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=cmd_remind)
    add_report_parser(sub)
    return parser


def _configure_logging(verbose: bool) -> None:
    # The CLI prints its results; logs are for -v (REGIEBOT_LOG_LEVEL governs the bot itself).
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "apscheduler", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "configuration"
        print(f"regiebot: error: invalid setting {where}: {err.get('msg')}", file=sys.stderr)
        return 2
    _configure_logging(args.verbose)
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args, settings))
    except (CliError, StorageError) as exc:
        print(f"regiebot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
