"""Use cases over the store (Telegram-free): the core, status, reminders, reports and charts."""
