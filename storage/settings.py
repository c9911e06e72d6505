"""Where the database is when nobody hands storage a URL: DATABASE_URL, else the default file.

storage/ does not import bot/, so the bot's settings (bot/config.py) take their default from
here, and Alembic run on its own (`alembic upgrade head`) finds the same database.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def default_database_url() -> str:
    """An SQLite file in the user's data directory (e.g. ~/.local/share/regiebot on Linux)."""
    return f"sqlite+aiosqlite:///{Path(user_data_dir('regiebot')) / 'regiebot.sqlite3'}"


def database_url_from_env() -> str:
    """DATABASE_URL when it is set, else the default SQLite file (regiebot.toml is not read)."""
    return os.environ.get("DATABASE_URL") or default_database_url()
