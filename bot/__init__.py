"""regiebot's Telegram-free core: configuration, search, rules, parsing, reports and the CLI."""
