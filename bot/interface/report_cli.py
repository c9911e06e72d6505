"""`regiebot report YEAR`: the jaarverslag of a year as a Word document or Markdown file.

Wired into bot/interface/cli.py's parser by `add_report_parser(sub)`; errors are one line
(CliError).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import Settings

if TYPE_CHECKING:
    from bot.services.report import ReportFile

FORMAT_CHOICES = (
    "docx",
    "md",
)  # bot.services.report.FORMATS; not imported here to keep start-up fast


def _cli_error(message: str) -> Exception:
    from bot.interface.cli_errors import CliError

    return CliError(message)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output == "-" or (
        args.output and Path(args.output).suffix.lower() in (".md", ".markdown")
    ):
        return "md"
    return "docx"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _write(made: ReportFile, output: Path, chart_path: Path | None) -> None:
    output.write_bytes(made.content)
    if chart_path is not None and made.chart is not None:
        chart_path.write_bytes(made.chart)


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the jaarverslag of YEAR (docx or md) to --output."""
    from bot.services.report import ReportError, check_year, make_report
    from storage.store import Store

    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    fmt = _format(args)
    try:
        year = check_year(args.year, today=today)
    except ReportError as exc:
        raise _cli_error(str(exc)) from None
    to_stdout = args.output == "-"
    if to_stdout and fmt != "md":
        raise _cli_error("--output - (standard output) is for --format md only")
    output = Path(args.output or f"jaarverslag-{year}.{fmt}")
    chart_path = (
        output.with_name(f"{output.stem}-grafiek.png") if fmt == "md" and not to_stdout else None
    )
    if not to_stdout and not output.parent.is_dir():
        raise _cli_error(f"cannot write {output}: folder {output.parent} does not exist")
    store = await Store.open(settings.database_url, kb_dir=settings.kb_dir)
    try:
        made = await make_report(
            store.sessions,
            year=year,
            today=today,
            fmt=fmt,
            chart_name=chart_path.name if chart_path else None,
        )
    except ReportError as exc:
        raise _cli_error(str(exc)) from None
    finally:
        await store.close()
    if to_stdout:
        sys.stdout.write(made.content.decode("utf-8"))
        return 0
    try:
        await asyncio.to_thread(_write, made, output, chart_path)
    except OSError as exc:
        raise _cli_error(f"cannot write {output}: {exc.strerror or exc}") from None
    report = made.report
    signals = len(report.signals) + report.signals_more
    extra = f" and {chart_path}" if chart_path and made.chart else ""
    print(
        f"wrote {output}{extra}: jaarverslag {year} ({fmt}), "
        f"{_n(report.held_total, 'meeting')} held in {_n(report.bodies_met, 'body', 'bodies')}, "
        f"{_n(signals, 'signal')}"
    )
    return 0


def add_report_parser(sub: Any) -> None:
    """Add `report` to the `regiebot` sub-commands (sub: argparse's subparsers action)."""
    p = sub.add_parser("report", help="the jaarverslag of a year as Word (.docx) or Markdown")
    p.add_argument("year", metavar="YEAR", help="the year, e.g. 2022 (the current year so far)")
    p.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default=None,
        help="docx (default) or md; taken from --output's suffix when that is .md",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="file to write (default jaarverslag-YEAR.docx here; - prints Markdown); "
        "with md the chart is written beside it as NAME-grafiek.png",
    )
    p.set_defaults(handler=cmd_report)
