"""The CLI's one-line error, in its own module so every sub-command module shares one class.

(`python -m bot.interface.cli` loads bot/interface/cli.py as __main__; a class defined there
would differ from the one other modules import from bot.interface.cli.)
"""

from __future__ import annotations


class CliError(Exception):
    """A one-line error for the person at the terminal (no traceback)."""
