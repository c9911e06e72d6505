"""regiebot: domain (rules), services (use cases), search, and interface (Telegram and the CLI)."""
