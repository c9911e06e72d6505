"""Pure rules and the typed model: no Telegram, no storage sessions, no clock."""
