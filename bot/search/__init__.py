"""Search over the knowledge base and the logged meetings and signals (no Telegram here)."""

from bot.search.answer import Hit, SearchAnswer
from bot.search.index import SearchIndex
from bot.search.render import render_text

__all__ = ["Hit", "SearchAnswer", "SearchIndex", "render_text"]
