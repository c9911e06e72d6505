"""The edges: Telegram wiring, transport (polling, webhook, flood control) and the command line.

The only place in bot/ that may import telegram and handlers/. Nothing is imported here, so
`regiebot --help` does not load Telegram.
"""
